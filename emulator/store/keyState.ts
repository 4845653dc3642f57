/**
 * The in-memory state both stores share, and the functions that apply mutations to it.
 * Applying checks: a mutation that does not fit the state (a new version of a soft-deleted key,
 * a recover of a purged key, a taken role assignment name) changes nothing and says why. A
 * commit refuses it, so no write is acknowledged and then dropped ({@link applyMutations});
 * replaying a journal ignores the answer, so a journal written before these checks still opens.
 *
 * @module
 */
import type { KeyMutation, StoredKey, StoredKeyVersion, StoreMutation } from "./keyStore.js";
import {
  applyHsmMutation,
  cloneHsmState,
  createHsmState,
  getHsm,
  snapshotHsm,
} from "./hsmState.js";
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

/** Applies one mutation, or answers why it does not fit (and changes nothing). */
export function applyMutation(state: KeyState, mutation: StoreMutation): string | undefined {
  return isKeyMutation(mutation)
    ? applyKeyMutation(state, mutation)
    : applyHsmMutation(state.hsm, mutation);
}

/**
 * Applies mutations in order, all or none: when one does not fit, those before it are undone
 * and the answer says why.
 */
export function applyMutations(
  state: KeyState,
  mutations: readonly StoreMutation[],
): string | undefined {
  const undo: (() => void)[] = [];
  for (const mutation of mutations) {
    undo.push(snapshot(state, mutation));
    const refusal = applyMutation(state, mutation);
    if (refusal !== undefined) {
      for (const restore of undo.reverse()) restore();
      return refusal;
    }
  }
  return undefined;
}

/** A copy that later mutations of either leave the other alone (stored objects are shared: they never change). */
export function cloneKeyState(state: KeyState): KeyState {
  return {
    keys: new Map([...state.keys].map(([vault, keys]) => [vault, new Map(keys)])),
    hsm: cloneHsmState(state.hsm),
  };
}

/** What `mutation` may change, taken before it is applied; the function returned puts it back. */
function snapshot(state: KeyState, mutation: StoreMutation): () => void {
  if (!isKeyMutation(mutation)) return snapshotHsm(state.hsm, mutation.vault);
  const keys = vaultKeys(state, mutation.vault);
  const id = mutation.name.toLowerCase();
  const before = keys.get(id);
  return () => {
    if (before === undefined) keys.delete(id);
    else keys.set(id, before);
  };
}

function applyKeyMutation(state: KeyState, mutation: KeyMutation): string | undefined {
  const keys = vaultKeys(state, mutation.vault);
  const id = mutation.name.toLowerCase();
  const current = keys.get(id);
  switch (mutation.op) {
    case "putVersion": {
      if (current?.deleted !== undefined) return `key ${mutation.name} is deleted`;
      const versions = current?.versions ?? [];
      if (versions.some((v) => v.version === mutation.key.version))
        return `key ${mutation.name} has a version ${mutation.key.version} already`;
      keys.set(id, { name: current?.name ?? mutation.name, versions: [...versions, mutation.key] });
      return undefined;
    }
    case "updateVersion": {
      if (current === undefined || current.deleted !== undefined)
        return `key ${mutation.name} does not exist or is deleted`;
      if (!current.versions.some((v) => v.version === mutation.version))
        return `key ${mutation.name} has no version ${mutation.version}`;
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
      return undefined;
    }
    case "deleteKey":
      if (current === undefined || current.deleted !== undefined)
        return `key ${mutation.name} does not exist or is deleted already`;
      keys.set(id, {
        ...current,
        deleted: {
          deletedDate: mutation.deletedDate,
          scheduledPurgeDate: mutation.scheduledPurgeDate,
        },
      });
      return undefined;
    case "recoverKey":
      if (current?.deleted === undefined) return `key ${mutation.name} is not deleted`;
      keys.set(id, { name: current.name, versions: current.versions });
      return undefined;
    case "purgeKey":
      if (current?.deleted === undefined) return `key ${mutation.name} is not deleted`;
      keys.delete(id);
      return undefined;
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
