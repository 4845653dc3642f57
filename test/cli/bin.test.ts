// The real `azure-byok` binary (cli/bin.cjs) as its own process: what a user's shell sees.
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { tempDir } from "../harness/cliRun.js";
import { KEK_KID, rsaPair } from "../harness/keys.js";

const BIN = join(__dirname, "..", "..", "cli", "bin.cjs");

function azureByok(
  args: readonly string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("node cli/bin.cjs: --help 0, generate + inspect 0, a usage error 2, a bad file 3, and no private key on disk", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "kek.pem"), (await rsaPair(2048)).publicKeyPem);

  const help = azureByok(["wrap", "--help"], dir);
  t.is(help.status, 0, help.stderr);
  t.regex(help.stdout, /^Usage:\n {2}azure-byok wrap/);

  const wrap = azureByok(
    [
      "wrap",
      "--kek-pem",
      "kek.pem",
      "--kek-kid",
      KEK_KID,
      "--generate",
      "ec-p384",
      "--out",
      "key.byok",
    ],
    dir,
  );
  t.is(wrap.status, 0, wrap.stderr);
  t.regex(wrap.stdout, /wrote .*key\.byok \(sha256 [0-9a-f]{64}\)\n.*key\.byok\.pub\.pem/);
  t.deepEqual(readdirSync(dir).sort(), ["kek.pem", "key.byok", "key.byok.pub.pem"]);

  const inspect = azureByok(["inspect", "key.byok", "--kek-pem", "kek.pem"], dir);
  t.is(inspect.status, 0, inspect.stderr);
  t.regex(inspect.stdout, /^KEK check {7}fits the RSA-2048 KEK: .*EC P-384/m);

  const usage = azureByok(["wrap", "--kek-pem", "kek.pem"], dir);
  t.is(usage.status, 2);
  t.regex(usage.stderr, /--kek-kid is required/);

  writeFileSync(join(dir, "bad.byok"), '{"schema_version": "9"}');
  const bad = azureByok(["inspect", "bad.byok"], dir);
  t.is(bad.status, 3);
  t.regex(bad.stderr, /\[ERR_BYOK_SCHEMA_VERSION\]/);
});
