/**
 * The offline deployment driver: `pulumi up` and `pulumi preview` for programs whose resources
 * are dynamic resources and components, on a machine without the Pulumi CLI.
 *
 * It is a harness for the demo and end-to-end tests, not an engine for users. It runs the program
 * with the real Pulumi runtime (`programRunner.ts`), sends every dynamic resource through the real
 * plugin host exactly as the engine would (`resourceSteps.ts`), keeps a JSON state file
 * (`stateFile.ts`), deletes what the program no longer declares through the provider stored in
 * state, and refuses every other custom resource and every invoke, which need the CLI's plugins.
 *
 * Steps run as the program registers them: the Pulumi runtime holds a registration until its
 * inputs and `dependsOn` have resolved, so a resource waits for what it depends on while siblings
 * that do not depend on each other run at the same time, as with `pulumi up`'s default
 * (unlimited `--parallel`); their state writes are queued (`stateFile.ts`). Deletions of what
 * the program dropped run one at a time, in reverse registration order.
 *
 * What it leaves out: refresh, import, `protect`, `ignoreChanges`, `replaceOnChanges`, a
 * `--parallel` limit, secrets encryption in state, and partial-create failures
 * (`ErrorResourceInitFailed`).
 *
 * @module
 * @internal
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { markSecretOutputs, toProviderInputs } from "./engineValues.js";
import { DriverError } from "./errors.js";
import { startPluginHost } from "./pluginHostClient.js";
import type { PluginHost, PropertyMap } from "./pluginHostClient.js";
import { runProgram } from "./programRunner.js";
import type { ResourceRegistration } from "./programRunner.js";
import { deleteResource, stepResource } from "./resourceSteps.js";
import type { Step, StateWriter } from "./resourceSteps.js";
import { STATE_VERSION, readState, writeState } from "./stateFile.js";
import type { DeploymentState, ResourceEntry } from "./stateFile.js";

/** Options of {@link deploy}. */
export interface DeployOptions {
  /** The directory holding `Pulumi.yaml`; its `main` (default: the same directory) is the program. */
  readonly projectDir: string;
  /** The stack name. Default `dev`. */
  readonly stack?: string;
  /** The state file; absent means an empty stack. Never written in preview. */
  readonly stateFile: string;
  /** Check and Diff only, as `pulumi preview`: nothing is created, changed or written. Default false. */
  readonly preview?: boolean;
  /** Stack configuration (`key` or `project:key`), for the program and for the providers' `configure`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Extra environment of the plugin host: the credentials and trust the providers need. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a deployment did, in the order the program registered its resources. */
export interface DeploymentResult {
  readonly project: string;
  readonly stack: string;
  readonly preview: boolean;
  readonly steps: readonly Step[];
  /** The program's exports, wire form: secrets wrapped, unknowns (preview) as the sentinel. */
  readonly outputs: PropertyMap;
  readonly durationMs: number;
}

/** The project's name and program directory, from `Pulumi.yaml`. */
export function readProject(projectDir: string): { name: string; programDir: string } {
  let yaml: string;
  try {
    yaml = readFileSync(join(projectDir, "Pulumi.yaml"), "utf8");
  } catch (error) {
    throw new DriverError(
      "ERR_PROJECT",
      `${resolve(projectDir)} has no Pulumi.yaml: give the directory of a Pulumi project`,
      { cause: error },
    );
  }
  // the two top-level scalars the driver needs; a YAML parser would be a dependency for two lines
  const scalar = (key: string): string | undefined =>
    new RegExp(`^${key}:[ \\t]*["']?([^"'#\\n]*?)["']?[ \\t]*(?:#.*)?$`, "m").exec(yaml)?.[1];
  const name = scalar("name");
  if (name === undefined || name === "") {
    throw new DriverError(
      "ERR_PROJECT",
      `${join(projectDir, "Pulumi.yaml")} has no name: add "name: <project>"`,
    );
  }
  return { name, programDir: resolve(projectDir, scalar("main") ?? ".") };
}

function isDynamic(type: string): boolean {
  return type.startsWith("pulumi-nodejs:dynamic");
}

/**
 * Runs `pulumi up` (or `pulumi preview`) of a project offline.
 *
 * @param options - the project, stack, state file, mode, config and the plugin host's environment.
 * @returns the steps taken (or planned) and the stack outputs.
 * @throws DriverError `ERR_CHECK_FAILED`, `ERR_PROVIDER_OPERATION`, `ERR_NEEDS_PULUMI_CLI`,
 * `ERR_PROGRAM`, `ERR_PROJECT`, `ERR_STATE_FILE`; what succeeded before is in the state file.
 */
export async function deploy(options: DeployOptions): Promise<DeploymentResult> {
  const { stack = "dev", preview = false, config = {}, env = {} } = options;
  const started = Date.now();
  const project = readProject(options.projectDir);
  const previous = await readState(options.stateFile, project.name, stack);
  const resources = new Map(previous.resources.map((entry) => [entry.urn, entry]));
  let pendingDeletes = [...previous.pendingDeletes];
  let stackOutputs = previous.outputs;
  const snapshot = (): DeploymentState => ({
    version: STATE_VERSION,
    project: project.name,
    stack,
    resources: [...resources.values()],
    pendingDeletes,
    outputs: stackOutputs,
  });
  const save = async (): Promise<void> => {
    if (!preview) await writeState(options.stateFile, snapshot());
  };
  const writer: StateWriter = {
    async put(entry) {
      resources.set(entry.urn, entry);
      await save();
    },
    async remove(urn) {
      resources.delete(urn);
      await save();
    },
    async addPendingDelete(entry) {
      pendingDeletes = [...pendingDeletes, entry];
      await save();
    },
    async removePendingDelete(entry) {
      pendingDeletes = pendingDeletes.filter((pending) => pending !== entry);
      await save();
    },
  };
  const namespaced = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key.includes(":") ? key : `${project.name}:${key}`,
      value,
    ]),
  );

  const steps: Step[] = [];
  const host: PluginHost = await startPluginHost({ env: { ...env }, project: project.name });
  try {
    await host.configure(namespaced);
    // replaced copies an earlier run could not delete go first, as the engine retries them
    for (const pending of previous.pendingDeletes) {
      if (!preview) {
        await deleteResource(host, pending);
        await writer.removePendingDelete(pending);
      }
      steps.push(deleteStep(pending));
    }

    const seen = new Set<string>();
    const register = async (
      registration: ResourceRegistration,
    ): Promise<{ id: string; state: PropertyMap }> => {
      seen.add(registration.urn);
      const old = resources.get(registration.urn);
      const { urn, type, name, parent } = registration;
      if (!registration.custom) {
        // a component has no provider: it is recorded, and its inputs are its state
        steps.push({
          op: old === undefined ? "create" : "same",
          urn,
          type,
          name,
          ...(parent === undefined ? {} : { parent }),
          keys: [],
        });
        if (old === undefined) {
          await writer.put({
            urn,
            type,
            custom: false,
            ...(parent === undefined ? {} : { parent }),
            id: "",
            inputs: {},
            outputs: {},
          });
        }
        return { id: "", state: registration.inputs };
      }
      if (!isDynamic(type)) {
        throw new DriverError(
          "ERR_NEEDS_PULUMI_CLI",
          `${urn} (a ${type}) needs the Pulumi CLI: the offline driver runs only dynamic resources (pulumi-nodejs:dynamic/…) and components; run this stack with \`pulumi up\` (npm start -- --pulumi)`,
        );
      }
      const { inputs, secretKeys } = toProviderInputs(registration.inputs);
      const result = await stepResource(
        host,
        {
          urn,
          type,
          name,
          ...(parent === undefined ? {} : { parent }),
          inputs,
          deleteBeforeReplace: registration.deleteBeforeReplace,
        },
        old,
        { preview, state: writer },
      );
      steps.push(result.step);
      return {
        id: result.id,
        state: markSecretOutputs(result.state, [
          ...secretKeys,
          ...registration.additionalSecretOutputs,
        ]),
      };
    };

    const { outputs } = await runProgram({
      programDir: project.programDir,
      project: project.name,
      stack,
      preview,
      config,
      register,
    });

    // what the program no longer declares goes, dependents first (reverse registration order);
    // the engine deletes nothing when the program fails, and neither does this (runProgram threw)
    for (const entry of [...resources.values()].reverse()) {
      if (seen.has(entry.urn)) continue;
      if (!preview) {
        if (entry.custom) await deleteResource(host, entry);
        await writer.remove(entry.urn);
      }
      steps.push(deleteStep(entry));
    }
    stackOutputs = outputs;
    await save();
    return {
      project: project.name,
      stack,
      preview,
      steps,
      outputs,
      durationMs: Date.now() - started,
    };
  } finally {
    await host.close();
  }
}

function deleteStep(entry: ResourceEntry): Step {
  return {
    op: "delete",
    urn: entry.urn,
    type: entry.type,
    name: entry.urn.split("::").at(-1) ?? entry.urn,
    ...(entry.parent === undefined ? {} : { parent: entry.parent }),
    keys: [],
  };
}
