/**
 * `azure-byok demo` (what `npm start` runs) end to end in a temporary directory: the emulator, the
 * offline driver, the offline wrap, the import, the HSM signature verified offline, the no-change
 * redeploy; and it runs again in the same directory.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { PACKAGE_ROOT } from "../../cli/driver/index.js";
import { runCli } from "../../cli/main.js";
import { keepForLeakScan } from "../reliability/reliabilitySettings.js";

/** Runs cli/bin.cjs in its own process, as `npm start` does. */
function runBin(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, "cli", "bin.cjs"), ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function runDemoCli(args: readonly string[], cwd: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(["demo", ...args], {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env: process.env,
    cwd,
  });
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

test.serial("the demo runs the whole flow, twice, and keeps no secret in its state", async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), "azure-byok-demo-"));
  t.teardown(() => {
    keepForLeakScan(cwd, "demo");
    return rm(cwd, { recursive: true, force: true });
  });

  const first = await runDemoCli(["--dir", "demo"], cwd);
  t.is(first.code, 0, first.stderr);
  for (const step of [1, 2, 3, 4, 5, 6, 7, 8]) t.true(first.stdout.includes(`[${step}/8]`));
  t.regex(first.stdout, /made in (SoftHSM2|software)/, "says where the .byok file was made");
  t.regex(
    first.stdout,
    /verified: the HSM's PS256 signature .* verifies with the offline public key/,
  );
  t.regex(first.stdout, /\[7\/8\][^\n]*\n\s+no changes/);
  t.regex(
    first.stdout,
    /\+\s+└─ pulumi-nodejs:dynamic\/azure-byok:ByokImportedKey\s+key\s+created/,
  );
  t.regex(
    first.stdout,
    /keyId\s+: "https:\/\/127\.0\.0\.1:\d+\/keys\/ContosoFirstHSMkey\/[0-9a-f]{32}"/,
  );

  const dir = join(cwd, "demo");
  const state = await readFile(join(dir, "state.json"), "utf8");
  const byok = await readFile(join(dir, "KeyTransferPackage-ContosoFirstHSMkey.byok"), "utf8");
  t.false(state.includes("PRIVATE KEY"));
  const ciphertext = (JSON.parse(byok) as { ciphertext: string }).ciphertext;
  t.false(state.includes(ciphertext.slice(0, 48)), "the .byok ciphertext is not in state");
  t.false(
    (await readdir(dir)).some((file) => /private|\.key$/i.test(file)),
    "no private key file was written",
  );

  // npm start again, as its own process like npm start (in this one, @azure/identity's managed
  // identity token cache would still hold a token of the first run's emulator)
  const second = await runBin(["demo", "--dir", "demo"], cwd);
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, /verified:/);
  t.regex(second.stdout, /\[7\/8\][^\n]*\n\s+no changes/);
});

test.serial("--pulumi without a pulumi CLI on PATH says the CLI is needed", async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), "azure-byok-demo-"));
  t.teardown(() => rm(cwd, { recursive: true, force: true }));
  const stderr: string[] = [];
  const code = await runCli(["demo", "--pulumi"], {
    stdout: () => undefined,
    stderr: (line) => stderr.push(line),
    env: { ...process.env, PATH: cwd },
    cwd,
  });
  t.is(code, 1);
  t.regex(stderr.join("\n"), /--pulumi needs the Pulumi CLI on PATH/);
});
