// The real `azure-byok` binary (cli/bin.cjs) as its own process: what a user's shell sees.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { tempDir } from "../harness/cliRun.js";
import { KEK_KID, rsaPair } from "../harness/keys.js";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "cli", "bin.cjs");
/** The environment a user's shell gives it: ava's relative NODE_EXTRA_CA_CERTS names no file here. */
const USER_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== "NODE_EXTRA_CA_CERTS"),
);

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
  // An EC P-384 key wrapped for RSA-2048 is 448 bytes, as long as an EC key for RSA-3072.
  t.regex(
    inspect.stdout,
    /^KEK check {7}ambiguous: consistent with the RSA-2048 KEK \(from kek\.pem\): .*EC P-384.*; but the length also fits an RSA-3072 KEK/m,
  );

  const usage = azureByok(["wrap", "--kek-pem", "kek.pem"], dir);
  t.is(usage.status, 2);
  t.regex(usage.stderr, /--kek-kid is required/);

  writeFileSync(join(dir, "bad.byok"), '{"schema_version": "9"}');
  const bad = azureByok(["inspect", "bad.byok"], dir);
  t.is(bad.status, 3);
  t.regex(bad.stderr, /\[ERR_BYOK_SCHEMA_VERSION\]/);
});

test("a reader that closes the pipe early (azure-byok inspect f.byok | head) ends the command quietly, with its exit code", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "kek.pem"), (await rsaPair(2048)).publicKeyPem);
  const wrap = azureByok(
    [
      "wrap",
      "--kek-pem",
      "kek.pem",
      "--kek-kid",
      KEK_KID,
      "--generate",
      "oct-256",
      "--out",
      "k.byok",
    ],
    dir,
  );
  t.is(wrap.status, 0, wrap.stderr);

  for (const args of [["inspect", "k.byok", "--kek-pem", "kek.pem"], ["--help"]]) {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: USER_ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Closed before the command has started, so its first line meets a pipe with no reader.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    t.is(stderr, "", args.join(" "));
    t.is(code, 0, args.join(" "));
  }
});

test("npm pack builds dist/ first (prepack), and the packed bin runs the compiled CLI", (t) => {
  // A copy of what the build reads, so the checkout's own dist/ is left alone.
  const work = tempDir(t);
  const source = join(work, "source");
  for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md"]) {
    cpSync(join(ROOT, entry), join(source, entry));
  }
  const built = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
    include: string[];
  };
  for (const folder of built.include) {
    cpSync(join(ROOT, folder), join(source, folder), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");

  const pack = spawnSync("npm", ["pack", "--pack-destination", work], {
    cwd: source,
    encoding: "utf8",
    timeout: 240_000,
  });
  t.is(pack.status, 0, pack.stderr);
  const tarball = join(work, pack.stdout.trim().split("\n").at(-1) ?? "");
  const listing = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.split("\n");
  for (const file of [
    "package/cli/bin.cjs",
    "package/dist/cli/main.js",
    "package/dist/provider/index.js",
    "package/dist/provider/index.d.ts",
    "package/dist/byok/index.js",
    "package/dist/emulator/index.js",
  ]) {
    t.true(listing.includes(file), `${file} is in the tarball`);
  }
  t.false(
    listing.some((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")),
    "no TypeScript sources are packed",
  );

  // Unpacked without its sources beside it, bin.cjs runs dist/; the dependencies resolve from
  // a node_modules above it, as in an installed project.
  const installed = join(work, "installed");
  mkdirSync(installed);
  symlinkSync(join(ROOT, "node_modules"), join(installed, "node_modules"), "dir");
  t.is(spawnSync("tar", ["-xzf", tarball, "-C", installed]).status, 0);
  const bin = join(installed, "package", "cli", "bin.cjs");
  const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8", timeout: 60_000 });
  t.is(help.status, 0, help.stderr);
  t.regex(help.stdout, /^Usage: azure-byok <command>/);
  const bad = join(work, "bad.byok");
  writeFileSync(bad, '{"schema_version": "1.0.0"}');
  const inspect = spawnSync(process.execPath, [bin, "inspect", bad], { encoding: "utf8" });
  t.is(inspect.status, 3);
  t.regex(inspect.stderr, /has no "header" field.*\[ERR_BYOK_MISSING_FIELD\]/);
});
