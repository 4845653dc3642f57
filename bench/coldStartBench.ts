/**
 * Target 3 (cold start): from spawning the plugin host to the answer of its first Check, with
 * the package as an npm install lays it out (built `dist/`, `__provider` stored by name: what
 * users run, the target's row), and, for information, from a clone's TypeScript sources through
 * tsx (what this repository's tests run), interleaved. The baseline of each is the same host's
 * own start (to the port line it prints), which is Pulumi's code and runs before any of ours is
 * loaded.
 *
 * @module
 */
import { startPluginHost, urnOf } from "../test/harness/pluginHost.js";
import type { Row } from "./report.js";
import { median, nowMs } from "./stats.js";

/** What the cold-start bench needs. */
export interface ColdStartContext {
  /** One `ByokImportedKey` input (a real `.byok` file) for the first Check, without `__provider`. */
  readonly news: Record<string, unknown>;
  /** An npm install's `__provider` and package (installedPackage.ts). */
  readonly installedProvider: string;
  readonly packageDir: string;
  /** The `__provider` a program in this clone registers (stored by value). */
  readonly cloneProvider: string;
  readonly rounds: number;
}

/** Where the host loads the package from. */
type Layout = { readonly source: true } | { readonly source: false; readonly packageDir: string };

interface Sample {
  readonly portMs: number;
  readonly checkMs: number;
}

async function coldStart(
  layout: Layout,
  news: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Sample> {
  const start = nowMs();
  const host = await startPluginHost({ ...layout, env });
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
  const informational = id === "3-cold-start-source";
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
    target: informational ? "info: a clone's test path; users run dist/" : "≤ 0.5 s",
    pass: informational ? null : figure <= 0.5,
    note,
  };
}

/** Runs the cold-start bench; returns rows 3-cold-start-source and 3-cold-start-dist. */
export async function benchColdStart(ctx: ColdStartContext): Promise<Row[]> {
  const { news, installedProvider, packageDir, cloneProvider, rounds } = ctx;
  const installed: Layout = { source: false, packageDir };
  const installedNews = { ...news, __provider: installedProvider };
  const cloneNews = { ...news, __provider: cloneProvider };
  const source: Sample[] = [];
  const dist: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    source.push(await coldStart({ source: true }, cloneNews));
    dist.push(await coldStart(installed, installedNews));
  }
  // tsx keeps its transforms in a disk cache; the very first run after a change pays the compile.
  const uncached = await coldStart({ source: true }, cloneNews, { TSX_DISABLE_CACHE: "1" });
  const fmt = (s: Sample[]): string => s.map((x) => (x.checkMs / 1000).toFixed(3)).join(", ");
  return [
    row(
      "3-cold-start-source",
      "spawn → first Check answer, a clone's TypeScript sources through tsx (how this repository's tests run the provider), median",
      source,
      `${rounds} run(s) interleaved with dist: ${fmt(source)} s; tsx cache warm. With the tsx cache off (first run after an edit): ${(uncached.checkMs / 1000).toFixed(3)} s (port line ${(uncached.portMs / 1000).toFixed(3)} s). Informational: tsx's loader alone adds about 0.3 s to the host's own start`,
    ),
    row(
      "3-cold-start-dist",
      "spawn → first Check answer, the package as an npm install lays it out (built dist/, __provider stored by name: what users run), median",
      dist,
      `${rounds} run(s) interleaved with source: ${fmt(dist)} s; dist/ built by this run`,
    ),
  ];
}
