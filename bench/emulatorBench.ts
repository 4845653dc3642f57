/**
 * Target 4: the emulator's cost over the cryptography it does.
 * - RSA-2048 sign over HTTPS through the SDK's CryptographyClient at concurrency 16, against raw
 *   `node:crypto` sign on one thread (the emulator signs on its one event loop too), interleaved;
 * - a BYOK import of an RSA-2048 target through the SDK, against the raw unwrap with `byok/`
 *   (same KEK size), interleaved one by one;
 * - a ping stream (GET of a key with a token, keep-alive) while RSA-4096 KEKs are generated,
 *   against the same stream with nothing else running; plus the emulator's own event-loop delay.
 *
 * @module
 */
import { createHash, sign as cryptoSign } from "node:crypto";
import https from "node:https";
import { CryptographyClient } from "@azure/keyvault-keys";
import { parseByokFile, unwrapByokFile } from "../byok/index.js";
import type { BenchEmulator } from "./emulatorClient.js";
import type { Sdk } from "./fixtures.js";
import { createEmulatorKek, localKek, targetPool, wrapMany } from "./fixtures.js";
import type { Row } from "./report.js";
import { median, nowMs, percentile } from "./stats.js";

/** What the emulator bench needs. */
export interface EmulatorBenchContext {
  readonly emulator: BenchEmulator;
  readonly sdk: Sdk;
  /** Seconds per sign window. */
  readonly signSeconds: number;
  readonly signRounds: number;
  readonly imports: number;
  readonly keygenRounds: number;
}

const CONCURRENCY = 16;

async function signThroughSdk(
  client: CryptographyClient,
  digest: Buffer,
  seconds: number,
): Promise<number> {
  const until = nowMs() + seconds * 1000;
  let done = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (nowMs() < until) {
        await client.sign("RS256", digest);
        done++;
      }
    }),
  );
  return done / ((nowMs() - start) / 1000);
}

function signRaw(key: Parameters<typeof cryptoSign>[2], message: Buffer, seconds: number): number {
  const until = nowMs() + seconds * 1000;
  let done = 0;
  const start = nowMs();
  while (nowMs() < until) {
    cryptoSign("sha256", message, key);
    done++;
  }
  return done / ((nowMs() - start) / 1000);
}

async function benchSign(ctx: EmulatorBenchContext): Promise<Row> {
  const { sdk, signSeconds, signRounds } = ctx;
  const key = await sdk.keyClient.createRsaKey("bench-sign", {
    hsm: true,
    keySize: 2048,
    keyOps: ["sign", "verify"],
  });
  const client = new CryptographyClient(key, sdk.credential, {
    disableChallengeResourceVerification: true,
  });
  const local = localKek(2048).privateKey;
  const message = Buffer.from("azure-byok bench: a message to sign");
  const digest = createHash("sha256").update(message).digest();
  await client.sign("RS256", digest); // the first call pays the challenge and the token
  // One window not counted: its first seconds open the 16 TLS connections and run both sides'
  // code unoptimized, and a long-running client (a test suite, a service) pays that once.
  const warmUp = await signThroughSdk(client, digest, signSeconds);
  const sdkRates: number[] = [];
  const rawRates: number[] = [];
  for (let round = 0; round < signRounds; round++) {
    sdkRates.push(await signThroughSdk(client, digest, signSeconds));
    rawRates.push(signRaw(local, message, signSeconds));
  }
  const figure = median(sdkRates);
  const baseline = median(rawRates);
  return {
    id: "4-sign-throughput",
    what: `RSA-2048 RS256 sign over HTTPS, SDK CryptographyClient, concurrency ${CONCURRENCY}, emulator in its own process, median`,
    figure,
    baseline,
    unit: "ops/s",
    baselineWhat: "raw node:crypto sign, one thread, same process as the client, median",
    ratio: figure / baseline,
    ratioWhat: "figure / baseline",
    target: "ratio ≥ 0.5",
    pass: figure / baseline >= 0.5,
    note: `${signRounds} window(s) of ${signSeconds} s interleaved: SDK ${sdkRates.map(Math.round).join(", ")}, raw ${rawRates.map(Math.round).join(", ")} ops/s; after one SDK window not counted (${Math.round(warmUp)} ops/s: new TLS connections, code not yet optimized)`,
  };
}

async function benchImport(ctx: EmulatorBenchContext): Promise<Row> {
  const { sdk, imports } = ctx;
  const kek = await createEmulatorKek(sdk, "bench-kek-2048", 2048);
  const local = localKek(2048);
  const targets = await targetPool("rsa-2048", 4);
  const remote = wrapMany(targets, imports + 1, kek);
  const raw = wrapMany(targets, imports, { kid: kek.kid, publicKeyPem: local.publicKeyPem });
  await sdk.keyClient.importKey("bench-import-warm", {
    kty: "RSA-HSM",
    t: Buffer.from(remote[imports] ?? ""),
  });
  const importMs: number[] = [];
  const unwrapMs: number[] = [];
  for (let i = 0; i < imports; i++) {
    let start = nowMs();
    await sdk.keyClient.importKey(`bench-import-${i}`, {
      kty: "RSA-HSM",
      t: Buffer.from(remote[i] ?? ""),
    });
    importMs.push(nowMs() - start);
    start = nowMs();
    unwrapByokFile(parseByokFile(raw[i] ?? ""), local.privateKey, { expected: { kty: "RSA" } });
    unwrapMs.push(nowMs() - start);
  }
  const figure = median(importMs);
  const baseline = median(unwrapMs);
  return {
    id: "4-byok-import-vs-unwrap",
    what: "BYOK import of an RSA-2048 target (KEK RSA-2048) through the SDK KeyClient, one at a time, median",
    figure,
    baseline,
    unit: "ms",
    baselineWhat: "the raw unwrap (parse + RSA-OAEP + RFC 5649 with byok/, same KEK size), median",
    ratio: figure / baseline,
    ratioWhat: "figure / baseline",
    target: "ratio ≤ 3×",
    pass: figure / baseline <= 3,
    note: `${imports} imports interleaved with ${imports} unwraps; import p90 ${percentile(importMs, 90).toFixed(2)} ms, unwrap p90 ${percentile(unwrapMs, 90).toFixed(2)} ms`,
  };
}

/** GETs a key with a bearer token over one keep-alive connection, every `gapMs`, until `stop()`. */
function pingStream(url: string, token: string, gapMs: number): { stop(): Promise<number[]> } {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  const state = { running: true };
  const ping = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const start = nowMs();
      const req = https.request(
        url,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode !== 200)
              reject(new Error(`ping answered ${String(res.statusCode)}`));
            else {
              latencies.push(nowMs() - start);
              resolve();
            }
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
  const loop = (async () => {
    while (state.running) {
      await ping();
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      agent.destroy();
      return latencies;
    },
  };
}

async function benchKeygen(ctx: EmulatorBenchContext): Promise<Row> {
  const { emulator, sdk, keygenRounds } = ctx;
  await sdk.keyClient.createRsaKey("bench-ping", { hsm: true, keySize: 2048 });
  const token = await sdk.credential.getToken("https://managedhsm.azure.net/.default");
  if (token === null) throw new Error("no token from the emulator's managed identity endpoint");
  const url = `${emulator.vaultUrl}/keys/bench-ping?api-version=7.5`;
  const idle: number[] = [];
  const busy: number[] = [];
  const eldBusy: number[] = [];
  const keygenMs: number[] = [];
  for (let round = 0; round < keygenRounds; round++) {
    // B first: with an RSA-4096 KEK being made.
    await emulator.eldReset();
    const stream = pingStream(url, token.token, 5);
    const start = nowMs();
    await sdk.keyClient.createRsaKey(`bench-kek-4096-${round}`, {
      hsm: true,
      keySize: 4096,
      keyOps: ["import"],
    });
    const took = nowMs() - start;
    keygenMs.push(took);
    busy.push(...(await stream.stop()));
    eldBusy.push((await emulator.eld()).p99Ms);
    // A: the same stream for as long, with nothing else running.
    const quiet = pingStream(url, token.token, 5);
    await new Promise((resolve) => setTimeout(resolve, Math.max(500, took)));
    idle.push(...(await quiet.stop()));
  }
  const figure = percentile(busy, 99);
  const baseline = percentile(idle, 99);
  return {
    id: "4-keygen-ping-p99",
    what: "ping p99 (GET a key over HTTPS, keep-alive, every 5 ms) while the emulator makes an RSA-4096 KEK",
    figure,
    baseline,
    unit: "ms",
    baselineWhat: "the same ping stream with no key generation, p99",
    ratio: figure / baseline,
    ratioWhat: "figure / baseline",
    target: "≤ 20 ms",
    pass: figure <= 20,
    note: `${keygenRounds} KEK(s), generation took ${keygenMs.map(Math.round).join(", ")} ms; ${busy.length} pings during, ${idle.length} idle; emulator event-loop delay p99 during generation ${eldBusy.map((v) => v.toFixed(1)).join(", ")} ms`,
  };
}

/** Runs the emulator bench; returns rows 4-*. */
export async function benchEmulator(ctx: EmulatorBenchContext): Promise<Row[]> {
  return [await benchSign(ctx), await benchImport(ctx), await benchKeygen(ctx)];
}
