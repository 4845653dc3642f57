/**
 * The two ways the demo deploys the example stack: the offline deployment driver (no Pulumi CLI,
 * the default) and `pulumi up` on a local file backend (`--pulumi`, when the CLI is on PATH).
 * Both take the same settings and give back the stack outputs as plain values.
 *
 * @module
 * @internal
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { deploy, hasNoChanges, renderDeployment, unwrapSecrets } from "../driver/index.js";

/** The example's settings, by config key (the example also reads them from `AZURE_BYOK_*`). */
export type StackSettings = Readonly<
  Record<"vaultUrl" | "kekSize" | "byokFile" | "targetPublicKeyFile", string>
>;

/** One deployment's outcome. */
export interface StackUpResult {
  /** The stack outputs, plain values. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** True when nothing was created, changed or deleted. */
  readonly noChanges: boolean;
  /** One line per resource that changed, `+ type name created`. */
  readonly changes: readonly string[];
  /** What `pulumi up` printed (or, offline, would have printed). */
  readonly display: readonly string[];
}

/** Deploys the example stack. */
export interface StackRunner {
  /** How the stack is deployed, for the progress lines. */
  readonly description: string;
  /** Where the stack's state is kept: the driver's state file, or the Pulumi backend's directory. */
  readonly stateLocation: string;
  up(settings: StackSettings): Promise<StackUpResult>;
}

/**
 * The offline driver: the plugin host gets the emulator's identity and CA through `env`.
 *
 * @param options - the project directory, the state file and the plugin host's environment.
 */
export function offlineRunner(options: {
  projectDir: string;
  stateFile: string;
  env: Readonly<Record<string, string>>;
}): StackRunner {
  return {
    description: "the offline deployment driver",
    stateLocation: options.stateFile,
    async up(settings) {
      const result = await deploy({
        projectDir: options.projectDir,
        stateFile: options.stateFile,
        config: settings,
        env: options.env,
      });
      return {
        outputs: unwrapSecrets(result.outputs),
        noChanges: hasNoChanges(result),
        changes: result.steps
          .filter((step) => step.op !== "same")
          .map((step) => `${step.op} ${step.type} "${step.name}"`),
        display: renderDeployment(result),
      };
    },
  };
}

/** The `pulumi` executable on PATH, if any. */
export function findPulumiCli(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "pulumi");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/**
 * `pulumi up` on a file backend under `workDir`, the stack's settings in the `AZURE_BYOK_*`
 * variables the example reads. The program and the plugin host the CLI starts load this
 * package's TypeScript sources through tsx and the `azure-byok-source` condition (NODE_OPTIONS),
 * so no build is needed.
 *
 * The backend is chosen with `PULUMI_BACKEND_URL` rather than `pulumi login`, which would switch
 * the user's own default backend; the settings go in the environment rather than
 * `pulumi config set`, which would write the emulator's port into
 * `examples/emulator/Pulumi.dev.yaml`. Commands: `pulumi stack select --create` (a backend kept
 * from an earlier run is reused), then per deployment `pulumi up --yes` and
 * `pulumi stack output --json --show-secrets`.
 *
 * @param options - the CLI, the project, a work directory for the backend, and the environment.
 */
export function pulumiCliRunner(options: {
  pulumi: string;
  projectDir: string;
  workDir: string;
  env: Readonly<Record<string, string>>;
}): StackRunner {
  const backend = join(options.workDir, "pulumi-backend");
  let stackReady = false;
  return {
    description: `the Pulumi CLI (${options.pulumi})`,
    stateLocation: backend,
    async up(settings) {
      const tsx = pathToFileURL(require.resolve("tsx")).href;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...options.env,
        PULUMI_BACKEND_URL: pathToFileURL(backend).href,
        // a throwaway stack's secrets: the passphrase protects nothing that outlives the demo
        PULUMI_CONFIG_PASSPHRASE: "azure-byok-demo",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        NODE_OPTIONS:
          `${process.env.NODE_OPTIONS ?? ""} --conditions=azure-byok-source --import=${tsx}`.trim(),
        // The language host registers its bundled ts-node for a `typescript: true` project, on
        // top of tsx; type-checking what tsx already compiled fails ("Unable to compile
        // TypeScript"). Transpile-only, ts-node passes tsx's output through.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        AZURE_BYOK_VAULT_URL: settings.vaultUrl,
        AZURE_BYOK_KEK_SIZE: settings.kekSize,
        AZURE_BYOK_BYOK_FILE: settings.byokFile,
        AZURE_BYOK_TARGET_PUBLIC_KEY_FILE: settings.targetPublicKeyFile,
      };
      const cwd = options.projectDir;
      if (!stackReady) {
        await mkdir(backend, { recursive: true });
        const select = await run(
          options.pulumi,
          ["stack", "select", "--create", "--stack", "dev", "--non-interactive"],
          { cwd, env },
        );
        if (select.code !== 0) {
          throw new Error(`pulumi stack select --create dev failed: ${select.stderr.trim()}`);
        }
        stackReady = true;
      }
      const up = await run(
        options.pulumi,
        ["up", "--yes", "--non-interactive", "--skip-preview", "--stack", "dev", "--diff=false"],
        { cwd, env },
      );
      if (up.code !== 0)
        throw new Error(`pulumi up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
      const outputs = await run(
        options.pulumi,
        ["stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        { cwd, env },
      );
      if (outputs.code !== 0)
        throw new Error(`pulumi stack output failed: ${outputs.stderr.trim()}`);
      const display = up.stdout.trimEnd().split("\n");
      const changes = display
        .filter((line) => /^\s*(\+|~|\+-|-)\s+\S/.test(line))
        .map((line) => line.trim());
      return {
        outputs: JSON.parse(outputs.stdout) as Record<string, unknown>,
        noChanges: changes.length === 0,
        changes,
        display,
      };
    },
  };
}
