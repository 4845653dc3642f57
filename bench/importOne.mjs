#!/usr/bin/env node
// The deploy baseline: one BYOK import per process, as a shell loop over a CLI does it
// (`az keyvault key import --byok-file` per key). Plain JavaScript over the stock SDK, so the
// baseline pays no TypeScript compile: it is the fastest such CLI can be.
// Usage: node bench/importOne.mjs <vaultUrl> <keyName> <file.byok>
/* global process -- Node */
import { readFileSync } from "node:fs";
import { DefaultAzureCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";

const [vaultUrl, name, file] = process.argv.slice(2);
if (!vaultUrl || !name || !file) {
  process.stderr.write("usage: importOne.mjs <vaultUrl> <keyName> <file.byok>\n");
  process.exit(2);
}
const client = new KeyClient(vaultUrl, new DefaultAzureCredential(), {
  disableChallengeResourceVerification: true,
});
const key = await client.importKey(name, { kty: "RSA-HSM", t: readFileSync(file) });
process.stdout.write(`${key.id}\n`);
