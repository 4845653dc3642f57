/**
 * Fault injection (issue 8): each kind as a client sees it (429 and 503 with Retry-After, 500,
 * a reset before the write, a reset after it, latency), the same seed giving the same faults,
 * and the stock KeyClient with its retries on getting through a run of faults with nothing
 * lost, where the only trace of a reset after commit is an extra version.
 */
import test from "ava";
import { KeyClient } from "@azure/keyvault-keys";
import { FAULT_KINDS } from "../../emulator/index.js";
import type { FaultCounters } from "../../emulator/index.js";
import { rawRequest, startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { RELIABILITY_SEED, recordReliabilityResult, sized } from "./reliabilitySettings.js";

let env: TestEmulator;
let hsmUrl: string;

test.before(async () => {
  env = await startTestEmulator({ vaults: [{ name: "fault-hsm", kind: "managedhsm" }] });
  hsmUrl = env.emulator.url("fault-hsm");
});

test.after.always(async () => {
  await env.emulator.stop();
});

function auth(): Record<string, string> {
  return { authorization: `Bearer ${env.emulator.issueToken({})}` };
}

function createEc(name: string): ReturnType<typeof rawRequest> {
  return rawRequest(`${hsmUrl}/keys/${name}/create?api-version=7.6`, {
    method: "POST",
    headers: auth(),
    body: { kty: "EC-HSM", crv: "P-256" },
  });
}

async function versionsOf(name: string): Promise<number> {
  env.emulator.faults.clear();
  const response = await rawRequest(`${hsmUrl}/keys/${name}/versions?api-version=7.6`, {
    headers: auth(),
  });
  if (response.status === 404) return 0;
  return (response.json as { value: unknown[] }).value.length;
}

function errorCode(json: unknown): string | undefined {
  return (json as { error?: { code?: string } } | undefined)?.error?.code;
}

// The tests below share one emulator's fault settings, so they run one after another.
test.serial(
  "a 429 fault answers Throttled with Retry-After, in the service's error shape, and writes nothing",
  async (t) => {
    env.emulator.faults.set({ rate: 1, kinds: ["429"], retryAfterSeconds: 3 });
    const response = await createEc("fault-429");
    t.is(response.status, 429);
    t.is(response.headers["retry-after"], "3");
    t.is(errorCode(response.json), "Throttled");
    t.regex(
      (response.json as { error: { message: string } }).error.message,
      /too many requests.*\(Activity ID: [0-9a-f-]+\)$/,
    );
    t.is(await versionsOf("fault-429"), 0);
  },
);

test.serial(
  "a 503 fault answers ServiceUnavailable with Retry-After and writes nothing",
  async (t) => {
    env.emulator.faults.set({ rate: 1, kinds: ["503"], retryAfterSeconds: 1 });
    const response = await createEc("fault-503");
    t.is(response.status, 503);
    t.is(response.headers["retry-after"], "1");
    t.is(errorCode(response.json), "ServiceUnavailable");
    t.is(await versionsOf("fault-503"), 0);
  },
);

test.serial("a 500 fault answers InternalError and writes nothing", async (t) => {
  env.emulator.faults.set({ rate: 1, kinds: ["500"] });
  const response = await createEc("fault-500");
  t.is(response.status, 500);
  t.is(errorCode(response.json), "InternalError");
  t.is(await versionsOf("fault-500"), 0);
});

test.serial("a reset before commit drops the connection and the key is not created", async (t) => {
  env.emulator.faults.set({ rate: 1, kinds: ["reset-before-commit"] });
  const error = await t.throwsAsync(createEc("fault-reset-before"));
  t.regex(error.message, /socket hang up|ECONNRESET/);
  t.is(await versionsOf("fault-reset-before"), 0);
});

test.serial(
  "a reset after commit drops the connection but the key was created: the client cannot tell",
  async (t) => {
    env.emulator.faults.set({ rate: 1, kinds: ["reset-after-commit"] });
    const error = await t.throwsAsync(createEc("fault-reset-after"));
    t.regex(error.message, /socket hang up|ECONNRESET/);
    t.is(await versionsOf("fault-reset-after"), 1);
  },
);

test.serial("a latency fault answers normally, latencyMs later", async (t) => {
  env.emulator.faults.set({ rate: 1, kinds: ["latency"], latencyMs: 300 });
  const started = Date.now();
  const response = await createEc("fault-latency");
  t.is(response.status, 200);
  t.true(Date.now() - started >= 290, `answered after ${Date.now() - started} ms`);
  t.is(env.emulator.faults.counters().byKind.latency, 1);
});

test.serial(
  "operations and limit narrow the faults: one 500 on one create, nothing else",
  async (t) => {
    env.emulator.faults.set({ rate: 1, kinds: ["500"], operations: ["createKey"], limit: 1 });
    const list = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, { headers: auth() });
    t.is(list.status, 200);
    t.is((await createEc("fault-limit")).status, 500);
    t.is((await createEc("fault-limit")).status, 200);
    t.deepEqual(env.emulator.faults.counters(), {
      requests: 3,
      eligible: 2,
      injected: 1,
      byKind: {
        "429": 0,
        "503": 0,
        "500": 1,
        "reset-before-commit": 0,
        "reset-after-commit": 0,
        latency: 0,
      },
    });
  },
);

async function statusSequence(seed: number, count: number): Promise<string[]> {
  env.emulator.faults.set({
    rate: 0.5,
    kinds: ["429", "503", "500", "reset-before-commit"],
    seed,
  });
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, { headers: auth() });
      seen.push(String(response.status));
    } catch {
      seen.push("reset");
    }
  }
  return seen;
}

test.serial(
  "the same seed injects the same faults in the same order; another seed does not",
  async (t) => {
    const first = await statusSequence(1234, 40);
    const again = await statusSequence(1234, 40);
    const other = await statusSequence(4321, 40);
    t.deepEqual(again, first);
    t.notDeepEqual(other, first);
    t.true(first.includes("200") && first.some((s) => s !== "200"), first.join(" "));
  },
);

test.serial("settings that make no sense are refused, naming the setting", (t) => {
  t.throws(
    () => {
      env.emulator.faults.set({ rate: 1.5 });
    },
    {
      message: "faults.rate is 1.5: use a probability from 0 to 1",
    },
  );
  t.throws(
    () => {
      env.emulator.faults.set({ rate: 0.1, kinds: [] });
    },
    {
      message: "faults.kinds is empty: leave it out for every kind",
    },
  );
  t.throws(
    () => {
      env.emulator.faults.set({ rate: 0.1, latencyMs: -1 });
    },
    {
      message: "faults.latencyMs is -1: use a whole number, 0 or more",
    },
  );
});

test.serial(
  "the stock KeyClient with retries gets through every kind of fault: each create lands, resets after commit add a version, nothing is lost",
  async (t) => {
    const operations = sized(40, 400);
    const client = new KeyClient(hsmUrl, env.credential, {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 12, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
    });
    const names = Array.from({ length: operations }, (_, i) => `fault-sdk-${i}`);
    let attempted = 0;
    let failed = 0;
    let injected = 0;
    /** Faults injected into an operation that then succeeded (one operation at a time). */
    let survived = 0;
    const created = new Set<string>();
    const updated = new Set<string>();
    let lost: number | undefined;
    let createFaults: FaultCounters | undefined;
    let readFaults: FaultCounters | undefined;
    /** Runs one operation and attributes the faults injected meanwhile to it. */
    const attempt = async (name: string, operation: () => Promise<unknown>): Promise<boolean> => {
      const before = env.emulator.faults.counters().injected;
      attempted++;
      let ok = true;
      try {
        await operation();
      } catch (error) {
        ok = false;
        failed++;
        t.log(`${name}: ${String(error)}`);
      }
      const during = env.emulator.faults.counters().injected - before;
      injected += during;
      if (ok) survived += during;
      return ok;
    };
    try {
      // Phase 1: faults on creates only, so every extra version is a reset after commit.
      env.emulator.faults.set({
        rate: 0.3,
        kinds: FAULT_KINDS,
        latencyMs: 5,
        seed: RELIABILITY_SEED,
        operations: ["createKey"],
      });
      for (const name of names) {
        if (await attempt(name, () => client.createEcKey(name, { hsm: true, curve: "P-256" })))
          created.add(name);
      }
      createFaults = env.emulator.faults.counters();
      // Phase 2: faults on everything while reading back and updating each key.
      env.emulator.faults.set({
        rate: 0.3,
        kinds: FAULT_KINDS,
        latencyMs: 5,
        seed: RELIABILITY_SEED + 1,
      });
      for (const name of names) {
        const done = await attempt(name, async () => {
          const key = await client.getKey(name);
          await client.updateKeyProperties(name, key.properties.version!, {
            tags: { seen: "yes" },
          });
        });
        if (done) updated.add(name);
      }
      readFaults = env.emulator.faults.counters();
      env.emulator.faults.clear();
      // An acknowledged write is lost when the vault does not have it: a created key without a
      // version, an updated key without its tag.
      let missing = 0;
      let versions = 0;
      for (const name of names) {
        const count = await versionsOf(name);
        versions += count;
        const key = count === 0 ? undefined : await client.getKey(name);
        if (
          (created.has(name) && count === 0) ||
          (updated.has(name) && key?.properties.tags?.seen !== "yes")
        )
          missing++;
      }
      lost = missing;
      t.is(versions, operations + createFaults.byKind["reset-after-commit"]);
    } finally {
      recordReliabilityResult("faults", {
        faultsInjected: injected,
        faultsSurvived: survived,
        writesAttempted: attempted,
        writesAcknowledged: created.size + updated.size,
        // acknowledged writes never read back (the test stopped first) count as lost
        writesLost: lost ?? created.size + updated.size,
        note: `${operations} creates + ${operations} get/update at 30% faults, all kinds; ${failed} operations failed`,
      });
    }
    t.is(failed, 0);
    t.is(lost, 0);
    t.true(createFaults.injected > 0 && readFaults.injected > 0);
    for (const kind of FAULT_KINDS)
      t.true(createFaults.byKind[kind] + readFaults.byKind[kind] > 0, `no ${kind} fault injected`);
    t.log(
      `${injected} faults injected (${JSON.stringify({ create: createFaults.byKind, other: readFaults.byKind })}), ${operations} keys`,
    );
  },
);
