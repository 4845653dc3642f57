/**
 * The engine's steps for one dynamic resource, through the plugin host (reference §1.2, §1.3):
 * Check with the stored inputs as olds; then, for a resource in state, Diff against the stored
 * outputs; then Create, Update (old outputs, new checked inputs), or a replace that honours
 * `deleteBeforeReplace` (from Diff or the resource option) and is otherwise create-before-delete.
 * A DIFF_UNKNOWN answer falls back to comparing old and new inputs, `__provider` included, as the
 * engine does. In preview only Check and Diff run and the program sees the checked inputs, so
 * every other output is unknown, as with a provider that does not support preview.
 *
 * Every step that changed something is committed to the state before the next one starts.
 *
 * @module
 * @internal
 */
import { changedKeys } from "./engineValues.js";
import { DriverError } from "./errors.js";
import type { PluginHost, PropertyMap } from "./pluginHostClient.js";
import type { ResourceEntry } from "./stateFile.js";

/** What a deployment does to one resource, in `pulumi up`'s words. */
export type StepOp = "create" | "update" | "replace" | "same" | "delete";

/** One step, as the summary prints it. */
export interface Step {
  readonly op: StepOp;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  /** For an update, the inputs that changed; for a replace, the ones that force it. */
  readonly keys: readonly string[];
}

/** A resource registration as the driver sees it, secrets already stripped from the inputs. */
export interface Registration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly inputs: PropertyMap;
  /** The `deleteBeforeReplace` resource option. */
  readonly deleteBeforeReplace: boolean;
}

/** Where steps record what they changed; each call persists before it resolves. */
export interface StateWriter {
  put(entry: ResourceEntry): Promise<void>;
  remove(urn: string): Promise<void>;
  addPendingDelete(entry: ResourceEntry): Promise<void>;
  removePendingDelete(entry: ResourceEntry): Promise<void>;
}

/** The step taken and the properties the program gets back as the resource's state. */
export interface StepResult {
  readonly step: Step;
  readonly id: string;
  readonly state: PropertyMap;
}

/** The provider's message of a failed call: the host puts it in the gRPC status details. */
function reasonOf(error: unknown): string {
  const details = (error as { details?: unknown }).details;
  if (typeof details === "string" && details !== "") return details;
  return error instanceof Error ? error.message : String(error);
}

async function call<T>(operation: string, urn: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new DriverError(
      "ERR_PROVIDER_OPERATION",
      `${operation} of ${urn} failed: ${reasonOf(error)}`,
      { cause: error },
    );
  }
}

/** Deletes a resource through the stored provider: Delete receives the stored outputs only. */
export async function deleteResource(host: PluginHost, entry: ResourceEntry): Promise<void> {
  await call("delete", entry.urn, () => host.delete(entry.id, entry.urn, entry.outputs));
}

/**
 * Runs one registered dynamic resource through the plugin host.
 *
 * @param host - the plugin host of this deployment (Check stages `.byok` content in it for Create).
 * @param registration - the resource as the program registered it.
 * @param old - its entry in state, if any.
 * @param options - `preview`: Check and Diff only; `state`: where changes are committed.
 * @throws DriverError `ERR_CHECK_FAILED` with every failure, `ERR_PROVIDER_OPERATION` when
 * Create, Update or Delete fails (the state keeps what was done before).
 */
export async function stepResource(
  host: PluginHost,
  registration: Registration,
  old: ResourceEntry | undefined,
  options: { preview: boolean; state: StateWriter },
): Promise<StepResult> {
  const { preview, state } = options;
  const { urn, type, name, parent } = registration;
  const describe = (op: StepOp, keys: readonly string[] = []): Step => ({
    op,
    urn,
    type,
    name,
    ...(parent === undefined ? {} : { parent }),
    keys,
  });
  const entryOf = (id: string, inputs: PropertyMap, outputs: PropertyMap): ResourceEntry => ({
    urn,
    type,
    custom: true,
    ...(parent === undefined ? {} : { parent }),
    id,
    inputs,
    outputs,
  });

  const { inputs, failures } = await call("check", urn, () =>
    host.check(urn, old?.inputs ?? {}, registration.inputs),
  );
  if (failures.length > 0) {
    throw new DriverError(
      "ERR_CHECK_FAILED",
      `${urn} has invalid inputs:\n${failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`,
    );
  }

  if (old === undefined) {
    if (preview) return { step: describe("create"), id: "", state: inputs };
    const created = await call("create", urn, () => host.create(urn, inputs));
    await state.put(entryOf(created.id, inputs, created.properties));
    return { step: describe("create"), id: created.id, state: created.properties };
  }

  const diff = await call("diff", urn, () => host.diff(old.id, urn, old.outputs, inputs));
  const changed = changedKeys(old.inputs, inputs);
  const replacing = diff.changes === "some" && diff.replaces.length > 0;
  const updating =
    diff.changes === "some" ||
    (diff.changes === "unknown" &&
      (changed.length > 0 || old.inputs.__provider !== inputs.__provider));

  if (!replacing && !updating) {
    if (!preview) await state.put({ ...old, inputs });
    return { step: describe("same"), id: old.id, state: old.outputs };
  }
  if (preview) {
    const step = replacing ? describe("replace", diff.replaces) : describe("update", changed);
    return { step, id: old.id, state: inputs };
  }
  if (!replacing) {
    const outputs = await call("update", urn, () => host.update(old.id, urn, old.outputs, inputs));
    await state.put(entryOf(old.id, inputs, outputs));
    return { step: describe("update", changed), id: old.id, state: outputs };
  }
  if (diff.deleteBeforeReplace || registration.deleteBeforeReplace) {
    await deleteResource(host, old);
    await state.remove(urn);
    const created = await call("create", urn, () => host.create(urn, inputs));
    await state.put(entryOf(created.id, inputs, created.properties));
    return { step: describe("replace", diff.replaces), id: created.id, state: created.properties };
  }
  // create-before-delete, the engine's default: the old copy is pending delete until it is gone
  const created = await call("create", urn, () => host.create(urn, inputs));
  await state.addPendingDelete(old);
  await state.put(entryOf(created.id, inputs, created.properties));
  await deleteResource(host, old);
  await state.removePendingDelete(old);
  return { step: describe("replace", diff.replaces), id: created.id, state: created.properties };
}
