/**
 * The provider under faults (issue 8): a KEK and N ByokImportedKey (RSA, EC and oct on a Managed
 * HSM) created through the real plugin host while the emulator injects every kind of fault on
 * 20% of requests. No resource fails, and for every key the version in state exists and is
 * enabled, and no other enabled version was made by the deploy, although a connection reset after
 * a committed import makes the SDK import again (a second version of the same material), which
 * the provider disables and names in a note (every key with more than one version has a note
 * naming exactly its disabled versions). At full size every fault kind is injected. Counts are
 * recorded whatever the outcome. Full: N = 100; CI: N = 10.
 */
import test from "ava";
import { buildByokFile, generateTargetKey, parseKeySpec } from "../../byok/index.js";
import { DEFAULT_IDENTITY, FAULT_KINDS } from "../../emulator/index.js";
import type { FaultCounters } from "../../emulator/index.js";
import { startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { ResourceDriver } from "../harness/resourceDriver.js";
import {
  RELIABILITY_FULL,
  RELIABILITY_SEED,
  recordReliabilityResult,
  registerTargetKeyForLeakScan,
  sized,
} from "./reliabilitySettings.js";

const HSM = "faults-provider-hsm";
const KEYS = sized(10, 100);
const SPECS = ["rsa-2048", "ec-p256", "oct-256", "ec-p384", "oct-128", "ec-p256k"];
const PARALLEL = 10;

let env: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    roleAssignments: [
      { objectId: DEFAULT_IDENTITY.objectId, roleName: "Managed HSM Crypto User", scope: "/" },
    ],
  });
  providers = await serializeProviders();
  host = await startPluginHost({ env: env.emulator.env });
  await host.configure();
});

test.after.always(async () => {
  await (host as PluginHost | undefined)?.close();
  await (env as TestEmulator | undefined)?.emulator.stop();
});

function kekProgram(name: string) {
  return { vaultUrl: env.emulator.url(HSM), name, size: 2048 };
}

async function keyProgram(name: string, spec: string, kek: ResourceDriver) {
  const target = registerTargetKeyForLeakScan(
    `providerFaults ${name}`,
    await generateTargetKey(parseKeySpec(spec)),
  );
  const byok = buildByokFile(target, {
    kekPublicKey: String(kek.state!.outputs.publicKeyPem),
    kekKid: String(kek.state!.outputs.kid),
  }).text;
  const [kind, size] = spec.split("-") as [string, string];
  const curve = { p256: "P-256", p384: "P-384", p256k: "P-256K" }[size];
  return {
    vaultUrl: env.emulator.url(HSM),
    name,
    byok,
    keyType: kind === "rsa" ? "RSA" : kind === "ec" ? "EC" : "oct",
    ...(kind === "ec" && curve !== undefined ? { curve } : {}),
  };
}

/** The key's versions as the vault has them, read without faults. */
async function versionsOf(name: string): Promise<Array<{ version: string; enabled: boolean }>> {
  const found: Array<{ version: string; enabled: boolean }> = [];
  for await (const properties of env.keyClient(HSM).listPropertiesOfKeyVersions(name))
    found.push({ version: properties.version!, enabled: properties.enabled === true });
  return found;
}

/** What is wrong with a key after the deploy, as a user would see it; [] when nothing. */
function problemsOf(
  driver: ResourceDriver,
  versions: ReadonlyArray<{ version: string; enabled: boolean }>,
  name: string,
): string[] {
  const version = String(driver.state?.outputs.version);
  const ours = versions.find((entry) => entry.version === version);
  const problems: string[] = [];
  if (ours === undefined) problems.push(`${name}: version ${version} in state does not exist`);
  else if (!ours.enabled) problems.push(`${name}: version ${version} in state is disabled`);
  for (const other of versions)
    if (other.version !== version && other.enabled)
      problems.push(`${name}: another enabled version ${other.version}`);
  return problems;
}

/**
 * What is wrong with a key's note, [] when nothing: a key with more than one version must have a
 * note that names exactly its disabled versions (the duplicates a retried import made).
 */
function noteProblemsOf(
  driver: ResourceDriver,
  name: string,
  versions: ReadonlyArray<{ version: string; enabled: boolean }>,
): string[] {
  if (versions.length < 2) return [];
  const disabled = versions.filter((entry) => !entry.enabled).map((entry) => entry.version);
  const note = driver.state?.outputs.note;
  const named = /extra version\(s\) of the same key material \(([^)]*)\)/.exec(String(note))?.[1];
  if (typeof note !== "string" || named === undefined)
    return [`${name}: ${versions.length} versions but no note naming the disabled ones`];
  const listed = named.split(", ").sort();
  return JSON.stringify(listed) === JSON.stringify([...disabled].sort())
    ? []
    : [
        `${name}: the note names ${listed.join(", ")}, the disabled versions are ${disabled.join(", ")}`,
      ];
}

test.serial(
  "a reset after a committed import: the retried import's duplicate is disabled, state holds the enabled version, and a note says so",
  async (t) => {
    env.emulator.faults.clear();
    const kek = new ResourceDriver(host, urnOf("ImportKek", "dup-kek"), providers.importKek);
    await kek.up(kekProgram("dup-kek"));
    env.emulator.faults.set({
      rate: 1,
      kinds: ["reset-after-commit"],
      operations: ["importKey"],
      limit: 1,
    });
    const key = new ResourceDriver(
      host,
      urnOf("ByokImportedKey", "dup-key"),
      providers.byokImportedKey,
    );
    const program = await keyProgram("dup-key", "ec-p256", kek);
    t.is(await key.up(program), "create");
    t.is(env.emulator.faults.counters().byKind["reset-after-commit"], 1);
    env.emulator.faults.clear();
    const versions = await versionsOf("dup-key");
    t.is(versions.length, 2, "the SDK's retry imported a second version");
    t.deepEqual(problemsOf(key, versions, "dup-key"), []);
    t.deepEqual(noteProblemsOf(key, "dup-key", versions), []);
    const disabled = versions.find((entry) => !entry.enabled)!.version;
    t.regex(
      String(key.state!.outputs.note),
      new RegExp(
        `made 1 extra version\\(s\\) of the same key material \\(${disabled}\\); they are disabled`,
      ),
    );
    // a second up changes nothing
    t.is(await key.up(program), "same");
  },
);

test.serial(
  `a KEK and ${KEYS} imported keys (RSA, EC, oct) at 20% faults of every kind: none fails, each key has exactly its state's version enabled, and a note names every duplicate`,
  async (t) => {
    env.emulator.faults.set({
      rate: 0.2,
      kinds: FAULT_KINDS,
      latencyMs: 20,
      retryAfterSeconds: 0,
      seed: RELIABILITY_SEED,
    });
    const failures: string[] = [];
    const drivers: Array<[string, ResourceDriver]> = [];
    let attempted = 0;
    let kekCreated = false;
    /** Faults injected during a batch in which every resource was created. */
    let survived = 0;
    let counters: FaultCounters | undefined;
    let lostKeys: number | undefined;
    const problems: string[] = [];
    const noteProblems: string[] = [];
    try {
      attempted += 1;
      const kek = new ResourceDriver(host, urnOf("ImportKek", "faults-kek"), providers.importKek);
      await kek.up(kekProgram("faults-kek"));
      kekCreated = true;
      survived += env.emulator.faults.counters().injected;
      const names = Array.from({ length: KEYS }, (_, i) => `faults-key-${i}`);
      for (let start = 0; start < names.length; start += PARALLEL) {
        const batch = names.slice(start, start + PARALLEL);
        const injectedBefore = env.emulator.faults.counters().injected;
        const failedBefore = failures.length;
        attempted += batch.length;
        await Promise.all(
          batch.map(async (name, offset) => {
            const spec = SPECS[(start + offset) % SPECS.length]!;
            const driver = new ResourceDriver(
              host,
              urnOf("ByokImportedKey", name),
              providers.byokImportedKey,
            );
            try {
              await driver.up(await keyProgram(name, spec, kek));
              drivers.push([name, driver]);
            } catch (error) {
              failures.push(`${name} (${spec}): ${String(error)}`);
            }
          }),
        );
        // Faults cannot be told apart between the batch's concurrent resources: a batch with a
        // failure counts none of its faults as survived.
        if (failures.length === failedBefore)
          survived += env.emulator.faults.counters().injected - injectedBefore;
      }
      counters = env.emulator.faults.counters();
      env.emulator.faults.clear();
      let lost = 0;
      for (const [name, driver] of drivers) {
        const versions = await versionsOf(name);
        const found = problemsOf(driver, versions, name);
        if (found.length > 0) lost += 1;
        problems.push(...found);
        noteProblems.push(...noteProblemsOf(driver, name, versions));
      }
      lostKeys = lost;
    } finally {
      const seen = counters ?? env.emulator.faults.counters();
      const noted = drivers.filter(([, driver]) => driver.state?.outputs.note !== undefined).length;
      recordReliabilityResult("provider-faults", {
        faultsInjected: seen.injected,
        faultsSurvived: survived,
        writesAttempted: attempted,
        writesAcknowledged: drivers.length + (kekCreated ? 1 : 0),
        // keys created but never read back (the test stopped first) count as lost
        writesLost: lostKeys ?? drivers.length,
        note: `KEK + ${KEYS} ByokImportedKey through the plugin host at 20% faults, all kinds (${JSON.stringify(seen.byKind)}); ${failures.length} failed; ${noted} imports disabled a duplicate version and said so`,
      });
    }
    t.deepEqual(failures, []);
    t.deepEqual(problems, []);
    t.deepEqual(noteProblems, []);
    t.true(counters.injected > 0);
    if (RELIABILITY_FULL)
      for (const kind of FAULT_KINDS)
        t.true(counters.byKind[kind] > 0, `no ${kind} fault was injected`);
    t.log(
      `${counters.injected} faults injected of ${counters.requests} requests (${JSON.stringify(counters.byKind)}); ${drivers.filter(([, driver]) => driver.state?.outputs.note !== undefined).length} of ${KEYS} imports disabled a duplicate version`,
    );
  },
);
