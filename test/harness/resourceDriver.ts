/**
 * A small stand-in for the engine's step logic over one resource, on top of {@link PluginHost}:
 * it keeps the resource's state as the engine would write it (`inputs` = the *checked* inputs,
 * `outputs` = what Create/Update/Read returned, `__provider` in both) and runs preview, up,
 * refresh and destroy the way reference §1.2/§1.3 describe (Check first; Diff against the stored
 * outputs; Update in place or create-before-delete on a replace; a blank id on Read means gone).
 *
 * It is not the engine: no secrets annotation, no `ignoreChanges`, one resource at a time.
 *
 * @module
 */
import type { CheckFailure, DiffChanges, PluginHost, PropertyMap } from "./pluginHost.js";

/** One resource's entry in the state file. */
export interface ResourceState {
  readonly urn: string;
  readonly id: string;
  readonly inputs: PropertyMap;
  readonly outputs: PropertyMap;
}

/** What `up` did. */
export type UpAction = "create" | "update" | "replace" | "same";

/** Thrown when Check reports failures, as the engine stops the deployment. */
export class CheckFailedError extends Error {
  readonly failures: CheckFailure[];

  constructor(failures: CheckFailure[]) {
    super(`check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.failures = failures;
  }
}

/** Drives one resource through the plugin host and keeps its state. */
export class ResourceDriver {
  state: ResourceState | undefined;
  readonly #host: PluginHost;
  readonly #urn: string;
  readonly #provider: string;

  /**
   * @param host - a started plugin host.
   * @param urn - the resource's URN.
   * @param provider - the `__provider` text from Pulumi's serializer.
   */
  constructor(host: PluginHost, urn: string, provider: string) {
    this.#host = host;
    this.#urn = urn;
    this.#provider = provider;
  }

  /** Check, as the engine calls it with the stored inputs as olds. */
  async check(program: PropertyMap): Promise<{ inputs: PropertyMap; failures: CheckFailure[] }> {
    return this.#host.check(this.#urn, this.state?.inputs ?? {}, {
      ...program,
      __provider: this.#provider,
    });
  }

  /** `pulumi preview` for this resource: Check and, when it exists, Diff. No Create/Update. */
  async preview(
    program: PropertyMap,
  ): Promise<{ changes: DiffChanges; replaces: string[]; inputs: PropertyMap }> {
    const { inputs, failures } = await this.check(program);
    if (failures.length > 0) throw new CheckFailedError(failures);
    if (this.state === undefined) return { changes: "some", replaces: [], inputs };
    const diff = await this.#host.diff(this.state.id, this.#urn, this.state.outputs, inputs);
    return { changes: diff.changes, replaces: diff.replaces, inputs };
  }

  /** `pulumi up` for this resource. */
  async up(program: PropertyMap): Promise<UpAction> {
    const { changes, replaces, inputs } = await this.preview(program);
    const state = this.state;
    if (state === undefined) {
      const created = await this.#host.create(this.#urn, inputs);
      this.state = { urn: this.#urn, id: created.id, inputs, outputs: created.properties };
      return "create";
    }
    if (changes === "none") {
      this.state = { ...state, inputs };
      return "same";
    }
    if (replaces.length > 0) {
      // create-before-delete, the engine's default for a replace
      const created = await this.#host.create(this.#urn, inputs);
      await this.#host.delete(state.id, this.#urn, state.outputs);
      this.state = { urn: this.#urn, id: created.id, inputs, outputs: created.properties };
      return "replace";
    }
    const outputs = await this.#host.update(state.id, this.#urn, state.outputs, inputs);
    this.state = { ...state, inputs, outputs };
    return "update";
  }

  /** `pulumi refresh` for this resource: true when the resource still exists. */
  async refresh(): Promise<boolean> {
    const state = this.state;
    if (state === undefined) return false;
    const read = await this.#host.read(state.id, this.#urn, state.outputs);
    if (read.id === "") {
      this.state = undefined;
      return false;
    }
    this.state = { ...state, id: read.id, outputs: read.properties };
    return true;
  }

  /** `pulumi destroy` for this resource: Delete gets the stored outputs only. */
  async destroy(): Promise<void> {
    const state = this.state;
    if (state === undefined) return;
    await this.#host.delete(state.id, this.#urn, state.outputs);
    this.state = undefined;
  }

  /** The state entry as the state file would hold it. */
  snapshot(): string {
    return JSON.stringify(this.state ?? null);
  }
}

/**
 * The secrets a state snapshot must not contain: returns the labels of those it does. Checks
 * each value as given and, for byte strings, in base64 and base64url too.
 */
export function findLeaks(snapshot: string, secrets: Record<string, string | Buffer>): string[] {
  const leaks: string[] = [];
  if (/PRIVATE KEY/.test(snapshot)) leaks.push("a PEM private key");
  for (const [label, secret] of Object.entries(secrets)) {
    const forms =
      typeof secret === "string"
        ? [secret, JSON.stringify(secret).slice(1, -1)]
        : [secret.toString("base64"), secret.toString("base64url")];
    // a 48-character window of each form is enough to recognise it, even inside other text
    if (
      forms.some(
        (form) => form.length > 0 && snapshot.includes(form.slice(0, Math.min(48, form.length))),
      )
    ) {
      leaks.push(label);
    }
  }
  return leaks;
}
