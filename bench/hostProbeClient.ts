/**
 * Reading the plugin host from outside: `hostProbe.cjs` is preloaded into it through
 * NODE_OPTIONS and, on SIGUSR2, writes its memory, the time it spent on each Check and Diff and,
 * when asked, the Azure SDK modules it has loaded.
 *
 * @module
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** What the probe reports. */
export interface ProbeReport {
  readonly pid: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** True when the module probe (and its loader thread) ran: `azureCjs`/`azureEsm` are valid. */
  readonly modulesProbed: boolean;
  readonly azureCjs: number;
  readonly azureEsm: number;
  readonly sample: readonly string[];
  /** The host's own time per call, in order: decoding the request to encoding the answer. */
  readonly callMs: { readonly Check: readonly number[]; readonly Diff: readonly number[] };
}

/**
 * The environment that preloads the probe, reporting to `file`. With `modules`, it also records
 * the modules loaded, through a resolve hook whose loader thread adds about 10 MB of RSS: leave
 * it off where memory is measured.
 */
export function probeEnv(
  file: string,
  options: { modules?: boolean } = {},
): Record<string, string> {
  // --import, not --require: module.register() from a --require preload exits the process
  // silently with code 1 on Node 20.20.
  const preload = `--import=${pathToFileURL(join(__dirname, "hostProbe.cjs")).href}`;
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(" "),
    AZURE_BYOK_BENCH_PROBE: file,
    ...(options.modules === true ? { AZURE_BYOK_BENCH_PROBE_MODULES: "1" } : {}),
  };
}

/** Asks the probed process for a report. */
export async function readProbe(file: string): Promise<ProbeReport> {
  const pid = Number(readFileSync(`${file}.pid`, "utf8"));
  rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited < 5000; waited += 10) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ProbeReport;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the plugin host (pid ${pid}) did not answer the probe`);
}
