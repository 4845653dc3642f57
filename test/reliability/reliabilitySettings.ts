/**
 * The reliability suite's two sizes and its results (issue 8). `npm test` runs a fixed-seed subset
 * that takes seconds; `npm run test:reliability` sets RELIABILITY_FULL=1 for the full counts
 * (10 bursts of 200 writes, 10,000 HTTP requests, 10,000 .byok files) and prints the summary
 * table that {@link recordReliabilityResult} feeds.
 *
 * @module
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KeyObject } from "node:crypto";
import { describeKeySpec } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { writeSecretFingerprints } from "./leakScan.js";

/** True under `npm run test:reliability`. */
export const RELIABILITY_FULL = process.env.RELIABILITY_FULL === "1";

/** The seed of every generator in the suite; RELIABILITY_SEED overrides it for a new run. */
export const RELIABILITY_SEED = Number.parseInt(process.env.RELIABILITY_SEED ?? "8", 10);

/** `full` under RELIABILITY_FULL=1, else `subset`. */
export function sized(subset: number, full: number): number {
  return RELIABILITY_FULL ? full : subset;
}

/** Where the suite keeps what it produced (data dirs, logs, results) for the leak scan. */
export const RELIABILITY_DIR = path.resolve(".azure-byok", "reliability");
export const RESULTS_DIR = path.join(RELIABILITY_DIR, "results");

/** One row of the summary table. Counts not measured by a test are 0. */
export interface ReliabilityResult {
  readonly faultsInjected?: number;
  readonly faultsSurvived?: number;
  readonly inputsTried?: number;
  readonly inputsRejected?: number;
  /** Writes sent, acknowledged or not (a crash test's full size is what it attempted). */
  readonly writesAttempted?: number;
  readonly writesAcknowledged?: number;
  readonly writesLost?: number;
  /** Anything a reader of the table should know (kinds, seed, sizes). */
  readonly note?: string;
}

/** Writes a test's row for the summary (`.azure-byok/reliability/results/<name>.json`). */
export function recordReliabilityResult(name: string, result: ReliabilityResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    path.join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify({ name, full: RELIABILITY_FULL, seed: RELIABILITY_SEED, ...result }, null, 2)}\n`,
  );
}

/** Where {@link registerSecretForLeakScan} writes fingerprints, never keys. */
export const SECRETS_DIR = path.join(RELIABILITY_DIR, "secrets");

/** Where tests copy what they made in temporary directories, for the leak scan of a full run. */
export const ARTIFACTS_DIR = path.join(RELIABILITY_DIR, "artifacts");

/**
 * Records fingerprints of private key material (a private KeyObject or raw AES bytes) so the leak scan
 * can find it in any file later, in raw, hex, base64 or base64url form. Only truncated SHA-256
 * hashes of windows are written (see `leakScan.ts` for the scheme), never the key. Only when
 * `npm run test:reliability` asks for it (AZURE_BYOK_LEAK_FINGERPRINTS=1), so a plain `npm test`
 * writes nothing.
 */
export function registerSecretForLeakScan(label: string, secret: KeyObject | Uint8Array): void {
  if (process.env.AZURE_BYOK_LEAK_FINGERPRINTS !== "1") return;
  writeSecretFingerprints(SECRETS_DIR, label, secret);
}

/** {@link registerSecretForLeakScan} for a target key: its PKCS#8 DER, or its raw AES bytes. */
export function registerTargetKeyForLeakScan(label: string, target: TargetKey): TargetKey {
  registerSecretForLeakScan(
    `${label} (${describeKeySpec(target.spec)})`,
    "octKey" in target ? target.octKey : target.privateKey,
  );
  return target;
}

/**
 * Under RELIABILITY_FULL, copies `dir` (a test's temporary data dir, state, logs) to
 * `.azure-byok/reliability/artifacts/<as>` before the test removes it, so the runner's leak scan
 * covers it. Does nothing in the CI subset.
 */
export function keepForLeakScan(dir: string, as: string): void {
  if (!RELIABILITY_FULL || !existsSync(dir)) return;
  const target = path.join(ARTIFACTS_DIR, `${as}-${process.pid}-${Date.now()}`);
  cpSync(dir, target, { recursive: true });
}

/**
 * Under RELIABILITY_FULL, appends `text` as one line to
 * `.azure-byok/reliability/artifacts/<as>-<pid>.log`: for what a test holds only in memory (a
 * resource driver's state, as a state file would have held it), so the runner's leak scan reads
 * it. Does nothing in the CI subset.
 */
export function appendForLeakScan(as: string, text: string): void {
  if (!RELIABILITY_FULL) return;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  appendFileSync(path.join(ARTIFACTS_DIR, `${as}-${process.pid}.log`), `${text}\n`);
}
