/**
 * Targets 1 and 3 (part): a preview of N `ByokImportedKey` resources through the real plugin host,
 * the way the engine's step generator calls it (Check, then Diff, one resource after another),
 * against the state a real `up` left; and the baseline, a script reading the same keys through
 * the SDK. Also what the preview's host loaded (no Azure SDK) and its RSS after N resources.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byokImportedKeyImplementation } from "../provider/runtime.js";
import { PACKAGE_ROOT, startPluginHost, urnOf } from "../test/harness/pluginHost.js";
import type { PluginHost, PropertyMap } from "../test/harness/pluginHost.js";
import type { BenchEmulator } from "./emulatorClient.js";
import type { EmulatorKek, Sdk } from "./fixtures.js";
import { targetPool, wrapMany } from "./fixtures.js";
import { probeEnv, readProbe } from "./hostProbeClient.js";
import type { ProbeReport } from "./hostProbeClient.js";
import type { Row } from "./report.js";
import { median, nowMs, percentile, pool } from "./stats.js";

/** What the preview bench needs. */
export interface PreviewContext {
  readonly emulator: BenchEmulator;
  readonly sdk: Sdk;
  readonly kek: EmulatorKek;
  readonly byokProvider: string;
  readonly resources: number;
  readonly rounds: number;
}

interface Resource {
  readonly urn: string;
  readonly news: PropertyMap;
  /** What the `up` stored: Check's inputs and Create's outputs. */
  inputs: PropertyMap;
  outputs: PropertyMap;
  id: string;
}

/**
 * A provider that does nothing (Check echoes, Diff says no change): through the same host and
 * client it measures the floor, what gRPC, protobuf and the host cost without any of our code.
 */
const NULL_PROVIDER =
  "exports.handler = () => ({ check: (olds, news) => Promise.resolve({ inputs: news }), diff: () => Promise.resolve({ changes: false }) });";

/** One preview: Check then Diff for each resource in order; ms per resource. */
async function previewOnce(
  host: PluginHost,
  resources: readonly Resource[],
  provider?: string,
): Promise<number[]> {
  const times: number[] = [];
  for (const r of resources) {
    const news = provider === undefined ? r.news : { ...r.news, __provider: provider };
    const start = nowMs();
    const { inputs, failures } = await host.check(r.urn, r.inputs, news);
    const diff = await host.diff(r.id, r.urn, r.outputs, inputs);
    times.push(nowMs() - start);
    if (failures.length > 0 || diff.changes !== "none") {
      throw new Error(
        `preview of ${r.urn} planned a change: ${JSON.stringify({ failures, diff })}`,
      );
    }
  }
  return times;
}

/** One script run: reads every key through the SDK, one after another; ms per key. */
async function readAllOnce(sdk: Sdk, resources: readonly Resource[]): Promise<number[]> {
  const times: number[] = [];
  for (const r of resources) {
    const start = nowMs();
    await sdk.keyClient.getKey(r.news.name as string);
    times.push(nowMs() - start);
  }
  return times;
}

/** Check + Diff of each resource called in this process, no host: what our code costs; ms each. */
function inProcessOnce(resources: readonly Resource[]): number[] {
  return resources.map((r) => {
    const start = nowMs();
    const { inputs } = byokImportedKeyImplementation.check(r.inputs, r.news);
    byokImportedKeyImplementation.diff(r.id, r.outputs, inputs);
    return nowMs() - start;
  });
}

/** Runs the preview bench; returns rows 1-preview-*, 3-azure-sdk-in-check-diff, 3-rss-after-1000. */
export async function benchPreview(ctx: PreviewContext): Promise<Row[]> {
  const { emulator, sdk, kek, byokProvider, resources: count, rounds } = ctx;
  const targets = await targetPool("rsa-2048", 8);
  const files = wrapMany(targets, count, kek);
  const resources: Resource[] = files.map((byok, i) => ({
    urn: urnOf("ByokImportedKey", `preview-${i}`),
    news: {
      vaultUrl: emulator.vaultUrl,
      name: `preview-${i}`,
      byok,
      keyType: "RSA",
      kekKid: kek.kid,
      tags: { app: "bench", index: String(i) },
      __provider: byokProvider,
    },
    inputs: {},
    outputs: {},
    id: "",
  }));
  const probeDir = await mkdtemp(join(tmpdir(), "azure-byok-bench-probe-"));
  try {
    // The `up` that made the state: Check and Create through a host, 10 at a time.
    const upProbe = join(probeDir, "up.json");
    const up = await startPluginHost({ env: { ...emulator.env, ...probeEnv(upProbe) } });
    let upReport: ProbeReport;
    try {
      await up.configure();
      await pool(resources.length, 10, async (i) => {
        const r = resources[i]!;
        const { inputs, failures } = await up.check(r.urn, {}, r.news);
        if (failures.length > 0) throw new Error(`check failed: ${JSON.stringify(failures)}`);
        const created = await up.create(r.urn, inputs);
        r.inputs = inputs;
        r.outputs = created.properties;
        r.id = created.id;
      });
      upReport = await readProbe(upProbe);
    } finally {
      await up.close();
    }

    // The host runs the build when there is one (what users run), else the sources through tsx.
    const source = !existsSync(join(PACKAGE_ROOT, "dist", "provider", "runtime.js"));
    const previewTimes: number[] = [];
    const nullTimes: number[] = [];
    const inProcessTimes: number[] = [];
    const readTimes: number[] = [];
    const requestsDuringPreview: number[] = [];
    let beforeFirst: ProbeReport | undefined;
    let afterAll: ProbeReport | undefined;
    let nullAfterAll: ProbeReport | undefined;
    for (let round = 0; round < rounds; round++) {
      // A: a fresh `pulumi preview` (a new plugin host), Check + Diff for each resource.
      const probe = join(probeDir, `preview-${round}.json`);
      const host = await startPluginHost({ source, env: { ...emulator.env, ...probeEnv(probe) } });
      try {
        await host.configure();
        if (round === 0) beforeFirst = await readProbe(probe);
        const before = await emulator.counts();
        previewTimes.push(...(await previewOnce(host, resources)));
        const after = await emulator.counts();
        requestsDuringPreview.push(after.vault + after.token - before.vault - before.token);
        if (round === 0) afterAll = await readProbe(probe);
      } finally {
        await host.close();
      }
      // A0: the same through a provider that does nothing: the floor of host, gRPC and client.
      const nullProbe = join(probeDir, `null-${round}.json`);
      const nullHost = await startPluginHost({ source, env: probeEnv(nullProbe) });
      try {
        await nullHost.configure();
        nullTimes.push(...(await previewOnce(nullHost, resources, NULL_PROVIDER)));
        if (round === 0) nullAfterAll = await readProbe(nullProbe);
      } finally {
        await nullHost.close();
      }
      inProcessTimes.push(...inProcessOnce(resources));
      // B: a script reading the same keys through the SDK (warm client, one after another).
      readTimes.push(...(await readAllOnce(sdk, resources)));
    }
    const previewMs = median(previewTimes);
    const readMs = median(readTimes);
    const calls = requestsDuringPreview.reduce((a, b) => a + b, 0);
    const azureLoaded = (afterAll?.azureCjs ?? 0) + (afterAll?.azureEsm ?? 0);
    const controlLoaded = upReport.azureCjs + upReport.azureEsm;
    const mb = (report: ProbeReport | undefined): number => (report?.rssBytes ?? 0) / 2 ** 20;
    const rssMb = mb(afterAll);
    const floorMb = mb(beforeFirst);
    const mode = source ? "sources through tsx (no dist/)" : "dist/";
    return [
      {
        id: "1-preview-ms-per-resource",
        what: `Check + Diff through the plugin host, per resource, ${count} ByokImportedKey resources, median`,
        figure: previewMs,
        baseline: readMs,
        unit: "ms",
        baselineWhat:
          "a script's getKey per key through the SDK (warm client and token, loopback emulator), median",
        ratio: readMs / previewMs,
        ratioWhat: "baseline / figure",
        target: "≤ 1 ms and ratio ≥ 50×",
        pass: previewMs <= 1 && readMs / previewMs >= 50,
        note: `host runs ${mode}; ${rounds} round(s) interleaved (preview, null provider, in-process, script), ${previewTimes.length} samples each; preview p99 ${fmt(percentile(previewTimes, 99))} ms, read p99 ${fmt(percentile(readTimes, 99))} ms. Floor, a provider that does nothing through the same host and client: ${fmt(median(nullTimes))} ms; our Check + Diff called in-process (no host): ${fmt(median(inProcessTimes))} ms, ratio to the script ${fmt(readMs / median(inProcessTimes))}×`,
      },
      {
        id: "1-preview-network-calls",
        what: "HTTP requests the emulator saw (vault + token endpoint) during the previews",
        figure: calls,
        baseline: resources.length * rounds,
        unit: "requests",
        baselineWhat: "the script's getKey calls over the same keys",
        ratio: null,
        ratioWhat: "",
        target: "= 0",
        pass: calls === 0,
        note: `per round: ${requestsDuringPreview.join(", ")}`,
      },
      {
        id: "3-azure-sdk-in-check-diff",
        what: `Azure SDK modules loaded in the preview's plugin host after ${count} Check + Diff`,
        figure: azureLoaded,
        baseline: controlLoaded,
        unit: "modules",
        baselineWhat: `the same probe in the host that ran the Creates (control: it must see the SDK)`,
        ratio: null,
        ratioWhat: "",
        target: "= 0 (control > 0)",
        pass: azureLoaded === 0 && controlLoaded > 0,
        note: `probe: require.cache + an ES module resolve hook; control saw ${upReport.azureCjs} CommonJS and ${upReport.azureEsm} ES modules (e.g. ${upReport.sample[0] ?? "none"})`,
      },
      {
        id: "3-rss-after-1000",
        what: `plugin host RSS after Check + Diff of ${count} resources (${mode})`,
        figure: rssMb,
        baseline: floorMb,
        unit: "MB",
        baselineWhat: "the same host's RSS before its first Check (Pulumi's host alone)",
        ratio: rssMb / floorMb,
        ratioWhat: "figure / baseline",
        target: "≤ 150 MB",
        pass: rssMb <= 150,
        note: `heap used ${fmt((afterAll?.heapUsedBytes ?? 0) / 2 ** 20)} MB; a host running the do-nothing provider over the same ${count} inputs: RSS ${fmt(mb(nullAfterAll))} MB; the host that ran ${count} Creates (SDK loaded): RSS ${fmt(upReport.rssBytes / 2 ** 20)} MB`,
      },
    ];
  } finally {
    await rm(probeDir, { recursive: true, force: true });
  }
}

function fmt(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(3);
}
