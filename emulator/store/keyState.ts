/**
 * The in-memory state both stores share, and the one function that applies a mutation to it.
 * Applying is total: a mutation that no longer fits (a recover of a purged key) changes nothing,
 * so replaying a journal never fails on a record that raced another.
 *
 * @module
 */
import type { KeyMutation, StoredKey, StoredKeyVersion, StoreMutation } from "./keyStore.js";
import { applyHsmMutation, createHsmState, getHsm } from "./hsmState.js";
import type { HsmState, HsmView } from "./hsmState.js";

/**
 * Keys by vault, then by lower-cased name (key names are case-insensitive in Key Vault), and
 * each Managed HSM's RBAC and activation.
 */
export interface KeyState {
  readonly keys: Map<string, Map<string, StoredKey>>;
  readonly hsm: HsmState;
}

export function createKeyState(): KeyState {
  return { keys: new Map(), hsm: createHsmState() };
}

function vaultKeys(state: KeyState, vault: string): Map<string, StoredKey> {
  let keys = state.keys.get(vault);
  if (keys === undefined) {
    keys = new Map();
    state.keys.set(vault, keys);
  }
  return keys;
}

function isKeyMutation(mutation: StoreMutation): mutation is KeyMutation {
  return ["putVersion", "updateVersion", "deleteKey", "recoverKey", "purgeKey"].includes(
    mutation.op,
  );
}

/** Applies one mutation. */
export function applyMutation(state: KeyState, mutation: StoreMutation): void {
  if (isKeyMutation(mutation)) applyKeyMutation(state, mutation);
  else applyHsmMutation(state.hsm, mutation);
}

function applyKeyMutation(state: KeyState, mutation: KeyMutation): void {
  const keys = vaultKeys(state, mutation.vault);
  const id = mutation.name.toLowerCase();
  const current = keys.get(id);
  switch (mutation.op) {
    case "putVersion": {
      if (current?.deleted !== undefined) return;
      const versions = current?.versions ?? [];
      keys.set(id, { name: current?.name ?? mutation.name, versions: [...versions, mutation.key] });
      return;
    }
    case "updateVersion": {
      if (current === undefined) return;
      const { changes } = mutation;
      const versions = current.versions.map((v): StoredKeyVersion => {
        if (v.version !== mutation.version) return v;
        const next: StoredKeyVersion = {
          ...v,
          keyOps: changes.keyOps ?? v.keyOps,
          enabled: changes.enabled ?? v.enabled,
          exportable: changes.exportable ?? v.exportable,
          tags: changes.tags ?? v.tags,
          updated: changes.updated,
          ...(changes.releasePolicy === undefined ? {} : { releasePolicy: changes.releasePolicy }),
        };
        return withDate(withDate(next, "nbf", changes.nbf), "exp", changes.exp);
      });
      keys.set(id, { ...current, versions });
      return;
    }
    case "deleteKey":
      if (current === undefined || current.deleted !== undefined) return;
      keys.set(id, {
        ...current,
        deleted: {
          deletedDate: mutation.deletedDate,
          scheduledPurgeDate: mutation.scheduledPurgeDate,
        },
      });
      return;
    case "recoverKey":
      if (current?.deleted === undefined) return;
      keys.set(id, { name: current.name, versions: current.versions });
      return;
    case "purgeKey":
      if (current?.deleted !== undefined) keys.delete(id);
      return;
  }
}

function withDate(
  version: StoredKeyVersion,
  field: "nbf" | "exp",
  value: number | null | undefined,
): StoredKeyVersion {
  if (value === undefined) return version;
  const rest: { -readonly [K in keyof StoredKeyVersion]: StoredKeyVersion[K] } = { ...version };
  if (field === "nbf") delete rest.nbf;
  else delete rest.exp;
  return value === null ? rest : { ...rest, [field]: value };
}

export function getKey(state: KeyState, vault: string, name: string): StoredKey | undefined {
  return state.keys.get(vault)?.get(name.toLowerCase());
}

export function listKeys(state: KeyState, vault: string): readonly StoredKey[] {
  return [...(state.keys.get(vault)?.values() ?? [])];
}

export function getHsmView(state: KeyState, vault: string): HsmView {
  return getHsm(state.hsm, vault);
}
