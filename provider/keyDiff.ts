/**
 * The diff rules of DESIGN.md ("State and diff rules") as one table per resource: each input
 * property maps to what a change to it costs. `diff` calls {@link planKeyChange}; `update`
 * calls it again to know whether to import/create a new version or PATCH the current one.
 *
 * - `replace`: only `vaultUrl` and `name` (a different vault or name is a different Azure key);
 * - `newVersion`: a new `.byok` (by SHA-256), a KEK size, a key type or exportability — a new
 *   version of the same key, in place; the old version stays;
 * - `update`: tags, enabled, dates, key operations, release policy — PATCHed in place; and
 *   settings that live only in state (`purgeOnDelete`);
 * - `ignore`: everything else, `__provider` included, so a provider-code-only change is no change.
 *
 * An input that is (or contains) the unknown sentinel counts as changed. An optional input the
 * program left out means "no opinion" (it is not compared), except `tags` (absent = no tags) and
 * `enabled` (absent = true), which Key Vault always has.
 *
 * @module
 * @internal
 */
import { byokDigestOf } from "./byokDigest.js";
import { containsUnknown } from "./unknowns.js";

/** What a change to one property costs. */
export type ChangeAction = "replace" | "update" | "newVersion" | "ignore";

/** How one input property is compared with the state. */
export interface PropertyRule {
  readonly action: ChangeAction;
  /** The output that holds the stored value; default: the same name. */
  readonly output?: string;
  /** True when the stored value and the new input mean the same; default: JSON equality. */
  readonly same?: (stored: unknown, input: unknown) => boolean;
  /** When true, an absent input is not compared ("no opinion"). */
  readonly absentMeansNoOpinion?: boolean;
}

/** A diff table: input property to rule. Properties not listed are ignored. */
export type ChangeTable = Readonly<Record<string, PropertyRule>>;

/** The outcome of {@link planKeyChange}. */
export interface KeyChangePlan {
  /** True when anything must happen on `up`. */
  readonly changes: boolean;
  /** Properties that force a new key (only `vaultUrl`, `name`). */
  readonly replaces: string[];
  /** Properties that need a new version of the key, in place. */
  readonly newVersion: string[];
  /** Properties that are PATCHed in place (or only recorded in state). */
  readonly update: string[];
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const jsonEqual = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

function normalizeUrl(value: unknown): unknown {
  return typeof value === "string" ? value.toLowerCase().replace(/\/+$/, "") : value;
}

/** Key Vault compares dates to the second (attributes are Unix seconds). */
function toSeconds(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : Math.floor(time / 1000);
}

function sortedStrings(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])].map(String).sort() : value;
}

function normalizedPolicy(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const { policy, immutable } = value as { policy?: unknown; immutable?: unknown };
  let parsed: unknown = policy;
  try {
    parsed = typeof policy === "string" ? JSON.parse(policy) : policy;
  } catch {
    // compared as text
  }
  return { policy: parsed, immutable: immutable === true };
}

const rules = {
  vaultUrl: {
    action: "replace",
    same: (a: unknown, b: unknown) => normalizeUrl(a) === normalizeUrl(b),
  },
  // Key Vault names are case-insensitive: "MyKey" and "mykey" are the same key.
  name: {
    action: "replace",
    same: (a: unknown, b: unknown) =>
      typeof a === "string" && typeof b === "string"
        ? a.toLowerCase() === b.toLowerCase()
        : a === b,
  },
  tags: { action: "update", same: (a: unknown, b: unknown) => jsonEqual(a ?? {}, b ?? {}) },
  enabled: { action: "update", same: (a: unknown, b: unknown) => (a ?? true) === (b ?? true) },
  expiresOn: {
    action: "update",
    absentMeansNoOpinion: true,
    same: (a: unknown, b: unknown) => toSeconds(a) === toSeconds(b),
  },
  notBefore: {
    action: "update",
    absentMeansNoOpinion: true,
    same: (a: unknown, b: unknown) => toSeconds(a) === toSeconds(b),
  },
  purgeOnDelete: {
    action: "update",
    same: (a: unknown, b: unknown) => (a ?? false) === (b ?? false),
  },
} as const satisfies ChangeTable;

/** The table of `ByokImportedKey`. */
export const IMPORTED_KEY_CHANGES: ChangeTable = {
  ...rules,
  byok: {
    action: "newVersion",
    output: "byokSha256",
    same: (stored, input) => typeof input === "string" && stored === byokDigestOf(input),
  },
  keyType: { action: "newVersion" },
  curve: { action: "newVersion", same: (a, b) => (a ?? null) === (b ?? null) },
  exportable: {
    action: "newVersion",
    same: (a: unknown, b: unknown) => (a ?? false) === (b ?? false),
  },
  keyOps: {
    action: "update",
    absentMeansNoOpinion: true,
    same: (a, b) => jsonEqual(sortedStrings(a), sortedStrings(b)),
  },
  releasePolicy: {
    action: "update",
    absentMeansNoOpinion: true,
    same: (a, b) => jsonEqual(normalizedPolicy(a), normalizedPolicy(b)),
  },
  // Re-checked against the key the vault holds now; no PATCH.
  expectedPublicKeyPem: {
    action: "update",
    absentMeansNoOpinion: true,
    same: (a, b) =>
      typeof a === "string" && typeof b === "string" ? a.trim() === b.trim() : a === b,
  },
  kekKid: { action: "ignore" },
  adoptExisting: { action: "ignore" },
};

/** The table of `ImportKek`. Its key operations are always exactly `["import"]`. */
export const IMPORT_KEK_CHANGES: ChangeTable = {
  ...rules,
  size: { action: "newVersion", output: "keySize" },
};

/** Options of {@link planKeyChange}. */
export interface PlanKeyChangeOptions {
  /** The resource's table; default {@link IMPORTED_KEY_CHANGES}. */
  readonly table?: ChangeTable;
  /**
   * When true, a newer version made outside Pulumi (state's `latestVersion` differs from
   * `version` after a refresh) is answered with a new version from the declared inputs.
   * Default: true for imported keys (the declared `.byok` is re-imported so the key material
   * Pulumi declares is current again); `ImportKek` passes false (a KEK's material is random,
   * so a new version restores nothing).
   */
  readonly restoreLatestVersion?: boolean;
}

/**
 * Plans what turns the stored state into the new inputs, without any network call.
 *
 * @param olds - the stored outputs (the engine passes outputs, not inputs, to Diff).
 * @param news - the checked new inputs; any value may be the unknown sentinel.
 * @returns which properties replace, need a new version, or update in place.
 */
export function planKeyChange(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  options: PlanKeyChangeOptions = {},
): KeyChangePlan {
  const { table = IMPORTED_KEY_CHANGES, restoreLatestVersion = table === IMPORTED_KEY_CHANGES } =
    options;
  const replaces: string[] = [];
  const newVersion: string[] = [];
  const update: string[] = [];
  for (const [property, rule] of Object.entries(table)) {
    if (rule.action === "ignore") continue;
    const input = news[property];
    const stored = olds[rule.output ?? property];
    if (rule.absentMeansNoOpinion === true && (input === undefined || input === null)) continue;
    const changed = containsUnknown(input) || !(rule.same ?? jsonEqual)(stored, input);
    if (!changed) continue;
    switch (rule.action) {
      case "replace":
        replaces.push(property);
        break;
      case "newVersion":
        newVersion.push(property);
        break;
      case "update":
        update.push(property);
        break;
    }
  }
  const { version, latestVersion } = olds;
  if (
    restoreLatestVersion &&
    typeof latestVersion === "string" &&
    typeof version === "string" &&
    latestVersion !== version &&
    !newVersion.includes("byok")
  ) {
    newVersion.push("latestVersion");
  }
  return {
    changes: replaces.length + newVersion.length + update.length > 0,
    replaces,
    newVersion,
    update,
  };
}
