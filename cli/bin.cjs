#!/usr/bin/env node
// Entry point of the `azure-byok` command. In a clone of the repository it runs the TypeScript
// sources through tsx (so `npm start` needs no build step): importing "tsx" registers its ESM and
// CommonJS hooks, as `node --import tsx` would, which the lazy `import()` of each subcommand in
// cli/main.ts needs. An installed package ships only the compiled `dist/`, and runs that.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { pathToFileURL } = require("node:url");

const source = path.join(__dirname, "main.ts");
const argv = process.argv.slice(2);
/** True when this process resolves the package to its TypeScript sources (the azure-byok-source condition). */
function resolvesToSources() {
  try {
    return require.resolve("pulumi-azure-byok").endsWith(".ts");
  } catch {
    return false;
  }
}

if (fs.existsSync(source) && !resolvesToSources()) {
  // Conditions are fixed when Node starts, and `demo` loads a Pulumi program that imports the
  // package by name: run again with the condition, as the tests do. The terminal sends Ctrl-C to
  // both processes; this one waits for the child to clean up and exits with its code.
  const { spawn } = require("node:child_process");
  const child = spawn(
    process.execPath,
    ["--conditions=azure-byok-source", ...process.execArgv, __filename, ...argv],
    { stdio: "inherit" },
  );
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === "SIGINT" ? 130 : 1);
  });
} else if (fs.existsSync(source)) {
  import("tsx")
    .then(() => import(pathToFileURL(source).href))
    .then((cli) => (cli.main ?? cli.default.main)(argv))
    .catch((error) => {
      process.stderr.write(`azure-byok: ${error && error.stack ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    });
} else {
  require(path.join(__dirname, "..", "dist", "cli", "main.js")).main(argv);
}
