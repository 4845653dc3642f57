/**
 * `npm run test:reliability` (issue 8): the whole reliability suite at full size, then the leak
 * scan over everything it produced, then one summary table.
 *
 * 1. Clears `.azure-byok/reliability/` (results, key fingerprints, artifacts).
 * 2. Runs ava over test/reliability/**\/*.test.ts, test/emulator/crash.test.ts and the two tests
 *    that deploy whole programs (test/driver/deploy.test.ts, test/cli/demo.test.ts) with
 *    RELIABILITY_FULL=1, the seed printed, every shared key generator registering fingerprints
 *    (AZURE_BYOK_LEAK_FINGERPRINTS=1) and the emulator logging at info; the output, emulator logs
 *    included, is kept in artifacts/ava.log. Tests copy their temporary data dirs and state to
 *    artifacts/ before removing them (`keepForLeakScan`).
 * 3. Scans `.azure-byok/` (the demo's state and emulator, the test CA, everything above) and
 *    bench/results.json if present, for PEM private keys, registered key material and .byok
 *    packages outside .byok files.
 * 4. Prints one row per recorded result and a total, and exits 1 if a test failed, a write was
 *    lost or a leak was found.
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
  "test/driver/deploy.test.ts",
  "test/cli/demo.test.ts",
];

const COLUMNS = [
  ["faultsInjected", "faults injected"],
  ["faultsSurvived", "faults survived"],
  ["inputsTried", "inputs tried"],
  ["inputsRejected", "inputs rejected"],
  ["writesAcknowledged", "writes acknowledged"],
  ["writesLost", "writes lost"],
] as const;

type Row = ReliabilityResult & { readonly name: string };

function runAva(): Promise<number> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const log = createWriteStream(path.join(ARTIFACTS_DIR, "ava.log"));
  const child = spawn(
    process.execPath,
    [path.join("node_modules", "ava", "entrypoints", "cli.mjs"), ...TEST_FILES, "--timeout=30m"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        RELIABILITY_FULL: "1",
        RELIABILITY_SEED: String(RELIABILITY_SEED),
        AZURE_BYOK_LEAK_FINGERPRINTS: "1",
        AZURE_BYOK_LOG_LEVEL: process.env.AZURE_BYOK_LOG_LEVEL ?? "info",
      },
    },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      log.write(chunk);
    });
  }
  return new Promise((resolve) => {
    child.on("close", (code) => {
      log.end(() => {
        resolve(code ?? 1);
      });
    });
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

  const out: string[] = ["", table(rows), ""];
  for (const row of rows) if (row.note !== undefined) out.push(`  ${row.name}: ${row.note}`);
  out.push(
    "",
    `leak scan: ${report.filesScanned} files, ${(report.bytesScanned / 1e6).toFixed(1)} MB, ${report.secretsKnown} registered keys, ${report.leaks.length} leaks, ${report.allowed.length} emulator infrastructure keys allowed (${scanSeconds.toFixed(1)} s)`,
  );
  for (const leak of report.leaks) out.push(`  LEAK ${leak.kind}: ${leak.file}: ${leak.detail}`);
  out.push(
    `time: ${((Date.now() - started) / 1000).toFixed(0)} s (ava ${avaSeconds.toFixed(0)} s, scan ${scanSeconds.toFixed(1)} s)`,
  );
  const failures = [
    avaCode !== 0 ? `tests failed (ava exited ${avaCode})` : undefined,
    lost > 0 ? `${lost} acknowledged writes lost` : undefined,
    report.leaks.length > 0 ? `${report.leaks.length} leaks` : undefined,
    rows.length === 0 ? "no test recorded a result" : undefined,
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
