/**
 * The provider under faults (issue 8): a KEK and N ByokImportedKey (RSA, EC and oct on a Managed
 * HSM) created through the real plugin host while the emulator injects every kind of fault on
 * 20% of requests. No resource fails, and for every key the version in state exists and is
 * enabled, and no other enabled version was made by the deploy, although a connection reset after
 * a committed import makes the SDK import again (a second version of the same material), which
 * the provider disables and notes. Full: N = 100; CI: N = 10.
 */
import test from "ava";
import { buildByokFile, generateTargetKey, parseKeySpec } from "../../byok/index.js";
import { DEFAULT_IDENTITY, FAULT_KINDS } from "../../emulator/index.js";
import { startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { ResourceDriver } from "../harness/resourceDriver.js";
import {
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
async function problemsOf(driver: ResourceDriver, name: string): Promise<string[]> {
  const version = String(driver.state?.outputs.version);
  const versions = await versionsOf(name);
  const ours = versions.find((entry) => entry.version === version);
  const problems: string[] = [];
  if (ours === undefined) problems.push(`${name}: version ${version} in state does not exist`);
  else if (!ours.enabled) problems.push(`${name}: version ${version} in state is disabled`);
  for (const other of versions)
    if (other.version !== version && other.enabled)
      problems.push(`${name}: another enabled version ${other.version}`);
  return problems;
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
    t.deepEqual(await problemsOf(key, "dup-key"), []);
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
  `a KEK and ${KEYS} imported keys (RSA, EC, oct) at 20% faults of every kind: none fails, each key has exactly its state's version enabled`,
  async (t) => {
    env.emulator.faults.set({
      rate: 0.2,
      kinds: FAULT_KINDS,
      latencyMs: 20,
      retryAfterSeconds: 0,
      seed: RELIABILITY_SEED,
    });
    const kek = new ResourceDriver(host, urnOf("ImportKek", "faults-kek"), providers.importKek);
    await kek.up(kekProgram("faults-kek"));
    const failures: string[] = [];
    const drivers: Array<[string, ResourceDriver]> = [];
    const names = Array.from({ length: KEYS }, (_, i) => `faults-key-${i}`);
    for (let start = 0; start < names.length; start += PARALLEL) {
      await Promise.all(
        names.slice(start, start + PARALLEL).map(async (name, offset) => {
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
    }
    const counters = env.emulator.faults.counters();
    env.emulator.faults.clear();
    const problems = (
      await Promise.all(drivers.map(([name, driver]) => problemsOf(driver, name)))
    ).flat();
    const noted = drivers.filter(([, driver]) => driver.state?.outputs.note !== undefined).length;
    recordReliabilityResult("provider-faults", {
      faultsInjected: counters.injected,
      faultsSurvived: failures.length === 0 ? counters.injected : 0,
      writesAcknowledged: drivers.length + 1,
      writesLost: problems.length,
      note: `KEK + ${KEYS} ByokImportedKey through the plugin host at 20% faults, all kinds (${JSON.stringify(counters.byKind)}); ${noted} imports disabled a duplicate version`,
    });
    t.deepEqual(failures, []);
    t.deepEqual(problems, []);
    t.true(counters.injected > 0);
    t.log(
      `${counters.injected} faults injected of ${counters.requests} requests (${JSON.stringify(counters.byKind)}); ${noted} of ${KEYS} imports disabled a duplicate version`,
    );
  },
);
