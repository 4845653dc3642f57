#!/usr/bin/env node
// Entry point of the `azure-byok` command. In a clone of the repository it runs the TypeScript
// sources through tsx (so `npm start` needs no build step); an installed package ships only the
// compiled `dist/`, and runs that.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const source = path.join(__dirname, "main.ts");
if (fs.existsSync(source)) {
  require("tsx/cjs");
  require(source).main(process.argv.slice(2));
} else {
  require(path.join(__dirname, "..", "dist", "cli", "main.js")).main(process.argv.slice(2));
}
