/**
 * Runs a Pulumi program in this process with the real Pulumi runtime, as the Node language host
 * does (`runInPulumiStack` around `require(program)`), but with `pulumi.runtime.setMocks` in place
 * of the engine connection: every resource registration goes to a hook that sees the whole
 * request (URN, parent, custom or component, wire-form inputs, resource options) and answers with
 * the resource's id and state, as the engine would. Invokes and reads are refused: only the engine
 * can run them.
 *
 * The Pulumi runtime is one per process, so one program runs at a time.
 *
 * @module
 * @internal
 */
import { existsSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DriverError } from "./errors.js";
import type { PropertyMap } from "./pluginHostClient.js";

/* eslint-disable @typescript-eslint/no-require-imports -- the runtime's monitor seam and the generated protos are CommonJS internals without an exports map */
const settings = require("@pulumi/pulumi/runtime/settings.js") as {
  getMonitor(): Record<string, unknown>;
  waitForRPCs(): Promise<void>;
};
const resourcePb = require("@pulumi/pulumi/proto/resource_pb.js") as {
  RegisterResourceResponse: new () => {
    setUrn(urn: string): void;
    setId(id: string): void;
    setObject(object: unknown): void;
  };
};
const structPb = require("google-protobuf/google/protobuf/struct_pb.js") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The part of a `RegisterResourceRequest` the driver reads (generated getters). */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): PropertyMap } | undefined;
  getDeletebeforereplace(): boolean;
  getAdditionalsecretoutputsList(): string[];
}

/** A resource registration as the engine receives it. */
export interface ResourceRegistration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  /** True for custom resources, false for components and the stack. */
  readonly custom: boolean;
  /** Inputs in wire form: secrets wrapped, unknowns as the sentinel (preview only). */
  readonly inputs: PropertyMap;
  readonly deleteBeforeReplace: boolean;
  readonly additionalSecretOutputs: readonly string[];
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  /** The program's directory (what `Pulumi.yaml`'s `main` names); its `index.ts` or `index.js` runs. */
  readonly programDir: string;
  readonly project: string;
  readonly stack: string;
  /** Run as `pulumi preview`: `pulumi.runtime.isDryRun()` is true and unknown outputs stay unknown. */
  readonly preview: boolean;
  /** Stack configuration, keys `project:key` or bare `key` (then the project's namespace). */
  readonly config: Readonly<Record<string, string>>;
  /** Answers a registration with the resource's id and state (wire form), as the engine would. */
  readonly register: (
    registration: ResourceRegistration,
  ) => Promise<{ id: string; state: PropertyMap }>;
}

/** What the program left: its exports as stack outputs, in wire form. */
export interface ProgramResult {
  readonly outputs: PropertyMap;
}

let running = false;

function needsCli(what: string): DriverError {
  return new DriverError(
    "ERR_NEEDS_PULUMI_CLI",
    `${what} needs the Pulumi CLI: the offline driver runs only dynamic resources (pulumi-nodejs:dynamic/…) and components; run this stack with \`pulumi up\` (npm start -- --pulumi)`,
  );
}

function programEntry(programDir: string): string {
  for (const file of ["index.ts", "index.js"]) {
    const path = join(programDir, file);
    if (existsSync(path)) return path;
  }
  throw new DriverError(
    "ERR_PROJECT",
    `the program directory ${programDir} has no index.ts or index.js: point Pulumi.yaml's main at the program's directory`,
  );
}

/** Forgets the program's own modules, so running it again runs it again. */
function unloadProgram(programDir: string): void {
  const prefix = programDir.endsWith(sep) ? programDir : `${programDir}${sep}`;
  for (const path of Object.keys(require.cache)) {
    if (path.startsWith(prefix) && !path.includes(`${sep}node_modules${sep}`)) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the module cache is keyed by path
      delete require.cache[path];
    }
  }
}

function configWithNamespace(
  project: string,
  config: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key.includes(":") ? key : `${project}:${key}`,
      value,
    ]),
  );
}

/**
 * Runs the program once.
 *
 * @throws DriverError: the first error a registration hook threw (the deployment stops there, as
 * the engine's does), `ERR_NEEDS_PULUMI_CLI` for an invoke or read, `ERR_PROGRAM` when the
 * program itself threw, `ERR_DEPLOYMENT_RUNNING` when another program is running.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramResult> {
  if (running) {
    throw new DriverError(
      "ERR_DEPLOYMENT_RUNNING",
      "a deployment is already running in this process: the Pulumi runtime is one per process, run deployments one after another",
    );
  }
  running = true;
  const programDir = resolve(options.programDir);
  const errors: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    errors.push(reason);
  };
  process.on("unhandledRejection", onRejection);
  try {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          throw needsCli(`reading ${args.type} "${args.name}" (.get)`);
        },
        call: (args) => {
          throw needsCli(`calling ${args.token}`);
        },
      },
      options.project,
      options.stack,
      options.preview,
    );
    pulumi.runtime.setAllConfig(configWithNamespace(options.project, options.config));
    let stackUrn: string | undefined;
    let outputs: PropertyMap = {};
    const monitor = settings.getMonitor() as {
      newUrn(parent: string, type: string, name: string): string;
      registerResource: unknown;
      registerResourceOutputs: unknown;
    };
    monitor.registerResource = (
      request: RegisterResourceRequest,
      callback: (error: unknown, response?: unknown) => void,
    ): void => {
      const type = request.getType();
      const parent = request.getParent();
      const urn = monitor.newUrn(parent, type, request.getName());
      if (type === "pulumi:pulumi:Stack") stackUrn = urn;
      const registration: ResourceRegistration = {
        urn,
        type,
        name: request.getName(),
        ...(parent === "" ? {} : { parent }),
        custom: request.getCustom(),
        inputs: request.getObject()?.toJavaScript() ?? {},
        deleteBeforeReplace: request.getDeletebeforereplace(),
        additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      };
      const answer = (id: string, state: PropertyMap): void => {
        const response = new resourcePb.RegisterResourceResponse();
        response.setUrn(urn);
        response.setId(id);
        response.setObject(structPb.Struct.fromJavaScript(state));
        callback(null, response);
      };
      // After the first failure nothing more reaches a provider, as the engine stops there. The
      // failed registration itself is answered with an empty state rather than an error: an
      // error would reject every output of the resource, each an unhandled rejection in this
      // process; the recorded error is thrown once the program has finished.
      if (errors.length > 0) {
        answer("", {});
        return;
      }
      options.register(registration).then(
        ({ id, state }) => {
          answer(id, state);
        },
        (error: unknown) => {
          errors.push(error);
          answer("", {});
        },
      );
    };
    monitor.registerResourceOutputs = (
      request: { getUrn(): string; getOutputs(): { toJavaScript(): PropertyMap } | undefined },
      callback: (error: unknown, response?: unknown) => void,
    ): void => {
      if (request.getUrn() === stackUrn) outputs = request.getOutputs()?.toJavaScript() ?? {};
      callback(null, {});
    };

    const entry = programEntry(programDir);
    unloadProgram(programDir);
    let programError: unknown;
    try {
      await pulumi.runtime.runInPulumiStack(() =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Pulumi program is loaded with require, as the language host does
        Promise.resolve(require(entry) as unknown),
      );
    } catch (error) {
      programError = error;
    }
    await settings.waitForRPCs();
    // a registration's own error says what failed; the program's is usually its echo
    const first = errors.find((error) => error instanceof DriverError) ?? errors[0];
    if (first !== undefined)
      throw first instanceof Error ? first : new Error(JSON.stringify(first));
    if (programError !== undefined) {
      throw new DriverError(
        "ERR_PROGRAM",
        `the program ${entry} failed: ${programError instanceof Error ? programError.message : JSON.stringify(programError)}`,
        { cause: programError },
      );
    }
    return { outputs };
  } finally {
    process.off("unhandledRejection", onRejection);
    unloadProgram(programDir);
    running = false;
  }
}
