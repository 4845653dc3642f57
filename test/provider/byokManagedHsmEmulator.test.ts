/**
 * `ByokManagedHsm` end to end against the emulator: a program using the component with
 * `existingHsmUri` (so no azure-native resource, which needs the Pulumi CLI) runs through the
 * offline deployment driver, every dynamic child through the real plugin host. The emulator's HSM
 * starts not activated and with only the deployer's Administrator role, so the KEK exists only if
 * the activation and the deployer's role assignments ran first, in order. The component runs with
 * its default deployer roles, a labelled role for another identity and a certificates directory.
 * The state file, as the engine would write it, holds the security domain and the generated
 * private keys only as secrets.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { deploy, hasNoChanges, PACKAGE_ROOT } from "../../cli/driver/index.js";
import type { DeploymentResult } from "../../cli/driver/index.js";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { serviceErrorOf, startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS } from "pulumi-azure-byok";
import { findLeaks } from "../harness/resourceDriver.js";

const HSM = "component-hsm";
/** An application the program grants Crypto User by a label; it holds no role before. */
const APP = { objectId: "00000000-0000-0000-0000-0000000c0a01", name: "component-app" };
/** `runtime.specialSigKey` and `specialSecretSig`: the wire form of a secret. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { ByokManagedHsm } from "pulumi-azure-byok";

const config = new pulumi.Config();
const hsm = new ByokManagedHsm("contoso", {
  existingHsmUri: config.require("hsmUri"),
  deployerObjectId: config.require("deployer"),
  securityDomain: {
    quorum: 2,
    path: config.require("domainPath"),
    certificatesDirectory: config.require("certificatesDirectory"),
  },
  roleAssignments: { app: { principalId: config.require("app"), role: "Managed HSM Crypto User" } },
  kek: { name: "component-kek", size: 2048 },
});
export const hsmUri = hsm.hsmUri;
export const kekKid = hsm.kekKid;
export const kekPublicKeyPem = hsm.kekPublicKeyPem;
export const securityDomain = hsm.securityDomain;
export const certificatePems = hsm.certificatePems;
export const certificatePrivateKeyPems = hsm.certificatePrivateKeyPems;
// the child's own outputs, as the engine hands them back for its registration
export const activationDomain = hsm.activation?.securityDomain;
export const activationKeys = hsm.activation?.certificatePrivateKeyPems;
export const activationCertificates = hsm.activation?.certificatePems;
`;

let emulator: TestEmulator;
let project: string;

test.before(async () => {
  emulator = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm", activated: false }],
    identities: [DEFAULT_IDENTITY, APP],
    // given: the deploying identity is only the HSM's Administrator at "/", the app nothing
    roleAssignments: [],
  });
  // inside the package (a git-ignored directory), so the program resolves its packages as an
  // example's would
  await mkdir(join(PACKAGE_ROOT, ".azure-byok"), { recursive: true });
  project = await mkdtemp(join(PACKAGE_ROOT, ".azure-byok", "component-program-"));
  await writeFile(
    join(project, "Pulumi.yaml"),
    "name: byok-component\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
  );
  await writeFile(join(project, "index.ts"), PROGRAM);
});

test.after.always(async () => {
  await (emulator as TestEmulator | undefined)?.emulator.stop();
  if (typeof project === "string") await rm(project, { recursive: true, force: true });
});

function up(preview = false): Promise<DeploymentResult> {
  return deploy({
    projectDir: project,
    stateFile: join(project, "state.json"),
    preview,
    env: emulator.emulator.env,
    config: {
      hsmUri: emulator.emulator.url(HSM),
      deployer: DEFAULT_IDENTITY.objectId,
      domainPath: join(project, "security-domain.json"),
      certificatesDirectory: join(project, "certificates"),
      app: APP.objectId,
    },
  });
}

/** A KeyClient acting as `objectId`, with a token the emulator issued for it. */
function clientOf(objectId: string): KeyClient {
  const credential: TokenCredential = {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({
        token: emulator.emulator.issueToken({ objectId }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
  };
  return new KeyClient(emulator.emulator.url(HSM), credential, {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
}

/** The state file's text with every secret's value removed: what must hold no secret. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return "[secret]";
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

function secretValue(wire: unknown): unknown {
  const record = wire as Record<string, unknown> | undefined;
  return record?.[SIG_KEY] === SECRET_SIG ? record.value : undefined;
}

test.serial(
  "up activates the HSM, grants the deployer its roles, then creates the KEK; a second up changes nothing",
  async (t) => {
    const before = await emulator
      .keyClient(HSM)
      .getKey("component-kek")
      .catch((error: unknown) => serviceErrorOf(error).innerCode);
    t.is(before, "HsmNotActivated");

    const preview = await up(true);
    t.deepEqual(
      preview.steps.filter((s) => s.op !== "create").map((s) => s.name),
      [],
      "preview plans only creates",
    );

    const result = await up();
    const steps = result.steps.map((s) => `${s.op} ${s.type.split(":").at(-1) ?? ""}:${s.name}`);
    t.deepEqual(
      [...steps].sort(),
      [
        "create Stack:byok-component-dev",
        "create ByokManagedHsm:contoso",
        "create ManagedHsmActivation:contoso-activation",
        "create ManagedHsmRoleAssignment:contoso-deployer-crypto-user",
        "create ManagedHsmRoleAssignment:contoso-deployer-crypto-officer",
        "create ManagedHsmRoleAssignment:contoso-role-app",
        "create ImportKek:contoso-kek",
      ].sort(),
    );
    // sibling assignments finish in any order; what depends on what finishes after it
    const at = (name: string): number => result.steps.findIndex((s) => s.name === name);
    const assignments = [
      "contoso-deployer-crypto-user",
      "contoso-deployer-crypto-officer",
      "contoso-role-app",
    ];
    for (const assignment of assignments) {
      t.true(at("contoso-activation") < at(assignment), `${assignment} after the activation`);
    }
    t.true(at("contoso-deployer-crypto-user") < at("contoso-kek"), "the KEK after Crypto User");
    t.true(at("contoso-deployer-crypto-officer") < at("contoso-kek"), "and after Crypto Officer");
    for (const child of ["contoso-activation", ...assignments, "contoso-kek"]) {
      const step = result.steps.find((s) => s.name === child);
      t.regex(step?.parent ?? "", /ByokManagedHsm::contoso$/, `${child} is under the component`);
    }
    const kekKid = String(result.outputs.kekKid);
    t.regex(kekKid, /\/keys\/component-kek\/[0-9a-f]{32}$/);
    const kek = await emulator.keyClient(HSM).getKey("component-kek");
    t.is(kek.id, kekKid);
    t.deepEqual(kek.keyOperations, ["import"]);

    const domain = secretValue(result.outputs.securityDomain);
    t.true(typeof domain === "string" && domain.length > 0, "the stack output is a secret");
    const privateKeys = secretValue(result.outputs.certificatePrivateKeyPems) as string[];
    t.is(privateKeys.length, 3);
    t.is((result.outputs.certificatePems as string[]).length, 3);
    const domainPath = join(project, "security-domain.json");
    t.is(await readFile(domainPath, "utf8"), String(domain));
    t.is((await stat(domainPath)).mode & 0o777, 0o600);
    // generated certificates are public (0644), their private keys secret (0600)
    const certificates = join(project, "certificates");
    for (const [i, pem] of (result.outputs.certificatePems as string[]).entries()) {
      const certificate = join(certificates, `certificate-${i}.pem`);
      const key = join(certificates, `certificate-${i}.key.pem`);
      t.is(await readFile(certificate, "utf8"), pem);
      t.is((await stat(certificate)).mode & 0o777, 0o644);
      t.is(await readFile(key, "utf8"), privateKeys[i] ?? "(no private key output)");
      t.is((await stat(key)).mode & 0o777, 0o600);
    }

    // the labelled role: the app, which held no role, now reads keys (Crypto User at /keys)
    t.is((await clientOf(APP.objectId).getKey("component-kek")).id, kekKid);

    // The activation registered its domain and keys as additionalSecretOutputs: the engine hands
    // them back (and stores them) as secrets, while its other outputs stay plain.
    t.is(secretValue(result.outputs.activationDomain), domain);
    t.deepEqual(secretValue(result.outputs.activationKeys), privateKeys);
    t.deepEqual(result.outputs.activationCertificates, result.outputs.certificatePems);

    // The driver's state file keeps child outputs as returned (it encrypts nothing, being a
    // harness), so check it the way the engine would store it: everything but the outputs the
    // activation marks secret, and the stack outputs without their secrets.
    const state = JSON.parse(await readFile(join(project, "state.json"), "utf8")) as {
      resources: { urn: string; inputs: unknown; outputs: Record<string, unknown> }[];
      outputs: unknown;
    };
    const secretNames: readonly string[] = MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS;
    const plain = {
      resources: state.resources.map((r) => ({
        urn: r.urn,
        inputs: r.inputs,
        outputs: r.urn.endsWith("::contoso-activation")
          ? Object.fromEntries(Object.entries(r.outputs).filter(([k]) => !secretNames.includes(k)))
          : r.outputs,
      })),
      outputs: withoutSecrets(state.outputs),
    };
    const secrets = {
      securityDomain: String(domain),
      ...Object.fromEntries(privateKeys.map((k, i) => [`certificate ${i} private key`, k])),
    };
    t.deepEqual(
      findLeaks(JSON.stringify(plain), secrets),
      [],
      "outside the secret outputs, the state holds neither the domain nor a private key",
    );
    t.deepEqual(
      findLeaks(JSON.stringify(state.outputs), secrets).sort(),
      Object.keys(secrets).concat("a PEM private key").sort(),
      "the check sees them where they are: in the stack's secret outputs",
    );

    const again = await up();
    t.true(hasNoChanges(again));
  },
);
