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
if (fs.existsSync(source)) {
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
