/**
 * `ManagedHsmActivation` through the real plugin host against the emulator: Managed HSMs that are
 * not activated (every key call refused) become usable once the resource has downloaded the
 * security domain; generated and supplied certificates, files of mode 0600 never written over an
 * existing file, an HSM activated twice, and what reaches state, errors and logs.
 */
import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS } from "pulumi-azure-byok";
import { generateSecurityDomainCertificates } from "../../provider/generateSecurityDomainCertificates.js";
import { serviceErrorOf } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { startProviderTestBed } from "../harness/providerTestBed.js";
import type { ProviderTestBed } from "../harness/providerTestBed.js";
import { ResourceDriver, findLeaks } from "../harness/resourceDriver.js";

/** Managed HSMs that start provisioned but not activated, one per test. */
const GENERATED = "act-generated";
const SUPPLIED = "act-supplied";
const FILES = "act-files";
const TWICE = "act-twice";

let bed: ProviderTestBed | undefined;
let emulator: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;
let work: string;

test.before(async () => {
  bed = await startProviderTestBed({
    vaults: [GENERATED, SUPPLIED, FILES, TWICE].map((name) => ({
      name,
      kind: "managedhsm" as const,
      activated: false,
    })),
  });
  ({ emulator, host, providers } = bed);
  work = await mkdtemp(join(tmpdir(), "azure-byok-activation-"));
});

test.after.always(async () => {
  await bed?.stop();
  if (typeof work === "string") await rm(work, { recursive: true, force: true });
});

function activation(name: string): ResourceDriver {
  return new ResourceDriver(host, urnOf("ManagedHsmActivation", name), providers.hsmActivation);
}

/** Whether key calls work in the HSM: creates a small key with the stock client. */
async function keyCallOutcome(vault: string, keyName: string): Promise<string> {
  try {
    await emulator.keyClient(vault).createRsaKey(keyName, { hsm: true, keySize: 2048 });
    return "ok";
  } catch (error) {
    const { statusCode, innerCode } = serviceErrorOf(error);
    return `${statusCode ?? "?"} ${innerCode ?? ""}`.trim();
  }
}

async function failureOf(t: ExecutionContext, run: Promise<unknown>): Promise<string> {
  const error: unknown = await t.throwsAsync(run);
  return error instanceof Error ? error.message : "";
}

function spki(key: string): string {
  return createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");
}

test("an HSM that is not activated refuses key calls; the activation downloads the security domain to 3 generated certificates and then keys work", async (t) => {
  t.is(await keyCallOutcome(GENERATED, "before-activation"), "403 HsmNotActivated");
  const driver = activation("generated");
  t.is(await driver.up({ hsmUri: emulator.emulator.url(GENERATED) }), "create");
  const outs = driver.state!.outputs;
  t.is(outs.status, "Success");
  t.is(outs.generatedCertificates, true);
  t.is(outs.quorum, 2);
  t.true(typeof outs.securityDomain === "string" && outs.securityDomain.length > 0);
  const certificates = outs.certificatePems as string[];
  const privateKeys = outs.certificatePrivateKeyPems as string[];
  t.is(certificates.length, 3);
  t.is(privateKeys.length, 3);
  certificates.forEach((pem, i) => {
    const certificate = new X509Certificate(pem);
    t.is(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    t.is(spki(privateKeys[i] ?? ""), spki(pem), `private key ${i} belongs to certificate ${i}`);
    t.is(
      (outs.certificateThumbprints as string[])[i],
      createHash("sha256").update(certificate.raw).digest("base64url"),
    );
  });
  t.is(await keyCallOutcome(GENERATED, "after-activation"), "ok");

  // refresh finds nothing to change; destroy forgets the activation and the HSM stays active
  t.true(await driver.refresh());
  t.is(driver.state!.outputs.securityDomain, outs.securityDomain);
  t.is(await driver.up({ hsmUri: emulator.emulator.url(GENERATED) }), "same");
  await driver.destroy();
  t.is(driver.state, undefined);
  t.is(await keyCallOutcome(GENERATED, "after-destroy"), "ok");
});

test("the security domain and the private keys are only in the outputs marked secret: not in inputs, other outputs, errors or the host's log", async (t) => {
  const driver = activation("leaks");
  const hsmUri = emulator.emulator.url(SUPPLIED);
  const own = await generateSecurityDomainCertificates(4);
  const program = {
    hsmUri,
    certificates: own.map((c) => c.certificatePem),
    quorum: 3,
  };
  // a first attempt that fails before anything happens: its message must not echo material
  const refused = await failureOf(
    t,
    driver.up({
      ...program,
      certificates: [own[0]?.privateKeyPem ?? "", ...program.certificates.slice(1)],
    }),
  );
  t.regex(refused, /certificates\[0\]/);
  t.is(await driver.up(program), "create");
  const { inputs, outputs } = driver.state!;
  t.is(outputs.generatedCertificates, false);
  t.deepEqual(outputs.certificatePems, program.certificates);
  t.deepEqual(outputs.certificatePrivateKeyPems, [], "the user's keys never reach the provider");
  t.is(outputs.quorum, 3);
  const domain = String(outputs.securityDomain);
  const secrets = {
    securityDomain: domain,
    ...Object.fromEntries(own.map((c, i) => [`certificate ${i} private key`, c.privateKeyPem])),
  };
  const secretNames: readonly string[] = MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS;
  const plainOutputs = Object.fromEntries(
    Object.entries(outputs).filter(([name]) => !secretNames.includes(name)),
  );
  t.deepEqual(findLeaks(JSON.stringify(plainOutputs), secrets), []);
  t.deepEqual(findLeaks(JSON.stringify(inputs), secrets), []);
  t.deepEqual(findLeaks(host.stderr(), secrets), []);
  t.deepEqual(findLeaks(refused, secrets), []);
  // and the check itself can see a leak: the full state holds the domain
  t.deepEqual(findLeaks(driver.snapshot(), secrets), ["securityDomain"]);
});

test("generated keys in state too, only under the secret names; files: the domain and keys 0600, certificates 0644, an existing file refused before the HSM is touched", async (t) => {
  const dir = await mkdtemp(join(work, "files-"));
  const domainPath = join(dir, "security-domain.json");
  const certificatesDirectory = join(dir, "certs");
  await writeFile(domainPath, "an earlier security domain");
  const driver = activation("files");
  const program = {
    hsmUri: emulator.emulator.url(FILES),
    securityDomainPath: domainPath,
    certificatesDirectory,
    certificateCount: 3,
  };
  const message = await failureOf(t, driver.up(program));
  t.regex(message, /ERR_FILE_EXISTS: securityDomainPath: .*security-domain\.json exists already/);
  t.regex(message, /set overwriteFiles: true/);
  t.is(driver.state, undefined);
  t.is(await readFile(domainPath, "utf8"), "an earlier security domain");
  t.is(await keyCallOutcome(FILES, "still-inactive"), "403 HsmNotActivated", "nothing downloaded");

  t.is(await driver.up({ ...program, overwriteFiles: true }), "create");
  const outs = driver.state!.outputs;
  t.is(await readFile(domainPath, "utf8"), String(outs.securityDomain));
  t.is((await stat(domainPath)).mode & 0o777, 0o600);
  const keys = outs.certificatePrivateKeyPems as string[];
  for (const [i, pem] of (outs.certificatePems as string[]).entries()) {
    const certificateFile = join(certificatesDirectory, `certificate-${i}.pem`);
    const keyFile = join(certificatesDirectory, `certificate-${i}.key.pem`);
    t.is(await readFile(certificateFile, "utf8"), pem);
    t.is((await stat(certificateFile)).mode & 0o777, 0o644);
    t.is(await readFile(keyFile, "utf8"), keys[i] ?? "(no key)");
    t.is((await stat(keyFile)).mode & 0o777, 0o600);
  }
  const secretNames: readonly string[] = MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS;
  const plainOutputs = Object.fromEntries(
    Object.entries(outs).filter(([name]) => !secretNames.includes(name)),
  );
  t.deepEqual(
    findLeaks(JSON.stringify(plainOutputs), {
      securityDomain: String(outs.securityDomain),
      ...Object.fromEntries(keys.map((k, i) => [`key ${i}`, k])),
    }),
    [],
  );

  // a new path later is written from state, without touching the HSM
  const laterPath = join(dir, "copy-of-the-domain.json");
  t.is(
    await driver.up({ ...program, overwriteFiles: true, securityDomainPath: laterPath }),
    "update",
  );
  t.is(await readFile(laterPath, "utf8"), String(outs.securityDomain));
  t.is((await stat(laterPath)).mode & 0o777, 0o600);
});

test("activating an HSM that is already active fails, says why and how to go on, and records nothing", async (t) => {
  const first = activation("twice-1");
  t.is(await first.up({ hsmUri: emulator.emulator.url(TWICE) }), "create");
  const second = activation("twice-2");
  const message = await failureOf(t, second.up({ hsmUri: emulator.emulator.url(TWICE) }));
  t.regex(message, /ERR_HSM_ALREADY_ACTIVATED: the Managed HSM .* is already activated/);
  t.regex(message, /remove the ManagedHsmActivation resource .* set activate: false/);
  t.is(second.state, undefined);
  t.is(await keyCallOutcome(TWICE, "still-works"), "ok");
});
