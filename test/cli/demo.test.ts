/**
 * `azure-byok demo` (what `npm start` runs) end to end in a temporary directory: the emulator, the
 * offline driver, the offline wrap, the import, the HSM signature verified offline, the no-change
 * redeploy; and it runs again in the same directory. Then the software fallback, forced with
 * `--software` (CI has SoftHSM2), and `--pulumi` with a stand-in `pulumi` on PATH.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import { PACKAGE_ROOT } from "../../cli/driver/index.js";
import { runCli } from "../../cli/main.js";
import { keepForLeakScan } from "../reliability/reliabilitySettings.js";

/**
 * Runs cli/bin.cjs in its own process, as `npm start` does (in this process, the managed identity
 * token cache of `@azure/identity` would still hold a token of an earlier run's emulator).
 */
function runBin(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, "cli", "bin.cjs"), ...args], {
      cwd,
      env,
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

  // npm start again, as its own process like npm start
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

test.serial(
  "--software makes the .byok file in software even with SoftHSM2 installed, and says why",
  async (t) => {
    const cwd = await mkdtemp(join(tmpdir(), "azure-byok-demo-"));
    t.teardown(() => rm(cwd, { recursive: true, force: true }));
    const run = await runBin(["demo", "--software", "--dir", "demo"], cwd);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /RSA-3072 made in software \(asked for with --software\)/);
    t.false(run.stdout.includes("SoftHSM2"), "no step used or mentioned the token");
    t.regex(
      run.stdout,
      /verified: the HSM's PS256 signature .* verifies with the offline public key/,
    );
    t.regex(run.stdout, /\[7\/8\][^\n]*\n\s+no changes/);
  },
);

/** One call of the stand-in `pulumi`, as it recorded it. */
interface PulumiCall {
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/**
 * A stand-in for the Pulumi CLI: it records each call's arguments, directory and environment,
 * and answers `stack select`, `up` and `stack output` the way the demo needs. Its `up` does what
 * the real CLI does for the example: its Node.js language host registers Pulumi's bundled ts-node
 * for a `typescript: true` project (type-checking unless PULUMI_NODEJS_TRANSPILE_ONLY is "true",
 * as `@pulumi/pulumi/cmd/run` does) and runs the program, here through the offline driver, in a
 * process that has only the environment the demo gave the CLI.
 */
function fakePulumiScript(log: string): string {
  const driver = join(PACKAGE_ROOT, "cli", "driver", "index.ts");
  return `#!${process.execPath}
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");
const { fileURLToPath } = require("node:url");
const args = process.argv.slice(2);
const recorded = /^(PULUMI_|AZURE_BYOK_|IDENTITY_|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$)/;
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => recorded.test(key)));
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, cwd: process.cwd(), env }) + "\\n");
const backend = fileURLToPath(process.env.PULUMI_BACKEND_URL);
const outputsFile = path.join(backend, "outputs.json");

function registerTsNode() {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
  const fromPulumi = createRequire(path.join(pulumiDir, "package.json"));
  const tsutils = fromPulumi("./tsutils");
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions("tsconfig.json");
  const flag = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  fromPulumi(tsnodeRequire).register({
    compiler: fromPulumi.resolve(typescriptRequire),
    transpileOnly: flag ? flag === "true" : compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: false,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
  });
}

async function main() {
  if (args[0] === "stack" && args[1] === "select") {
    fs.mkdirSync(backend, { recursive: true });
    return;
  }
  if (args[0] === "stack" && args[1] === "output") {
    process.stdout.write(fs.readFileSync(outputsFile, "utf8"));
    return;
  }
  if (args[0] === "up") {
    // the driver is TypeScript: it loads through the tsx of NODE_OPTIONS, like the CLI's plugin host
    const driver = require(${JSON.stringify(driver)});
    registerTsNode();
    const result = await driver.deploy({ projectDir: process.cwd(), stateFile: path.join(backend, "state.json") });
    fs.writeFileSync(outputsFile, JSON.stringify(driver.unwrapSecrets(result.outputs)));
    process.stdout.write(driver.renderDeployment(result).join("\\n") + "\\n");
    return;
  }
  throw new Error("the stand-in pulumi does not know: pulumi " + args.join(" "));
}
main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\\n");
  process.exit(1);
});
`;
}

test.serial(
  "--pulumi runs the stack with the pulumi on PATH: a file backend, the stack, up and its outputs, in an environment the CLI can run the TypeScript program in",
  async (t) => {
    const cwd = await mkdtemp(join(tmpdir(), "azure-byok-demo-"));
    t.teardown(() => rm(cwd, { recursive: true, force: true }));
    const bin = join(cwd, "bin");
    const log = join(cwd, "pulumi-calls.jsonl");
    await mkdir(bin);
    await writeFile(join(bin, "pulumi"), fakePulumiScript(log), { mode: 0o755 });

    const run = await runBin(["demo", "--pulumi", "--dir", "demo"], cwd, {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
    });
    t.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
    t.true(run.stdout.includes(`with the Pulumi CLI (${join(bin, "pulumi")})`));
    t.regex(run.stdout, /verified: the HSM's PS256 signature/);
    t.regex(run.stdout, /\[7\/8\][^\n]*\n\s+no changes/);
    const backend = join(cwd, "demo", "pulumi-backend");
    t.regex(run.stdout, /State: demo\/pulumi-backend \(/, "names the backend, not a state.json");
    t.false(run.stdout.includes("state.json"));

    const calls = (await readFile(log, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as PulumiCall);
    const up = [
      "up",
      "--yes",
      "--non-interactive",
      "--skip-preview",
      "--stack",
      "dev",
      "--diff=false",
    ];
    const output = ["stack", "output", "--json", "--show-secrets", "--stack", "dev"];
    t.deepEqual(
      calls.map((call) => call.args),
      [
        ["stack", "select", "--create", "--stack", "dev", "--non-interactive"],
        ...[1, 2, 3].flatMap(() => [up, output]),
      ],
      "one stack, then up and its outputs for each of the three deployments",
    );
    for (const call of calls) {
      t.is(call.cwd, join(PACKAGE_ROOT, "examples", "emulator"));
      t.is(call.env.PULUMI_BACKEND_URL, pathToFileURL(backend).href, "a local file backend");
      t.truthy(call.env.PULUMI_CONFIG_PASSPHRASE, "the file backend's secrets need a passphrase");
      t.is(call.env.PULUMI_NODEJS_TRANSPILE_ONLY, "true");
      t.regex(call.env.NODE_OPTIONS ?? "", /--conditions=azure-byok-source/);
      t.regex(call.env.NODE_OPTIONS ?? "", /--import=file:\S+\/tsx\//);
      t.regex(call.env.AZURE_BYOK_VAULT_URL ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
      t.truthy(call.env.IDENTITY_ENDPOINT, "the emulator's identity reaches the CLI");
      t.truthy(call.env.NODE_EXTRA_CA_CERTS, "and its CA");
    }
    t.regex(
      calls[1]?.env.AZURE_BYOK_BYOK_FILE ?? "",
      /KeyTransferPackage-ContosoFirstHSMkey\.byok$/,
    );
  },
);
