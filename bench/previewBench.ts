/**
 * Targets 1 and 3 (part): a preview of N `ByokImportedKey` resources through the real plugin host,
 * the way the engine's step generator calls it (Check, then Diff, one resource after another),
 * against the state a real `up` left; and the baseline, a script reading the same keys through
 * the SDK. Also what the preview's host loaded (no Azure SDK) and its RSS after N resources.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { byokImportedKeyImplementation } from "../provider/runtime.js";
import { PACKAGE_ROOT, startPluginHost, urnOf } from "../test/harness/pluginHost.js";
import type { PluginHost, PropertyMap } from "../test/harness/pluginHost.js";
import type { BenchEmulator } from "./emulatorClient.js";
import type { EmulatorKek, Sdk } from "./fixtures.js";
import { targetPool, wrapMany } from "./fixtures.js";
import { probeEnv, readProbe } from "./hostProbeClient.js";
import { nativeClient } from "./nativeClient.js";
import { previewNative, previewPreEncoded } from "./preEncodedPreview.js";
import type { PreviewResource } from "./preEncodedPreview.js";
import type { ProbeReport } from "./hostProbeClient.js";
import type { Row } from "./report.js";
import { median, nowMs, percentile, pool } from "./stats.js";

/** What the preview bench needs. */
export interface PreviewContext {
  readonly emulator: BenchEmulator;
  readonly sdk: Sdk;
  readonly kek: EmulatorKek;
  /** The `__provider` a program registers from an npm install (installedPackage.ts). */
  readonly byokProvider: string;
  /** That install's `node_modules/pulumi-azure-byok`, which every host here loads. */
  readonly packageDir: string;
  readonly resources: number;
  readonly rounds: number;
  /** Keys read per round by the script baseline, one process each (spread over the resources). */
  readonly scriptReads: number;
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

/**
 * The script baseline: `node bench/readOne.mjs` per key, a fresh process each (stock SDK and
 * credential), as a shell loop over `az keyvault key show` finds out what a change would touch;
 * ms per key, spawn to exit. `sample` keys spread evenly over the resources.
 */
async function readByProcessOnce(
  emulator: BenchEmulator,
  resources: readonly Resource[],
  sample: number,
): Promise<number[]> {
  const times: number[] = [];
  const step = Math.max(1, Math.floor(resources.length / Math.max(1, sample)));
  for (let i = 0; i < resources.length && times.length < sample; i += step) {
    const name = resources[i]!.news.name as string;
    const start = nowMs();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(__dirname, "readOne.mjs"), emulator.vaultUrl, name],
        {
          env: { ...process.env, ...emulator.env, NODE_OPTIONS: "" },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("error", reject);
      child.on("exit", (code) => {
        if (code === 0) resolve();
        else reject(new Error(`readOne.mjs ${name} failed (${String(code)}): ${stderr}`));
      });
    });
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
  const {
    emulator,
    sdk,
    kek,
    byokProvider,
    packageDir,
    resources: count,
    rounds,
    scriptReads,
  } = ctx;
  // every host runs the package as an npm install lays it out: built dist/, stored by name
  const installedHost = (env: Record<string, string> = {}) =>
    startPluginHost({ source: false, packageDir, env });
  /** A configured host for `work`, closed after it whatever happens. */
  async function withHost<T>(env: Record<string, string>, work: (host: PluginHost) => Promise<T>) {
    const host = await installedHost(env);
    try {
      await host.configure();
      return await work(host);
    } finally {
      await host.close();
    }
  }
  const native = nativeClient();
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
    // The `up` that made the state: Check and Create through a host, 10 at a time. Its module
    // probe is the control of the SDK row: a host that ran Creates must have loaded the SDK.
    const upProbe = join(probeDir, "up.json");
    const up = await installedHost({ ...emulator.env, ...probeEnv(upProbe, { modules: true }) });
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

    // Check answers the stored inputs again for the same news (the .byok by its digest), so
    // they are Diff's news in the pre-encoded run.
    const preEncoded: PreviewResource[] = resources.map((r) => ({ ...r, checked: r.inputs }));
    const nativeTimes: number[] = [];
    const nativeNullTimes: number[] = [];
    const encodedTimes: number[] = [];
    const encodedNullTimes: number[] = [];
    const scriptTimes: number[] = [];
    const previewTimes: number[] = [];
    const hostTimes: number[] = [];
    const nullTimes: number[] = [];
    const nullHostTimes: number[] = [];
    const inProcessTimes: number[] = [];
    const readTimes: number[] = [];
    const requestsDuringPreview: number[] = [];
    const rssBefore: number[] = [];
    const rssAfter: number[] = [];
    const heapAfter: number[] = [];
    const nullRssAfter: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // A: a fresh `pulumi preview` (a new plugin host), Check + Diff for each resource.
      const probe = join(probeDir, `preview-${round}.json`);
      await withHost({ ...emulator.env, ...probeEnv(probe) }, async (host) => {
        rssBefore.push((await readProbe(probe)).rssBytes);
        const before = await emulator.counts();
        previewTimes.push(...(await previewOnce(host, resources)));
        const after = await emulator.counts();
        requestsDuringPreview.push(after.vault + after.token - before.vault - before.token);
        const report = await readProbe(probe);
        rssAfter.push(report.rssBytes);
        heapAfter.push(report.heapUsedBytes);
        hostTimes.push(...perResource(report));
      });
      // A0: the same through a provider that does nothing: the floor of host, gRPC and client.
      const nullProbe = join(probeDir, `null-${round}.json`);
      await withHost(probeEnv(nullProbe), async (nullHost) => {
        nullTimes.push(...(await previewOnce(nullHost, resources, NULL_PROVIDER)));
        const report = await readProbe(nullProbe);
        nullRssAfter.push(report.rssBytes);
        nullHostTimes.push(...perResource(report));
      });
      // A'': the same preview from the native client (as light as the Go engine's), requests
      // encoded up front, and its do-nothing floor: the row's figure and baseline.
      if (native.available) {
        nativeTimes.push(
          ...(await withHost(emulator.env, (h) => previewNative(native, h.port, preEncoded))),
        );
        nativeNullTimes.push(
          ...(await withHost({}, (h) => previewNative(native, h.port, preEncoded, NULL_PROVIDER))),
        );
      }
      // A': the same from this process's Node client, its protobuf work out of the timed window
      // (preEncodedPreview.ts), and its do-nothing floor.
      encodedTimes.push(
        ...(await withHost(emulator.env, (h) => previewPreEncoded(h.port, preEncoded))),
      );
      encodedNullTimes.push(
        ...(await withHost({}, (h) => previewPreEncoded(h.port, preEncoded, NULL_PROVIDER))),
      );
      inProcessTimes.push(...inProcessOnce(resources));
      // B: a script reading the same keys through the SDK (warm client, one after another).
      readTimes.push(...(await readAllOnce(sdk, resources)));
      // B': the same reads as a shell loop does them, one process per key (a sample).
      scriptTimes.push(...(await readByProcessOnce(emulator, resources, scriptReads)));
    }
    // C: one more preview with the module probe on, for the SDK row (its loader thread would
    // inflate the memory figures above, so it runs apart from them).
    const modulesProbe = join(probeDir, "modules.json");
    const modulesReport = await withHost(
      { ...emulator.env, ...probeEnv(modulesProbe, { modules: true }) },
      async (host) => {
        await previewOnce(host, resources);
        return readProbe(modulesProbe);
      },
    );

    const previewMs = median(previewTimes);
    const encodedMs = median(encodedTimes);
    const encodedNullMs = median(encodedNullTimes);
    // the native client's figures when it could be built, else the Node client's (and say so)
    const figureTimes = native.available ? nativeTimes : encodedTimes;
    const figureMs = median(figureTimes);
    const floorMs = native.available ? median(nativeNullTimes) : encodedNullMs;
    const client = native.available
      ? "the native client (bench/nativeClient: C and libnghttp2, one call at a time, as light as the Go engine's)"
      : `this benchmark's Node client (the native one is unavailable: ${native.reason})`;
    const scriptMs = median(scriptTimes);
    const hostMs = median(hostTimes);
    const readMs = median(readTimes);
    const inProcessMs = median(inProcessTimes);
    const calls = requestsDuringPreview.reduce((a, b) => a + b, 0);
    const azureLoaded = modulesReport.azureCjs + modulesReport.azureEsm;
    const controlLoaded = upReport.azureCjs + upReport.azureEsm;
    const mb = (bytes: readonly number[]): number => Math.max(...bytes) / 2 ** 20;
    const rssMb = mb(rssAfter);
    const floorMb = mb(rssBefore);
    const nullRssMb = mb(nullRssAfter);
    const mode = "an npm install's dist/";
    const samples = `${rounds} round(s) interleaved (preview, null provider, in-process, script), ${previewTimes.length} samples each`;
    return [
      {
        id: "1-preview-ms-per-resource",
        what: `Check + Diff through the plugin host, per resource, ${count} ByokImportedKey resources, one after another as the engine's step generator calls them, from ${client}, requests encoded before the clock starts: transport, Pulumi's host and our provider, median`,
        figure: figureMs,
        baseline: floorMs,
        unit: "ms",
        baselineWhat:
          "the same calls from the same client through the same host to a provider that does nothing (the floor without our code), median",
        ratio: figureMs / floorMs,
        ratioWhat: "figure / baseline",
        target: "≤ 1 ms",
        pass: figureMs <= 1,
        note: `host runs ${mode}; ${samples}; p99 ${fmt(percentile(figureTimes, 99))} ms. From this benchmark's Node client (@grpc/grpc-js) instead: ${fmt(encodedMs)} ms (its floor ${fmt(encodedNullMs)} ms) with the requests encoded up front, ${fmt(previewMs)} ms (floor ${fmt(median(nullTimes))} ms) encoding and decoding inside the window; the difference is the Node client's own cost, which the Go engine does not pay`,
      },
      {
        id: "1-preview-host-ms-per-resource",
        what: `the plugin host's own time per resource for the same Check + Diff (decoding each request to encoding its answer: Pulumi's host code and our provider, no transport, no client), median`,
        figure: hostMs,
        baseline: median(nullHostTimes),
        unit: "ms",
        baselineWhat: "the same host time with the provider that does nothing, median",
        ratio: hostMs / median(nullHostTimes),
        ratioWhat: "figure / baseline",
        target: "≤ 1 ms",
        pass: hostMs <= 1,
        note: `timed inside the host by the probe (bench/hostProbe.cjs) around grpc-js's protobuf decoder and encoder; ${hostTimes.length} samples; p99 ${fmt(percentile(hostTimes, 99))} ms; our Check + Diff called in this process without the host: ${fmt(inProcessMs)} ms`,
      },
      {
        id: "1-preview-ratio",
        what: "how much cheaper the preview is per key than a script reading the same keys through the SDK",
        figure: figureMs,
        baseline: scriptMs,
        unit: "ms",
        baselineWhat: `a script reading each key through the stock SDK as a shell loop does (node bench/readOne.mjs per key: process, credential, token, challenge, getKey), median over ${scriptTimes.length} keys`,
        ratio: scriptMs / figureMs,
        ratioWhat: "baseline / figure",
        target: "ratio ≥ 50×",
        pass: scriptMs / figureMs >= 50,
        note: `script p99 ${fmt(percentile(scriptTimes, 99))} ms. Against a warm in-process client on loopback instead (one process, one token, getKey one after another: ${fmt(readMs)} ms per key, p99 ${fmt(percentile(readTimes, 99))} ms) the ratio is ${fmt(readMs / figureMs)}×: a loopback getKey costs about as much as a gRPC round trip to the host (the do-nothing floor is ${fmt(floorMs)} ms), so that ratio measures loopback, not the preview; against Azure each getKey is a network round trip, and the preview makes none (1-preview-network-calls)`,
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
        pass: modulesReport.modulesProbed && azureLoaded === 0 && controlLoaded > 0,
        note: `probe: require.cache + an ES module resolve hook; control saw ${upReport.azureCjs} CommonJS and ${upReport.azureEsm} ES modules (e.g. ${upReport.sample[0] === undefined ? "none" : relative(PACKAGE_ROOT, upReport.sample[0])})`,
      },
      {
        id: "3-rss-after-1000",
        what: `plugin host RSS after Check + Diff of ${count} resources (${mode}), the largest over the rounds`,
        figure: rssMb,
        baseline: nullRssMb,
        unit: "MB",
        baselineWhat: `a host running the provider that does nothing over the same ${count} inputs, the largest (Pulumi's host and Node alone: the floor without our code)`,
        ratio: rssMb / nullRssMb,
        ratioWhat: "figure / baseline",
        target: "≤ 150 MB",
        pass: rssMb <= 150,
        note: `per round ${rssAfter.map((b) => fmt(b / 2 ** 20)).join(", ")} MB, do-nothing ${nullRssAfter.map((b) => fmt(b / 2 ** 20)).join(", ")} MB; heap used ${fmt(Math.max(...heapAfter) / 2 ** 20)} MB; the host before its first Check (Pulumi's host alone, nothing of ours loaded): ${fmt(floorMb)} MB; the host that ran ${count} Creates (SDK loaded, module probe on): RSS ${fmt(upReport.rssBytes / 2 ** 20)} MB. Measured without the module probe, whose loader thread adds about 10 MB`,
      },
    ];
  } finally {
    await rm(probeDir, { recursive: true, force: true });
  }
}

/** The host's own Check + Diff time per resource, pairing the calls in order. */
function perResource(report: ProbeReport): number[] {
  const { Check, Diff } = report.callMs;
  if (Check.length !== Diff.length) {
    throw new Error(`the probe timed ${Check.length} Checks but ${Diff.length} Diffs`);
  }
  return Check.map((check, i) => check + (Diff[i] ?? 0));
}

function fmt(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(3);
}
