/**
 * Every example type-checks (issue 6): each `examples/<name>/` with a `tsconfig.json`, found by
 * listing the folder rather than from a list here, is compiled with the repository's TypeScript.
 * The examples' tsconfigs resolve `pulumi-azure-byok` to the sources (`azure-byok-source`) and
 * `@pulumi/*` from the root node_modules, so CI needs no `npm install` per example.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import test from "ava";

const PACKAGE_ROOT = join(__dirname, "..", "..");
const TSC = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
const EXAMPLES = join(PACKAGE_ROOT, "examples");

/** The examples that have a tsconfig.json, by directory name. */
function examplesWithTsconfig(): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => existsSync(join(EXAMPLES, name, "tsconfig.json")))
    .sort();
}

/** `tsc -p examples/<name>/tsconfig.json --noEmit`: its exit code and everything it printed. */
function typecheck(name: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSC, "-p", join("examples", name, "tsconfig.json"), "--noEmit", "--pretty", "false"],
      { cwd: PACKAGE_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

const names = examplesWithTsconfig();

test("every example directory has a tsconfig.json, so none escapes the type check", (t) => {
  const directories = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  t.true(directories.includes("emulator"), "examples/emulator (what the demo deploys) is found");
  t.deepEqual(names, directories);
});

for (const name of names) {
  // ava runs these concurrently: one tsc process per example
  test(`examples/${name} type-checks with its own tsconfig.json`, async (t) => {
    const { code, output } = await typecheck(name);
    t.is(code, 0, `tsc -p examples/${name}/tsconfig.json --noEmit exited ${code}:\n${output}`);
  });
}
