/**
 * Target 3 (cold start): from spawning the plugin host to the answer of its first Check, with
 * the package loaded from its TypeScript sources through tsx (a clone) and from the build
 * (`dist/`, what users run), interleaved. The baseline of each is the same host's own start (to
 * the port line it prints), which is Pulumi's code and runs before any of ours is loaded.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT, startPluginHost, urnOf } from "../test/harness/pluginHost.js";
import type { Row } from "./report.js";
import { skippedRow } from "./report.js";
import { median, nowMs } from "./stats.js";

/** What the cold-start bench needs. */
export interface ColdStartContext {
  /** One `ByokImportedKey` input (a real `.byok` file) for the first Check. */
  readonly news: Record<string, unknown>;
  readonly rounds: number;
  /** Whether `dist/` was built in this run (else it may be stale or absent). */
  readonly distBuilt: boolean;
}

interface Sample {
  readonly portMs: number;
  readonly checkMs: number;
}

async function coldStart(
  source: boolean,
  news: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Sample> {
  const start = nowMs();
  const host = await startPluginHost({ source, env });
  const portMs = nowMs() - start;
  try {
    await host.configure();
    const { failures } = await host.check(urnOf("ByokImportedKey", "cold"), {}, news);
    const checkMs = nowMs() - start;
    if (failures.length > 0)
      throw new Error(`cold-start check failed: ${JSON.stringify(failures)}`);
    return { portMs, checkMs };
  } finally {
    await host.close();
  }
}

function row(
  id: "3-cold-start-source" | "3-cold-start-dist",
  what: string,
  samples: Sample[],
  note: string,
): Row {
  const figure = median(samples.map((s) => s.checkMs)) / 1000;
  const baseline = median(samples.map((s) => s.portMs)) / 1000;
  return {
    id,
    what,
    figure,
    baseline,
    unit: "s",
    baselineWhat:
      "the same host's start to its port line (Pulumi's code, before ours loads), median",
    ratio: figure / baseline,
    ratioWhat: "figure / baseline",
    target: "≤ 0.5 s",
    pass: figure <= 0.5,
    note,
  };
}

/** Runs the cold-start bench; returns rows 3-cold-start-source and 3-cold-start-dist. */
export async function benchColdStart(ctx: ColdStartContext): Promise<Row[]> {
  const { news, rounds, distBuilt } = ctx;
  const hasDist = existsSync(join(PACKAGE_ROOT, "dist", "provider", "runtime.js"));
  const source: Sample[] = [];
  const dist: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    source.push(await coldStart(true, news));
    if (hasDist) dist.push(await coldStart(false, news));
  }
  // tsx keeps its transforms in a disk cache; the very first run after a change pays the compile.
  const uncached = await coldStart(true, news, { TSX_DISABLE_CACHE: "1" });
  const fmt = (s: Sample[]): string => s.map((x) => (x.checkMs / 1000).toFixed(3)).join(", ");
  const rows = [
    row(
      "3-cold-start-source",
      "spawn → first Check answer, TypeScript sources through tsx (a clone), median",
      source,
      `${rounds} run(s) interleaved with dist: ${fmt(source)} s; tsx cache warm. With the tsx cache off (first run after an edit): ${(uncached.checkMs / 1000).toFixed(3)} s (port line ${(uncached.portMs / 1000).toFixed(3)} s)`,
    ),
  ];
  rows.push(
    hasDist
      ? row(
          "3-cold-start-dist",
          "spawn → first Check answer, the build (dist/, what users run), median",
          dist,
          `${rounds} run(s) interleaved with source: ${fmt(dist)} s${distBuilt ? "; dist/ built by this run" : "; dist/ as found (not rebuilt by this run)"}`,
        )
      : skippedRow(
          "3-cold-start-dist",
          "spawn → first Check answer, the build (dist/)",
          "≤ 0.5 s",
          "no dist/ (run npm run build, or the full bench, which builds it)",
          "s",
        ),
  );
  return rows;
}
