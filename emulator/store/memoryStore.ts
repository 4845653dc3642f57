/**
 * The in-memory key store: for tests and for an emulator started without a data directory.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { KeyStore } from "./keyStore.js";
import { applyMutation, createKeyState, getHsmView, getKey, listKeys } from "./keyState.js";
import { createSealer } from "./sealer.js";

/** A store that forgets everything when the process ends. */
export function createMemoryStore(): KeyStore {
  const state = createKeyState();
  return {
    getKey: (vault, name) => getKey(state, vault, name),
    listKeys: (vault) => listKeys(state, vault),
    getHsm: (vault) => getHsmView(state, vault),
    commit(mutations) {
      for (const mutation of mutations) applyMutation(state, mutation);
      return Promise.resolve();
    },
    sealer: createSealer(randomBytes(32)),
    close: () => Promise.resolve(),
  };
}
