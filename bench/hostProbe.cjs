// Preloaded into the plugin host by the benchmark (NODE_OPTIONS=--import): on SIGUSR2 it writes
// which Azure SDK modules this process has loaded (CommonJS from require.cache, ES modules seen by
// a resolve hook) and its memory, to AZURE_BYOK_BENCH_PROBE. Nothing else changes in the host.
/* global process, require, __dirname -- Node CommonJS */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload, loaded without tsx */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const out = process.env.AZURE_BYOK_BENCH_PROBE;
if (out) {
  const esm = new Set();
  const nodeModule = require("node:module");
  if (typeof nodeModule.register === "function") {
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
      azureCjs: cjs.length,
      azureEsm: [...esm].filter(azure).length,
      sample: [...cjs, ...esm].filter(azure).slice(0, 3),
    };
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(report));
    fs.renameSync(`${out}.tmp`, out);
  });
  fs.writeFileSync(`${out}.pid`, String(process.pid));
}
