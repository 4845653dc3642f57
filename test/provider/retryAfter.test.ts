/**
 * Throttling through the real plugin host against the emulator: a 429 or 503 with `Retry-After`
 * is waited out for as long as the service asks (the SDK pipeline's throttling policy,
 * `provider/azure/keyClients.ts`) and the step then succeeds, having done its work once; a
 * service that keeps throttling past the retries ends in `ERR_THROTTLED` with nothing recorded.
 *
 * The emulator's fault settings are one per emulator, so this file has its own and its tests run
 * one after another.
 */
import { performance } from "node:perf_hooks";
import test from "ava";
import type { ExecutionContext } from "ava";
import { buildByokFile } from "../../byok/index.js";
import { memoizedTargetKey } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { startProviderTestBed } from "../harness/providerTestBed.js";
import type { ProviderTestBed } from "../harness/providerTestBed.js";
import { ResourceDriver } from "../harness/resourceDriver.js";

const HSM = "throttled-hsm";
/** What the service asks for; the SDK's own backoff would start at 1 s (RETRY_OPTIONS). */
const RETRY_AFTER_SECONDS = 2;

let bed: ProviderTestBed | undefined;
let emulator: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  bed = await startProviderTestBed({ vaults: [{ name: HSM, kind: "managedhsm" }] });
  ({ emulator, host, providers } = bed);
});

test.after.always(async () => {
  await bed?.stop();
});

/** The key's versions in the vault; none when the key does not exist. */
async function versionsOf(name: string): Promise<string[]> {
  const versions: string[] = [];
  try {
    for await (const v of emulator.keyClient(HSM).listPropertiesOfKeyVersions(name)) {
      versions.push(v.version ?? "");
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return versions;
}

function faultsFor(
  t: ExecutionContext,
  settings: Parameters<typeof emulator.emulator.faults.set>[0],
): void {
  emulator.emulator.faults.set(settings);
  t.teardown(() => {
    emulator.emulator.faults.clear();
  });
}

/**
 * Creates a resource while the first request of `operation` is answered `kind` with Retry-After,
 * and asserts the provider waited at least that long, then created it with one version.
 */
async function createThroughOneFault(
  t: ExecutionContext,
  driver: ResourceDriver,
  program: Record<string, unknown> & { name: string },
  fault: { kind: "429" | "503"; operation: "importKey" | "createKey" },
): Promise<void> {
  faultsFor(t, {
    rate: 1,
    kinds: [fault.kind],
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    operations: [fault.operation],
    limit: 1,
  });
  const started = performance.now();
  t.is(await driver.up(program), "create");
  const ms = performance.now() - started;
  t.is(emulator.emulator.faults.counters().byKind[fault.kind], 1, `one ${fault.kind} was sent`);
  t.true(
    ms >= RETRY_AFTER_SECONDS * 1000,
    `the provider waited ${Math.round(ms)} ms; the service asked for ${RETRY_AFTER_SECONDS} s`,
  );
  t.deepEqual(await versionsOf(program.name), [String(driver.state!.outputs.version)]);
}

async function kekIn(name: string): Promise<{ kid: string; publicKeyPem: string }> {
  const kek = new ResourceDriver(host, urnOf("ImportKek", name), providers.importKek);
  await kek.up({ vaultUrl: emulator.emulator.url(HSM), name, size: 2048 });
  return {
    kid: String(kek.state!.outputs.kid),
    publicKeyPem: String(kek.state!.outputs.publicKeyPem),
  };
}

test.serial(
  "a 429 with Retry-After on the import is waited out, then the key is imported once",
  async (t) => {
    const { kid, publicKeyPem } = await kekIn("throttled-kek");
    const byok = buildByokFile(await memoizedTargetKey("ec-p256"), {
      kekPublicKey: publicKeyPem,
      kekKid: kid,
    }).text;
    const key = new ResourceDriver(
      host,
      urnOf("ByokImportedKey", "throttled"),
      providers.byokImportedKey,
    );
    await createThroughOneFault(
      t,
      key,
      {
        vaultUrl: emulator.emulator.url(HSM),
        name: "throttled",
        byok,
        keyType: "EC",
        curve: "P-256",
        kekKid: kid,
      },
      { kind: "429", operation: "importKey" },
    );
  },
);

test.serial(
  "a 503 with Retry-After on KEK creation is waited out, then the KEK is created once",
  async (t) => {
    const kek = new ResourceDriver(
      host,
      urnOf("ImportKek", "unavailable-kek"),
      providers.importKek,
    );
    await createThroughOneFault(
      t,
      kek,
      { vaultUrl: emulator.emulator.url(HSM), name: "unavailable-kek", size: 2048 },
      { kind: "503", operation: "createKey" },
    );
  },
);

test.serial(
  "a service still throttling after every retry fails with ERR_THROTTLED, and nothing is recorded",
  async (t) => {
    const kek = new ResourceDriver(
      host,
      urnOf("ImportKek", "always-throttled"),
      providers.importKek,
    );
    // every attempt: the first and the pipeline's 6 retries, 1 s apart as the service asks
    faultsFor(t, { rate: 1, kinds: ["429"], retryAfterSeconds: 1, operations: ["createKey"] });
    const error = await t.throwsAsync(
      kek.up({ vaultUrl: emulator.emulator.url(HSM), name: "always-throttled", size: 2048 }),
    );
    t.regex(error.message, /ERR_THROTTLED: could not create the KEK "always-throttled"/);
    t.regex(error.message, /run pulumi up again later, or with fewer parallel operations/);
    t.is(emulator.emulator.faults.counters().byKind["429"], 7, "1 attempt and 6 retries");
    t.is(kek.state, undefined);
    t.deepEqual(await versionsOf("always-throttled"), []);
  },
);
