/**
 * Runs `azure-byok` in-process through `runCli`, in a temporary working directory, capturing what
 * it prints.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { runCli } from "../../cli/main.js";

/** The exit code and the lines printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary directory removed after the test. */
export function tempDir(t: ExecutionContext, prefix = "azure-byok-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Runs `azure-byok <argv>` with `cwd` as its working directory. */
export async function cli(argv: readonly string[], cwd: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    env: {},
    cwd,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}
