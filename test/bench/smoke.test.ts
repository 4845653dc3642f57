/**
 * The benchmark still works: `npm run bench -- --smoke` (a few iterations of every part) prints
 * the table and writes the JSON with every row, and no part failed. No timing is asserted: a
 * smoke run's numbers mean nothing.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROW_IDS } from "../../bench/report.js";
import type { Row } from "../../bench/report.js";
import { PACKAGE_ROOT } from "../harness/pluginHost.js";

function runSmoke(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        `--import=${pathToFileURL(require.resolve("tsx")).href}`,
        "--conditions=azure-byok-source",
        join(PACKAGE_ROOT, "bench", "main.ts"),
        "--smoke",
        "--out",
        out,
      ],
      { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

test("npm run bench -- --smoke prints the table and writes the JSON with every row", async (t) => {
  t.timeout(240_000);
  const dir = await mkdtemp(join(tmpdir(), "azure-byok-bench-smoke-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, "results.json");
  const { code, stdout, stderr } = await runSmoke(out);
  t.is(code, 0, stderr);
  for (const id of ROW_IDS) t.regex(stdout, new RegExp(`^${id} `, "m"), `table row ${id}`);
  const results = JSON.parse(await readFile(out, "utf8")) as {
    mode: string;
    machine: { cpuModel: string; cores: number; node: string; loadAverageAtStart: number[] };
    rows: Row[];
  };
  t.is(results.mode, "smoke");
  t.is(results.machine.node, process.version);
  t.true(results.machine.cores > 0);
  t.deepEqual(
    results.rows.map((r) => r.id),
    [...ROW_IDS],
  );
  // the preview row's figure comes from the native client (.ci/run installs gcc and libnghttp2-dev)
  const preview = results.rows.find((r) => r.id === "1-preview-ms-per-resource");
  t.regex(preview?.what ?? "", /from the native client/);
  for (const row of results.rows) {
    t.is(row.error, undefined, `${row.id} failed: ${row.error ?? ""}`);
    // measured, or skipped for a stated reason (no SoftHSM2 installed), or information only
    if (row.figure === null) t.regex(row.note, /^not measured: /, row.id);
    else if (row.pass === null) t.regex(row.target, /^info: /, row.id);
    else t.is(typeof row.pass, "boolean", row.id);
  }
});
