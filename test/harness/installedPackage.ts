/**
 * This package installed as npm installs it: a program directory whose `node_modules` holds
 * `pulumi-azure-byok` as a real folder (its `package.json` and a freshly built `dist/`, no
 * sources) beside links to this clone's dependencies. Pulumi's closure serializer decides how
 * to store a provider by where its module sits (provider/installLayout.ts), so the `__provider`
 * users get, and the plugin host's work on it, are only seen from such a layout.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../cli/driver/pluginHostClient.js";
import type { SerializedProviders } from "./pluginHost.js";

/** An installed copy; `remove()` deletes it. */
export interface InstalledPackage {
  /** The program's directory (its `node_modules` holds the package). */
  readonly programDir: string;
  /** `<programDir>/node_modules/pulumi-azure-byok`: give it to `startPluginHost({ packageDir })`. */
  readonly packageDir: string;
  /** The `__provider` of each type as a program in `programDir` registers it. */
  serializeProviders(): Promise<SerializedProviders>;
  remove(): Promise<void>;
}

/** Builds `dist/` into a new installed layout (about 5 s: one `tsc`). */
export async function installPackage(): Promise<InstalledPackage> {
  const programDir = await mkdtemp(join(tmpdir(), "azure-byok-installed-"));
  const modules = join(programDir, "node_modules");
  const packageDir = join(modules, "pulumi-azure-byok");
  try {
    mkdirSync(packageDir, { recursive: true });
    copyFileSync(join(PACKAGE_ROOT, "package.json"), join(packageDir, "package.json"));
    const build = spawnSync(
      process.execPath,
      [
        require.resolve("typescript/bin/tsc"),
        "-p",
        join(PACKAGE_ROOT, "tsconfig.build.json"),
        "--outDir",
        join(packageDir, "dist"),
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    if (build.status !== 0) throw new Error(`tsc failed: ${build.stdout}${build.stderr}`);
    for (const entry of readdirSync(join(PACKAGE_ROOT, "node_modules"))) {
      if (entry.startsWith(".") || entry === "pulumi-azure-byok") continue;
      symlinkSync(join(PACKAGE_ROOT, "node_modules", entry), join(modules, entry), "dir");
    }
  } catch (error) {
    await rm(programDir, { recursive: true, force: true });
    throw error;
  }
  return {
    programDir,
    packageDir,
    serializeProviders: () => serializeIn(programDir),
    remove: () => rm(programDir, { recursive: true, force: true }),
  };
}

function serializeIn(programDir: string): Promise<SerializedProviders> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--preserve-symlinks", join(__dirname, "serializeInstalled.cjs")],
      {
        cwd: programDir,
        // no tsx and no source condition: the program loads the built package, as users' do
        env: { ...process.env, NODE_OPTIONS: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as SerializedProviders);
      else reject(new Error(`serializeInstalled.cjs failed (${String(code)}): ${stderr}`));
    });
  });
}
