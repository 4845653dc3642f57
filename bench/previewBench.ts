/**
 * Targets 1 and 3 (part): a preview of N `ByokImportedKey` resources through the real plugin host,
 * the way the engine's step generator calls it (Check, then Diff, one resource after another),
 * against the state a real `up` left; and the baseline, a script reading the same keys through
 * the SDK. Also what the preview's host loaded (no Azure SDK) and its RSS after N resources.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPluginHost, urnOf } from "../test/harness/pluginHost.js";
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

/** One preview: Check then Diff for each resource in order; ms per resource. */
async function previewOnce(host: PluginHost, resources: readonly Resource[]): Promise<number[]> {
  const times: number[] = [];
  for (const r of resources) {
    const start = nowMs();
    const { inputs, failures } = await host.check(r.urn, r.inputs, r.news);
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

    const previewTimes: number[] = [];
    const readTimes: number[] = [];
    const requestsDuringPreview: number[] = [];
    let afterFirst: ProbeReport | undefined;
    let afterAll: ProbeReport | undefined;
    for (let round = 0; round < rounds; round++) {
      // A: a fresh `pulumi preview` (a new plugin host), Check + Diff for each resource.
      const probe = join(probeDir, `preview-${round}.json`);
      const host = await startPluginHost({ env: { ...emulator.env, ...probeEnv(probe) } });
      try {
        await host.configure();
        const before = await emulator.counts();
        const first = await previewOnce(host, resources.slice(0, 1));
        if (round === 0) afterFirst = await readProbe(probe);
        const rest = await previewOnce(host, resources.slice(1));
        const after = await emulator.counts();
        requestsDuringPreview.push(after.vault + after.token - before.vault - before.token);
        previewTimes.push(...first, ...rest);
        if (round === 0) afterAll = await readProbe(probe);
      } finally {
        await host.close();
      }
      // B: a script reading the same keys through the SDK (warm client, one after another).
      readTimes.push(...(await readAllOnce(sdk, resources)));
    }
    const previewMs = median(previewTimes);
    const readMs = median(readTimes);
    const calls = requestsDuringPreview.reduce((a, b) => a + b, 0);
    const azureLoaded = (afterAll?.azureCjs ?? 0) + (afterAll?.azureEsm ?? 0);
    const controlLoaded = upReport.azureCjs + upReport.azureEsm;
    const rssMb = (afterAll?.rssBytes ?? 0) / 2 ** 20;
    const rssFirstMb = (afterFirst?.rssBytes ?? 0) / 2 ** 20;
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
        note: `${rounds} round(s) interleaved (preview, script, …), ${previewTimes.length} preview and ${readTimes.length} read samples; preview p99 ${fmt(percentile(previewTimes, 99))} ms, read p99 ${fmt(percentile(readTimes, 99))} ms`,
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
        what: `plugin host RSS after Check + Diff of ${count} resources`,
        figure: rssMb,
        baseline: rssFirstMb,
        unit: "MB",
        baselineWhat: "the same host's RSS after its first resource",
        ratio: rssMb / rssFirstMb,
        ratioWhat: "figure / baseline",
        target: "≤ 150 MB",
        pass: rssMb <= 150,
        note: `heap used ${fmt((afterAll?.heapUsedBytes ?? 0) / 2 ** 20)} MB; the host that ran ${count} Creates: RSS ${fmt(upReport.rssBytes / 2 ** 20)} MB`,
      },
    ];
  } finally {
    await rm(probeDir, { recursive: true, force: true });
  }
}

function fmt(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(3);
}
