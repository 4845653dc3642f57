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
import { createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS } from "pulumi-azure-byok";
import {
  findRegisteredSecret,
  indexFingerprints,
  secretFingerprints,
} from "../reliability/leakScan.js";
import { appendForLeakScan } from "../reliability/reliabilitySettings.js";
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
  #state: ResourceState | undefined;
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

  /** The state entry, as the engine would have written it after the last step. */
  get state(): ResourceState | undefined {
    return this.#state;
  }

  /**
   * Every state the driver holds is also appended to the reliability run's artifacts (a state
   * file would have held it), so the leak scan reads what only lived in memory. Outputs the engine
   * stores encrypted are masked there as in a real state file.
   */
  set state(next: ResourceState | undefined) {
    this.#state = next;
    appendForLeakScan("resource-state", JSON.stringify(asStateFileHoldsIt(this.#urn, next)));
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

/** How a Pulumi state file holds a secret output: encrypted, so none of its bytes show. */
const ENCRYPTED = "[secret: the engine stores this output encrypted]";

/**
 * The state entry as a Pulumi state file would hold it: the outputs the resource lists in
 * `additionalSecretOutputs` (the activation's security domain and generated private keys) are
 * ciphertext there, so they are masked; everything else is as the driver has it.
 */
function asStateFileHoldsIt(urn: string, state: ResourceState | undefined): unknown {
  if (state === undefined || !urn.includes(":ManagedHsmActivation::")) return state ?? null;
  const secret: readonly string[] = MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS;
  return {
    ...state,
    outputs: Object.fromEntries(
      Object.entries(state.outputs).map(([name, value]) => [
        name,
        secret.includes(name) ? ENCRYPTED : value,
      ]),
    ),
  };
}

/**
 * A base64, base64url or hex encoding of 100 characters or more: a ciphertext (an RSA-2048 block
 * alone is 342), not a digest or thumbprint (43 to 64), which state and outputs rightly hold.
 */
const ENCODED = /^[A-Za-z0-9+/_-]{100,}={0,2}$/;
const ENCODED_RUNS = /[A-Za-z0-9+/_-]{100,}={0,2}/g;

/** The private key a secret is, when it is one (PEM text, or PKCS#8, PKCS#1 or SEC1 DER). */
function privateKeyIn(secret: string | Buffer): KeyObject | undefined {
  const attempts =
    typeof secret === "string"
      ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secret)
        ? [() => createPrivateKey(secret)]
        : []
      : (["pkcs8", "pkcs1", "sec1"] as const).map(
          (type) => () => createPrivateKey({ key: secret, format: "der", type }),
        );
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // not this format
    }
  }
  return undefined;
}

/** The string leaves of a JSON value. */
function jsonStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(jsonStrings);
}

/**
 * What identifies a secret, for the leak scanner's fingerprints: a private key's private parts
 * (RSA d, p, q, dp, dq, qi; EC d), not its PKCS#8 or PEM framing, whose first bytes are the same
 * for every RSA-2048 or P-256 key; raw bytes (an AES key) as they are; and of a text (a .byok
 * file, a security domain) its encoded payloads (the ciphertexts, decoded too), not its JSON
 * framing, the KEK kid or the thumbprints it names, which state may rightly hold.
 */
function materialOf(secret: string | Buffer): Array<KeyObject | Uint8Array> {
  const key = privateKeyIn(secret);
  if (key !== undefined) return [key];
  if (typeof secret !== "string") return [secret];
  let runs: string[];
  try {
    runs = jsonStrings(JSON.parse(secret)).filter((value) => ENCODED.test(value));
  } catch {
    runs = secret.match(ENCODED_RUNS) ?? [];
  }
  if (runs.length === 0) return [Buffer.from(secret)];
  return runs.flatMap((run) => [Buffer.from(run), Buffer.from(run, "base64")]);
}

/**
 * The secrets a state snapshot (or a log, or an error) must not contain: returns the labels of
 * those it does, and "a PEM private key" for any PEM private key block. Each secret is searched
 * for by what identifies it ({@link materialOf}) with the reliability leak scanner's fingerprints,
 * so it is found in raw, hex, base64 or base64url form, at any alignment, across line breaks,
 * inside other text; a short text secret is also matched whole.
 */
export function findLeaks(snapshot: string, secrets: Record<string, string | Buffer>): string[] {
  const leaks: string[] = [];
  if (/PRIVATE KEY/.test(snapshot)) leaks.push("a PEM private key");
  const bytes = Buffer.from(snapshot, "utf8");
  for (const [label, secret] of Object.entries(secrets)) {
    const index = indexFingerprints(
      materialOf(secret).map((material) => secretFingerprints(label, material)),
    );
    const whole =
      typeof secret === "string" &&
      secret.length >= 16 &&
      (snapshot.includes(secret) || snapshot.includes(JSON.stringify(secret).slice(1, -1)));
    if (whole || findRegisteredSecret(bytes, index) !== undefined) leaks.push(label);
  }
  return leaks;
}
