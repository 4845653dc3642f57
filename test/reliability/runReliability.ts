/**
 * `npm run test:reliability` (issue 8): the whole reliability suite at full size, then the leak
 * scan over everything it produced, then one summary table.
 *
 * 1. Clears `.azure-byok/reliability/` (results, key fingerprints, artifacts).
 * 2. Runs ava over test/reliability/**\/*.test.ts, test/emulator/crash.test.ts, the provider's
 *    tests (test/provider/, the real plugin host) and the two tests that deploy whole programs
 *    (test/driver/deploy.test.ts, test/cli/demo.test.ts) with RELIABILITY_FULL=1, the seed
 *    printed, every shared key generator registering fingerprints (AZURE_BYOK_LEAK_FINGERPRINTS=1)
 *    and the emulator logging at info; the output, emulator logs included, is kept in
 *    artifacts/ava.log. Tests copy their temporary data dirs and state to artifacts/ before
 *    removing them (`keepForLeakScan`), every resource driver appends each state it holds
 *    (`appendForLeakScan`), and every plugin host copies its output to artifacts/plugin-host/
 *    (AZURE_BYOK_PLUGIN_HOST_LOG_DIR): what lived only in memory is on disk for the scan.
 * 3. Runs the demo CLI as a user does (`azure-byok demo`, what `npm start` runs) in
 *    artifacts/demo-cli/, its stdout and stderr kept there.
 * 4. Scans `.azure-byok/` (the demo's state and emulator, the test CA, everything above) and
 *    bench/results.json if present, for PEM private keys, registered key material and .byok
 *    packages outside .byok files.
 * 5. Prints one row per recorded result and a total, and exits 1 if a test or the demo failed, a
 *    write was lost, a leak was found, or a row of {@link EXPECTED_ROWS} is missing, was recorded
 *    by a CI-size run, or measured less than its full size.
 */
import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import path from "node:path";
import { loadFingerprints, scanForLeaks } from "./leakScan.js";
import {
  ARTIFACTS_DIR,
  RELIABILITY_SEED,
  RESULTS_DIR,
  SECRETS_DIR,
} from "./reliabilitySettings.js";
import type { ReliabilityResult } from "./reliabilitySettings.js";

const TEST_FILES = [
  "test/reliability/**/*.test.ts",
  "test/emulator/crash.test.ts",
  "test/provider/**/*.test.ts",
  "test/driver/deploy.test.ts",
  "test/cli/demo.test.ts",
];

const COLUMNS = [
  ["faultsInjected", "faults injected"],
  ["faultsSurvived", "faults survived"],
  ["inputsTried", "inputs tried"],
  ["inputsRejected", "inputs rejected"],
  ["writesAttempted", "writes attempted"],
  ["writesAcknowledged", "writes acknowledged"],
  ["writesLost", "writes lost"],
] as const;

type Count = (typeof COLUMNS)[number][0];
type Row = ReliabilityResult & {
  readonly name: string;
  readonly full?: boolean;
  readonly seed?: number;
};

/**
 * Every row a full run must record, and the least each must have measured: the issue's sizes
 * (10,000 mutated .byok files in process and 10,000 over HTTPS, 10,000 HTTP requests, 10 bursts
 * of 200 writes, a KEK and 100 keys through the plugin host under faults, 400 creates and 400
 * updates through the SDK under faults) and, for the fixed-size tests, their full counts. A test
 * that stops early, runs at CI size or records nothing fails the run here even if ava passed.
 */
const EXPECTED_ROWS: Readonly<Record<string, Partial<Record<Count, number>>>> = {
  "byok-fuzz-in-process": { inputsTried: 10_000 },
  "byok-fuzz-http": { inputsTried: 10_000 },
  "http-fuzz": { inputsTried: 10_000 },
  "crash-bursts": { writesAttempted: 10 * 200, writesAcknowledged: 10 },
  faults: { writesAttempted: 2 * 400, faultsInjected: 1 },
  "provider-faults": { writesAttempted: 1 + 100, faultsInjected: 1 },
  "host-kill": { faultsInjected: 4, writesAcknowledged: 4 },
  "kek-import-only": { inputsTried: 2 * (7 * 2 + 4) },
  "token-refusals": { inputsTried: 192 },
  "rbac-matrix": { inputsTried: 9 * 22 + 6 },
  "non-exportable-release": { inputsTried: 2 * (4 * 12 + 4) },
};

/** Why the recorded rows fall short of a full run; [] when they do not. */
function shortfalls(rows: readonly Row[]): string[] {
  const found: string[] = [];
  for (const [name, minimums] of Object.entries(EXPECTED_ROWS)) {
    const row = rows.find((candidate) => candidate.name === name);
    if (row === undefined) {
      found.push(`${name}: no result recorded`);
      continue;
    }
    if (row.full !== true) found.push(`${name}: recorded by a CI-size run (full is not true)`);
    if (row.seed !== RELIABILITY_SEED)
      found.push(`${name}: seed ${String(row.seed)}, the run's is ${RELIABILITY_SEED}`);
    for (const [count, minimum] of Object.entries(minimums) as [Count, number][]) {
      const value = row[count] ?? 0;
      if (value < minimum)
        found.push(
          `${name}: ${count} ${value.toLocaleString("en-US")}, at least ${minimum.toLocaleString("en-US")} expected`,
        );
    }
  }
  for (const row of rows)
    if (!Object.hasOwn(EXPECTED_ROWS, row.name))
      found.push(`${row.name}: not in EXPECTED_ROWS (add it, with its full size)`);
  return found;
}

/** Runs a command, its output shown and appended to `logs` (one file for both, or one each). */
function run(
  args: readonly string[],
  options: {
    cwd?: string;
    env: NodeJS.ProcessEnv;
    logs: readonly [string] | readonly [string, string];
  },
): Promise<number> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env,
  });
  const [outLog, errLog = outLog] = options.logs.map((file) =>
    createWriteStream(file, { flags: "a" }),
  );
  const pipes = [
    [child.stdout, outLog],
    [child.stderr, errLog],
  ] as const;
  for (const [stream, log] of pipes) {
    stream.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      log?.write(chunk);
    });
  }
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const logs = [...new Set([outLog, errLog])];
      let open = logs.length;
      for (const log of logs)
        log?.end(() => {
          open -= 1;
          if (open === 0) resolve(code ?? 1);
        });
    });
  });
}

/** The environment every part of the run shares: plugin hosts keep their output for the scan. */
function runEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AZURE_BYOK_PLUGIN_HOST_LOG_DIR: path.join(ARTIFACTS_DIR, "plugin-host"),
  };
}

function runAva(): Promise<number> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return run(
    [path.join("node_modules", "ava", "entrypoints", "cli.mjs"), ...TEST_FILES, "--timeout=30m"],
    {
      env: {
        ...runEnv(),
        RELIABILITY_FULL: "1",
        RELIABILITY_SEED: String(RELIABILITY_SEED),
        AZURE_BYOK_LEAK_FINGERPRINTS: "1",
        AZURE_BYOK_LOG_LEVEL: process.env.AZURE_BYOK_LOG_LEVEL ?? "info",
      },
      logs: [path.join(ARTIFACTS_DIR, "ava.log")],
    },
  );
}

/** `azure-byok demo` in its own directory, as `npm start` runs it; stdout and stderr kept. */
function runDemo(): Promise<number> {
  const dir = path.join(ARTIFACTS_DIR, "demo-cli");
  mkdirSync(dir, { recursive: true });
  return run([path.resolve("cli", "bin.cjs"), "demo", "--dir", "demo"], {
    cwd: dir,
    env: runEnv(),
    logs: [path.join(dir, "stdout.log"), path.join(dir, "stderr.log")],
  });
}

function readResults(): Row[] {
  if (!existsSync(RESULTS_DIR)) return [];
  return readdirSync(RESULTS_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => JSON.parse(readFileSync(path.join(RESULTS_DIR, name), "utf8")) as Row);
}

function table(rows: readonly Row[]): string {
  const total: Record<string, number> = {};
  const cells = rows.map((row) => [
    row.name,
    ...COLUMNS.map(([key]) => {
      const value = row[key] ?? 0;
      total[key] = (total[key] ?? 0) + value;
      return value.toLocaleString("en-US");
    }),
  ]);
  const header = ["test", ...COLUMNS.map(([, title]) => title)];
  const footer = ["total", ...COLUMNS.map(([key]) => (total[key] ?? 0).toLocaleString("en-US"))];
  const all = [header, ...cells, footer];
  const widths = header.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  const format = (line: readonly string[]): string =>
    line
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ");
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [format(header), rule, ...cells.map(format), rule, format(footer)].join("\n");
}

async function main(): Promise<number> {
  const started = Date.now();
  for (const dir of [RESULTS_DIR, SECRETS_DIR, ARTIFACTS_DIR])
    rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `reliability: full size, seed ${RELIABILITY_SEED} (RELIABILITY_SEED=${RELIABILITY_SEED} repeats this run)\n`,
  );
  const avaCode = await runAva();
  const avaSeconds = (Date.now() - started) / 1000;
  const demoStarted = Date.now();
  const demoCode = await runDemo();
  const demoSeconds = (Date.now() - demoStarted) / 1000;

  const scanStarted = Date.now();
  const report = scanForLeaks(
    [".azure-byok", path.join("bench", "results.json")],
    loadFingerprints(SECRETS_DIR),
    {
      skip: [SECRETS_DIR],
    },
  );
  const scanSeconds = (Date.now() - scanStarted) / 1000;
  const rows = readResults();
  const lost = rows.reduce((sum, row) => sum + (row.writesLost ?? 0), 0);
  const short = shortfalls(rows);

  const out: string[] = ["", table(rows), ""];
  for (const row of rows) if (row.note !== undefined) out.push(`  ${row.name}: ${row.note}`);
  out.push(
    "",
    `leak scan: ${report.filesScanned} files, ${(report.bytesScanned / 1e6).toFixed(1)} MB, ${report.secretsKnown} registered keys, ${report.leaks.length} leaks, ${report.allowed.length} emulator infrastructure keys allowed (${scanSeconds.toFixed(1)} s)`,
  );
  for (const leak of report.leaks) out.push(`  LEAK ${leak.kind}: ${leak.file}: ${leak.detail}`);
  for (const reason of short) out.push(`  SHORT ${reason}`);
  out.push(
    `time: ${((Date.now() - started) / 1000).toFixed(0)} s (ava ${avaSeconds.toFixed(0)} s, demo ${demoSeconds.toFixed(0)} s, scan ${scanSeconds.toFixed(1)} s)`,
  );
  const failures = [
    avaCode !== 0 ? `tests failed (ava exited ${avaCode})` : undefined,
    demoCode !== 0 ? `the demo failed (exit ${demoCode}, see artifacts/demo-cli/)` : undefined,
    lost > 0 ? `${lost} acknowledged writes lost` : undefined,
    report.leaks.length > 0 ? `${report.leaks.length} leaks` : undefined,
    short.length > 0 ? `${short.length} results missing or short of full size` : undefined,
  ].filter((failure) => failure !== undefined);
  out.push(
    failures.length === 0 ? "reliability: PASS" : `reliability: FAIL: ${failures.join(", ")}`,
  );
  process.stdout.write(`${out.join("\n")}\n`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`reliability: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
