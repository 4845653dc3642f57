/**
 * The plugin host SIGKILLed in the middle of a ByokImportedKey create (issue 8), as when a CI
 * runner is cancelled during `pulumi up`. The emulator holds one request of the create back
 * (a latency fault) so the kill lands while it is in flight; nothing reaches the state. The next
 * deploy runs in a new host with the resource not in state, which is where the Pulumi CLI leaves
 * it once the interrupted create's pending operation is cleared.
 *
 * The worst case is a kill while the import PUT is in flight: the service commits it after the
 * host is gone, so the key exists but no state names it. Importing the file again there would add
 * a second enabled version of the same material. The provider chose, per case:
 *
 * - adopt, when the vault proves the key is the declared one: `expectedPublicKeyPem` is given and
 *   the key's current version has exactly that public key. Then nothing is imported and the state
 *   names the version that exists (`adopted`, with a `note`). This is `adoptExisting`'s own proof
 *   (only the public key proves identity), applied without being asked because the outcome is the
 *   one the program declares.
 * - report, when nothing can prove it: no `expectedPublicKeyPem`, or an oct key (no public key;
 *   the service never shows AES material). Create fails with `ERR_KEY_EXISTS`, names
 *   `adoptExisting` (true binds to the key as it is, false imports a new version) and changes
 *   nothing. Guessing here would either bind a key nobody verified or leave two enabled versions.
 *
 * A kill before the import was sent leaves no key, and the next deploy simply imports it. In every
 * case the vault ends with one key of that name holding exactly one enabled version, the one the
 * state names.
 */
import { createPublicKey } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import { buildByokFile } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { createTestKek, memoizedTargetKey, startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, PropertyMap, SerializedProviders } from "../harness/pluginHost.js";
import { ResourceDriver } from "../harness/resourceDriver.js";
import { recordReliabilityResult } from "./reliabilitySettings.js";

const HSM = "hostkill-hsm";
/** Long enough for the kill to land while the request waits, short enough for CI. */
const HOLD_MS = 1000;

let env: TestEmulator;
let providers: SerializedProviders;
let kek: { kid: string; publicKeyPem: string };
const hosts: PluginHost[] = [];
/** The last program each test deployed, for the closing "a further up changes nothing". */
const lastProgram = new Map<string, PropertyMap>();
let kills = 0;
/** Next deploys that finished: the state names a version (an acknowledged write). */
let acknowledged = 0;
/** Of those, the ones the vault does not hold as its key's one enabled version. */
let lost = 0;
let converged = 0;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    roleAssignments: [
      { objectId: DEFAULT_IDENTITY.objectId, roleName: "Managed HSM Crypto User", scope: "/" },
    ],
  });
  providers = await serializeProviders();
  const created = await createTestKek(env.keyClient(HSM), "hostkill-kek");
  kek = { kid: created.kek.id!, publicKeyPem: created.publicKeyPem };
});

test.after.always(async () => {
  for (const host of hosts) await host.close();
  recordReliabilityResult("host-kill", {
    faultsInjected: kills,
    faultsSurvived: converged,
    writesAcknowledged: acknowledged,
    writesLost: lost,
    note: `plugin host SIGKILLed during a ByokImportedKey create (import in flight, or before it); ${converged} of ${kills} next deploys converged (one key, its state's version the one enabled, a further up a no-op)`,
  });
  await (env as TestEmulator | undefined)?.emulator.stop();
});

async function newHost(): Promise<PluginHost> {
  const host = await startPluginHost({ env: env.emulator.env });
  hosts.push(host);
  await host.configure();
  return host;
}

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function program(name: string, target: TargetKey, extra: PropertyMap = {}): PropertyMap {
  const spec = target.spec;
  return {
    vaultUrl: env.emulator.url(HSM),
    name,
    byok: buildByokFile(target, { kekPublicKey: kek.publicKeyPem, kekKid: kek.kid }).text,
    keyType: spec.kty,
    ...(spec.kty === "EC" ? { curve: spec.curve } : {}),
    kekKid: kek.kid,
    ...extra,
  };
}

function spkiOf(target: TargetKey): string {
  if ("octKey" in target) throw new Error("an oct key has no public key");
  return createPublicKey(target.privateKey).export({ type: "spki", format: "pem" }).toString();
}

/**
 * Starts `up` of a new resource in a new host, SIGKILLs the host while `operation`'s request is
 * held by the emulator, and returns how the interrupted `up` ended. Nothing reaches the state.
 */
async function upKilledDuring(
  t: ExecutionContext,
  name: string,
  inputs: PropertyMap,
  operation: "importKey" | "getKey",
): Promise<void> {
  const host = await newHost();
  env.emulator.faults.set({
    rate: 1,
    kinds: ["latency"],
    latencyMs: HOLD_MS,
    operations: [operation],
    limit: 1,
  });
  const driver = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", name),
    providers.byokImportedKey,
  );
  const up = driver.up(inputs).then(
    () => "finished",
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  // the fault is counted when the request arrives, before it is held
  await until(
    `the ${operation} request is held`,
    () => env.emulator.faults.counters().injected > 0,
  );
  process.kill(host.pid, "SIGKILL");
  kills += 1;
  const outcome = await up;
  env.emulator.faults.clear();
  t.not(outcome, "finished", "the create did not finish");
  t.is(driver.state, undefined, "the interrupted create left no state");
  await host.close();
}

/** The key's versions, read with the stock client; [] while there is no key of that name. */
async function versionsOf(name: string): Promise<Array<{ version: string; enabled: boolean }>> {
  const found: Array<{ version: string; enabled: boolean }> = [];
  try {
    for await (const properties of env.keyClient(HSM).listPropertiesOfKeyVersions(name))
      found.push({ version: properties.version!, enabled: properties.enabled === true });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return [];
    throw error;
  }
  return found;
}

async function keyNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const properties of env.keyClient(HSM).listPropertiesOfKeys())
    names.push(properties.name);
  return names;
}

/**
 * The vault holds one key `name` whose only version is the state's, enabled, and a further up
 * changes nothing. Counts the deploy as acknowledged, lost when the vault disagrees with its
 * state, and converged when all three hold.
 */
async function assertConverged(t: ExecutionContext, name: string, driver: ResourceDriver) {
  const version = String(driver.state?.outputs.version);
  acknowledged += 1;
  const versions = await versionsOf(name);
  const keys = (await keyNames()).filter((other) => other === name).length;
  const kept = versions.length === 1 && versions[0]?.version === version && versions[0].enabled;
  if (!kept || keys !== 1) lost += 1;
  t.deepEqual(versions, [{ version, enabled: true }]);
  t.is(keys, 1);
  const again = await driver.up(lastProgram.get(name)!);
  t.is(again, "same", "a further up changes nothing");
  if (kept && keys === 1 && again === "same") converged += 1;
}

async function failureOf(t: ExecutionContext, run: Promise<unknown>): Promise<string> {
  const error: unknown = await t.throwsAsync(run);
  return error instanceof Error ? error.message : "";
}

test.serial(
  "killed while the import is in flight, expectedPublicKeyPem given: the import lands after the kill, and the next deploy binds to that version instead of importing again",
  async (t) => {
    const target = await memoizedTargetKey("rsa-2048");
    const inputs = program("killed-rsa", target, { expectedPublicKeyPem: spkiOf(target) });
    await upKilledDuring(t, "killed-rsa", inputs, "importKey");
    await until("the held import commits", async () => (await versionsOf("killed-rsa")).length > 0);
    const [landed] = await versionsOf("killed-rsa");

    const driver = new ResourceDriver(
      await newHost(),
      urnOf("ByokImportedKey", "killed-rsa"),
      providers.byokImportedKey,
    );
    lastProgram.set("killed-rsa", inputs);
    t.is(await driver.up(inputs), "create");
    t.is(driver.state!.outputs.version, landed!.version, "the state names the version that exists");
    t.true(driver.state!.outputs.adopted);
    t.regex(
      String(driver.state!.outputs.note),
      /already existed with the public key in expectedPublicKeyPem .*interrupted.*instead of importing the same key again/,
    );
    await assertConverged(t, "killed-rsa", driver);
  },
);

test.serial(
  "killed while an oct import is in flight: the next deploy fails with ERR_KEY_EXISTS naming adoptExisting and imports nothing; with adoptExisting: true it binds",
  async (t) => {
    const target = await memoizedTargetKey("oct-256");
    const inputs = program("killed-oct", target);
    await upKilledDuring(t, "killed-oct", inputs, "importKey");
    await until("the held import commits", async () => (await versionsOf("killed-oct")).length > 0);
    const [landed] = await versionsOf("killed-oct");

    const driver = new ResourceDriver(
      await newHost(),
      urnOf("ByokImportedKey", "killed-oct"),
      providers.byokImportedKey,
    );
    const message = await failureOf(t, driver.up(inputs));
    t.regex(message, /ERR_KEY_EXISTS: key "killed-oct" already exists/);
    t.true(message.includes(`current version ${landed!.version}, enabled`));
    t.regex(message, /Set adoptExisting: true to bind to the key as it is/);
    t.regex(message, /adoptExisting: false to import this file as a new version/);
    t.is(driver.state, undefined);
    t.deepEqual(await versionsOf("killed-oct"), [landed], "nothing was imported");

    const adopting = { ...inputs, adoptExisting: true };
    lastProgram.set("killed-oct", adopting);
    t.is(await driver.up(adopting), "create");
    t.is(driver.state!.outputs.version, landed!.version);
    t.true(driver.state!.outputs.adopted);
    await assertConverged(t, "killed-oct", driver);
  },
);

test.serial(
  "killed while an EC import without expectedPublicKeyPem is in flight: ERR_KEY_EXISTS says nothing proves the key, and expectedPublicKeyPem then lets the next deploy bind",
  async (t) => {
    const target = await memoizedTargetKey("ec-p256");
    const inputs = program("killed-ec", target);
    await upKilledDuring(t, "killed-ec", inputs, "importKey");
    await until("the held import commits", async () => (await versionsOf("killed-ec")).length > 0);
    const [landed] = await versionsOf("killed-ec");

    const driver = new ResourceDriver(
      await newHost(),
      urnOf("ByokImportedKey", "killed-ec"),
      providers.byokImportedKey,
    );
    const message = await failureOf(t, driver.up(inputs));
    t.regex(message, /ERR_KEY_EXISTS: .*nothing proves it holds this file's key/);
    t.deepEqual(await versionsOf("killed-ec"), [landed]);

    const proven = { ...inputs, expectedPublicKeyPem: spkiOf(target) };
    lastProgram.set("killed-ec", proven);
    t.is(await driver.up(proven), "create");
    t.is(driver.state!.outputs.version, landed!.version);
    await assertConverged(t, "killed-ec", driver);
  },
);

test.serial(
  "killed before the import was sent (while the key's existence is read): nothing is in the vault, and the next deploy imports exactly one version",
  async (t) => {
    const target = await memoizedTargetKey("ec-p384");
    const inputs = program("killed-early", target);
    await upKilledDuring(t, "killed-early", inputs, "getKey");
    // the held read answers into a dead socket; no import follows it
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS + 200));
    t.deepEqual(await versionsOf("killed-early"), []);

    const driver = new ResourceDriver(
      await newHost(),
      urnOf("ByokImportedKey", "killed-early"),
      providers.byokImportedKey,
    );
    lastProgram.set("killed-early", inputs);
    t.is(await driver.up(inputs), "create");
    t.false(driver.state!.outputs.adopted);
    await assertConverged(t, "killed-early", driver);
  },
);
