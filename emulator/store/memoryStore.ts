/**
 * The in-memory key store: for tests and for an emulator started without a data directory.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { StoreConflictError } from "./keyStore.js";
import type { KeyStore, KeyStoreReader, StoreMutation } from "./keyStore.js";
import { applyMutations, createKeyState, getHsmView, getKey, listKeys } from "./keyState.js";
import { createSealer } from "./sealer.js";
import { createVaultWriteQueue } from "./vaultWriteQueue.js";

/** A store that forgets everything when the process ends. */
export function createMemoryStore(): KeyStore {
  const state = createKeyState();
  const queue = createVaultWriteQueue();
  const reader: KeyStoreReader = {
    getKey: (vault, name) => getKey(state, vault, name),
    listKeys: (vault) => listKeys(state, vault),
    getHsm: (vault) => getHsmView(state, vault),
    sealer: createSealer(randomBytes(32)),
  };
  const apply = (mutations: readonly StoreMutation[]): void => {
    const refusal = applyMutations(state, mutations);
    if (refusal !== undefined) throw new StoreConflictError(refusal);
  };
  return {
    ...reader,
    // A refusal rejects; a commit that fits is applied before the call returns.
    commit: (mutations) =>
      new Promise<void>((resolve) => {
        apply(mutations);
        resolve();
      }),
    write: (vault, decide) =>
      queue(vault, async () => {
        const decision = await decide(reader);
        apply(decision.mutations ?? []);
        return decision;
      }),
    close: () => Promise.resolve(),
  };
}
