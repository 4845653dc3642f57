/**
 * What the emulator keeps about keys, and the store interface (STYLE.md rule 8). Changes are
 * data ({@link StoreMutation}), so the memory store applies them and the journal store appends
 * them to disk first; one suite tests both.
 *
 * @module
 */
import type { HsmMutation, HsmView } from "./hsmState.js";

/** A key's secret half: PKCS#8 DER for RSA/EC, raw bytes for oct. Never leaves the emulator. */
export type KeyMaterial =
  | { readonly kind: "pkcs8"; readonly der: Buffer }
  | { readonly kind: "oct"; readonly bytes: Buffer };

/** A key release policy as the service stores it (contracts §3.2). */
export interface StoredReleasePolicy {
  readonly contentType: string;
  readonly immutable: boolean;
  /** The policy JSON bytes. */
  readonly data: Buffer;
}

/** One version of a key. Dates are Unix seconds, as on the wire. */
export interface StoredKeyVersion {
  readonly version: string;
  readonly kty: string;
  readonly keyOps: readonly string[];
  readonly crv?: string;
  /** Bits, for RSA and oct. */
  readonly keySize?: number;
  readonly enabled: boolean;
  readonly nbf?: number;
  readonly exp?: number;
  readonly created: number;
  readonly updated: number;
  readonly exportable: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly releasePolicy?: StoredReleasePolicy;
  readonly material: KeyMaterial;
}

/** A key: its versions, oldest first, and its soft-delete state. */
export interface StoredKey {
  readonly name: string;
  readonly versions: readonly StoredKeyVersion[];
  readonly deleted?: { readonly deletedDate: number; readonly scheduledPurgeDate: number };
}

/** The changes a handler asks for; the store stage commits them before the reply. */
export type StoreMutation = KeyMutation | HsmMutation;

/** A change to a key. */
export type KeyMutation =
  | {
      readonly op: "putVersion";
      readonly vault: string;
      readonly name: string;
      readonly key: StoredKeyVersion;
    }
  | {
      readonly op: "updateVersion";
      readonly vault: string;
      readonly name: string;
      readonly version: string;
      readonly changes: KeyVersionChanges;
    }
  | {
      readonly op: "deleteKey";
      readonly vault: string;
      readonly name: string;
      readonly deletedDate: number;
      readonly scheduledPurgeDate: number;
    }
  | { readonly op: "recoverKey"; readonly vault: string; readonly name: string }
  | { readonly op: "purgeKey"; readonly vault: string; readonly name: string };

/** What PATCH may change on a version. */
export interface KeyVersionChanges {
  readonly keyOps?: readonly string[];
  readonly enabled?: boolean;
  /** `null` clears the date. */
  readonly nbf?: number | null;
  readonly exp?: number | null;
  readonly exportable?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  readonly releasePolicy?: StoredReleasePolicy;
  readonly updated: number;
}

/** Seals and opens secrets with AES-256-GCM (key material at rest, backup blobs). */
export interface Sealer {
  seal(plaintext: Buffer, associatedData: string): Buffer;
  /** @throws Error when the blob was not sealed by this key or was changed. */
  open(sealed: Buffer, associatedData: string): Buffer;
}

/** What a handler reads: keys and HSM state, synchronously from memory. */
export interface KeyStoreReader {
  getKey(vault: string, name: string): StoredKey | undefined;
  listKeys(vault: string): readonly StoredKey[];
  /** A Managed HSM's role assignments, custom roles and security domain download. */
  getHsm(vault: string): HsmView;
  /** The sealer for backup blobs: the same key the store encrypts material with. */
  readonly sealer: Sealer;
}

/** What a write decides: the mutations to commit, and anything else its caller needs. */
export interface WriteDecision {
  readonly mutations?: readonly StoreMutation[];
}

/**
 * The key store. Its reads see what is durable: nothing a reader sees can be lost by a crash.
 */
export interface KeyStore extends KeyStoreReader {
  /**
   * Applies the mutations in order, all or none; resolves once they survive a crash.
   * @throws StoreConflictError (rejected, nothing applied) when one does not fit the state with
   *   every commit accepted so far applied: a new version of a soft-deleted key, a second
   *   security domain download. An acknowledged write is never dropped.
   */
  commit(mutations: readonly StoreMutation[]): Promise<void>;
  /**
   * Runs one write of `vault`: `decide` reads the state with every commit accepted so far
   * applied (durable or not) and returns the mutations, which are committed before this
   * resolves. Writes of one vault decide one at a time, so each decides on what the ones before
   * it did (a create after a DELETE sees the key deleted); the wait for the disk is shared, and
   * reads and writes of other vaults do not wait.
   * @throws whatever `decide` throws (nothing is committed), or what {@link KeyStore.commit} throws.
   */
  write<T extends WriteDecision>(
    vault: string,
    decide: (reader: KeyStoreReader) => Promise<T> | T,
  ): Promise<T>;
  close(): Promise<void>;
}

/** A commit that does not fit the store's state; nothing of it was applied. */
export class StoreConflictError extends Error {
  readonly code = "ERR_STORE_CONFLICT";
  constructor(reason: string) {
    super(`the key store refused a write that does not fit its state: ${reason}`);
    this.name = "StoreConflictError";
  }
}
