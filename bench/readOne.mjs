#!/usr/bin/env node
// The preview's script baseline: one key read per process, as a shell loop over a CLI does it
// (`az keyvault key show` per key) to find out what a change would touch. Plain JavaScript over
// the stock SDK, so the baseline pays no TypeScript compile: it is the fastest such CLI can be.
// Usage: node bench/readOne.mjs <vaultUrl> <keyName>
/* global process -- Node */
import { DefaultAzureCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";

const [vaultUrl, name] = process.argv.slice(2);
if (!vaultUrl || !name) {
  process.stderr.write("usage: readOne.mjs <vaultUrl> <keyName>\n");
  process.exit(2);
}
const client = new KeyClient(vaultUrl, new DefaultAzureCredential(), {
  disableChallengeResourceVerification: true,
});
const key = await client.getKey(name);
process.stdout.write(`${key.id}\n`);
