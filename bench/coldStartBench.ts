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
import type { NativeClient } from "./nativeClient.js";
import { nativeClient } from "./nativeClient.js";
import { checkFailures, encodeCheck, encodeConfigure } from "./preEncodedPreview.js";
import type { Row } from "./report.js";
import { median } from "./stats.js";

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

/** The native client (as light as the Go engine's), or undefined for this process's Node client. */
type Caller = Extract<NativeClient, { available: true }> | undefined;

const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Spawns a host, then Configure and the first Check, as the engine does; ms from the spawn to
 * the port line and to Check's answer. The native client reports when the answer arrived on
 * CLOCK_MONOTONIC, the clock of process.hrtime, so its own exit is not counted.
 */
async function coldStart(
  layout: Layout,
  news: Record<string, unknown>,
  caller: Caller,
  env: Record<string, string> = {},
): Promise<Sample> {
  const urn = urnOf("ByokImportedKey", "cold");
  // the native client is started, waiting for the port, before the clock starts
  const pending =
    caller === undefined
      ? undefined
      : await caller.cold(encodeConfigure(), encodeCheck(urn, {}, news));
  const start = process.hrtime.bigint();
  const host = await startPluginHost({ ...layout, env }).catch(async (error: unknown) => {
    await pending?.cancel();
    throw error;
  });
  const portMs = msSince(start);
  try {
    let failures: string[];
    let checkMs: number;
    if (pending === undefined) {
      await host.configure();
      const answer = await host.check(urn, {}, news);
      checkMs = msSince(start);
      failures = answer.failures.map((f) => `${f.property}: ${f.reason}`);
    } else {
      const answer = await pending.connect(host.port);
      checkMs = Number(answer.answeredAtNs - start) / 1e6;
      failures = checkFailures(answer.checkAnswer);
    }
    if (failures.length > 0) throw new Error(`cold-start check failed: ${failures.join("; ")}`);
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
  const native = nativeClient();
  const caller: Caller = native.available ? native : undefined;
  const installed: Layout = { source: false, packageDir };
  const installedNews = { ...news, __provider: installedProvider };
  const cloneNews = { ...news, __provider: cloneProvider };
  const source: Sample[] = [];
  const dist: Sample[] = [];
  const distFromNode: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    source.push(await coldStart({ source: true }, cloneNews, caller));
    dist.push(await coldStart(installed, installedNews, caller));
    if (caller !== undefined)
      distFromNode.push(await coldStart(installed, installedNews, undefined));
  }
  // tsx keeps its transforms in a disk cache; the very first run after a change pays the compile.
  const uncached = await coldStart({ source: true }, cloneNews, caller, { TSX_DISABLE_CACHE: "1" });
  const fmt = (s: Sample[]): string => s.map((x) => (x.checkMs / 1000).toFixed(3)).join(", ");
  const client = native.available
    ? "Configure and Check from the native client (bench/nativeClient, as light as the Go engine's)"
    : `Configure and Check from this process's Node client (the native one is unavailable: ${native.reason})`;
  const nodeMedian = distFromNode.length > 0 ? median(distFromNode.map((x) => x.checkMs)) : 0;
  const fromNode =
    distFromNode.length > 0
      ? `. From this benchmark's Node client (@grpc/grpc-js) instead: ${(nodeMedian / 1000).toFixed(3)} s, ${(nodeMedian - median(dist.map((x) => x.checkMs))).toFixed(1)} ms more`
      : "";
  return [
    row(
      "3-cold-start-source",
      `spawn → first Check answer, a clone's TypeScript sources through tsx (how this repository's tests run the provider), ${client}, median`,
      source,
      `${rounds} run(s) interleaved with dist: ${fmt(source)} s; tsx cache warm. With the tsx cache off (first run after an edit): ${(uncached.checkMs / 1000).toFixed(3)} s (port line ${(uncached.portMs / 1000).toFixed(3)} s). Informational: tsx's loader alone adds about 0.3 s to the host's own start`,
    ),
    row(
      "3-cold-start-dist",
      `spawn → first Check answer, the package as an npm install lays it out (built dist/, __provider stored by name: what users run), ${client}, median`,
      dist,
      `${rounds} run(s) interleaved with source: ${fmt(dist)} s; dist/ built by this run${fromNode}`,
    ),
  ];
}
