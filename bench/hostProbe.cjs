// Preloaded into the plugin host by the benchmark (NODE_OPTIONS=--import). On SIGUSR2 it writes
// to AZURE_BYOK_BENCH_PROBE the host's memory, the time the host itself spent on each Check and
// Diff, and, when AZURE_BYOK_BENCH_PROBE_MODULES=1, which Azure SDK modules it has loaded
// (CommonJS from require.cache, ES modules seen by a resolve hook). Nothing else changes in the
// host.
/* global process, require, __dirname -- Node CommonJS */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload, loaded without tsx */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const out = process.env.AZURE_BYOK_BENCH_PROBE;

/**
 * Times the host's own part of each Check and Diff: from decoding the request (the protobuf
 * deserializer grpc-js calls first) to encoding the answer (the serializer it calls last), so
 * the figure holds Pulumi's host code and the provider, not HTTP/2 or the client. One start per
 * method: exact for callers that make one call at a time, as the preview bench does.
 */
function timeHostCalls(calls) {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function addTimedService(service, implementation) {
    const timed = { ...service };
    for (const [method, key] of [
      ["check", "Check"],
      ["diff", "Diff"],
    ]) {
      const definition = service[method];
      if (definition === undefined) continue;
      let start = 0n;
      timed[method] = {
        ...definition,
        requestDeserialize(bytes) {
          start = process.hrtime.bigint();
          return definition.requestDeserialize(bytes);
        },
        responseSerialize(value) {
          const bytes = definition.responseSerialize(value);
          calls[key].push(Number(process.hrtime.bigint() - start) / 1e6);
          return bytes;
        },
      };
    }
    return addService.call(this, timed, implementation);
  };
}

if (out) {
  const calls = { Check: [], Diff: [] };
  timeHostCalls(calls);
  // The resolve hook runs in a loader thread with its own V8 isolate (about 10 MB of RSS), so it
  // is on only where the benchmark asks which modules were loaded, not where it reads memory.
  const esm = new Set();
  const nodeModule = require("node:module");
  if (
    process.env.AZURE_BYOK_BENCH_PROBE_MODULES === "1" &&
    typeof nodeModule.register === "function"
  ) {
    const { MessageChannel } = require("node:worker_threads");
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (url) => esm.add(String(url)));
    port1.unref();
    nodeModule.register(pathToFileURL(path.join(__dirname, "hostProbeHooks.mjs")).href, {
      data: { port: port2 },
      transferList: [port2],
    });
  }
  const azure = (p) => p.includes(`${path.sep}@azure${path.sep}`) || p.includes("/@azure/");
  process.on("SIGUSR2", () => {
    const cjs = Object.keys(require.cache).filter(azure);
    const mem = process.memoryUsage();
    const report = {
      pid: process.pid,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      modulesProbed: esm.size > 0 || process.env.AZURE_BYOK_BENCH_PROBE_MODULES === "1",
      azureCjs: cjs.length,
      azureEsm: [...esm].filter(azure).length,
      sample: [...cjs, ...esm].filter(azure).slice(0, 3),
      callMs: calls,
    };
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(report));
    fs.renameSync(`${out}.tmp`, out);
  });
  fs.writeFileSync(`${out}.pid`, String(process.pid));
}
