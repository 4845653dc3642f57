/**
 * The reliability suite's two sizes and its results (issue 8). `npm test` runs a fixed-seed subset
 * that takes seconds; `npm run test:reliability` sets RELIABILITY_FULL=1 for the full counts
 * (10 bursts of 200 writes, 10,000 HTTP requests, 10,000 .byok files) and prints the summary
 * table that {@link recordReliabilityResult} feeds.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

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
