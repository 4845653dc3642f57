/**
 * The driver's state file: what the engine's checkpoint holds for each resource, as plain JSON.
 *
 * For a dynamic resource that is the URN, type, id, the *checked* inputs (what Check returned,
 * so `ByokImportedKey`'s `.byok` is only its digest) and the outputs of the last Create, Update
 * or Read, `__provider` in both (Delete runs the stored provider code, reference §1.3). Secrets are
 * kept in their wire form (`{ "4dabf…": "1b47…", value }`) but, unlike the engine's checkpoint,
 * not encrypted: this is a harness's state, not a user's.
 *
 * Written through a temporary file and a rename, so a crash never leaves half a file.
 *
 * @module
 * @internal
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { DriverError } from "./errors.js";
import type { PropertyMap } from "./pluginHostClient.js";

/** The format version written in every state file. */
export const STATE_VERSION = 1;

/** One resource in the state file, in registration (dependency) order. */
export interface ResourceEntry {
  readonly urn: string;
  readonly type: string;
  /** True for custom resources (here: dynamic ones); false for components and the stack. */
  readonly custom: boolean;
  /** The parent's URN; absent for the stack itself. */
  readonly parent?: string;
  /** The provider's id; empty for components. */
  readonly id: string;
  /** The checked inputs, secrets in wire form. Empty for components. */
  readonly inputs: PropertyMap;
  /** The outputs, secrets in wire form. Empty for components. */
  readonly outputs: PropertyMap;
}

/** The whole state file. */
export interface DeploymentState {
  readonly version: typeof STATE_VERSION;
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly ResourceEntry[];
  /**
   * Resources replaced create-before-delete whose old copy is not deleted yet: kept so a failure
   * between the create and the delete never forgets a resource that still exists.
   */
  readonly pendingDeletes: readonly ResourceEntry[];
  /** The stack outputs (the program's exports) of the last successful update. */
  readonly outputs: PropertyMap;
}

/** An empty state for a project and stack. */
export function emptyState(project: string, stack: string): DeploymentState {
  return { version: STATE_VERSION, project, stack, resources: [], pendingDeletes: [], outputs: {} };
}

/**
 * Reads a state file; a missing file is an empty state.
 *
 * @throws DriverError `ERR_STATE_FILE` when the file is not JSON, not of this format, or of
 * another project or stack.
 */
export async function readState(
  path: string,
  project: string,
  stack: string,
): Promise<DeploymentState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState(project, stack);
    throw new DriverError("ERR_STATE_FILE", `cannot read the state file ${path}`, {
      cause: error,
    });
  }
  let state: Partial<DeploymentState>;
  try {
    state = JSON.parse(text) as Partial<DeploymentState>;
  } catch (error) {
    throw new DriverError(
      "ERR_STATE_FILE",
      `the state file ${path} is not JSON: delete it to start from an empty stack (the resources it named are not deleted)`,
      { cause: error },
    );
  }
  if (state.version !== STATE_VERSION || !Array.isArray(state.resources)) {
    throw new DriverError(
      "ERR_STATE_FILE",
      `the state file ${path} has version ${String(state.version)}, expected ${STATE_VERSION}: it was not written by this driver; use another --state path`,
    );
  }
  if (state.project !== project || state.stack !== stack) {
    throw new DriverError(
      "ERR_STATE_FILE",
      `the state file ${path} belongs to ${String(state.project)}/${String(state.stack)}, not ${project}/${stack}: use one state file per project and stack`,
    );
  }
  return {
    version: STATE_VERSION,
    project,
    stack,
    resources: state.resources,
    pendingDeletes: state.pendingDeletes ?? [],
    outputs: state.outputs ?? {},
  };
}

/** The last write queued per state file: writes to one file run one after another. */
const pendingWrites = new Map<string, Promise<void>>();

/**
 * Writes the state file atomically (temporary file, then rename). Sibling resources finish
 * concurrently and each saves the state: the writes are queued in call order, so they never
 * share the temporary file and an older snapshot never lands after a newer one.
 */
export function writeState(path: string, state: DeploymentState): Promise<void> {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  const previous = pendingWrites.get(path) ?? Promise.resolve();
  const write = previous
    .catch(() => undefined)
    .then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${String(process.pid)}.tmp`;
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, path);
    });
  pendingWrites.set(path, write);
  const forget = (): void => {
    if (pendingWrites.get(path) === write) pendingWrites.delete(path);
  };
  write.then(forget, forget);
  return write;
}
