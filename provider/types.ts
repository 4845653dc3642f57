/**
 * The plain-JSON shapes the two dynamic providers exchange with the engine: inputs after the
 * program resolved its Outputs, and outputs as stored in state. Everything here must survive
 * `google.protobuf.Struct` (reference §1.5): strings, numbers, booleans, arrays and objects, no
 * `undefined` values, no `Date`, no bytes.
 *
 * @module
 * @internal
 */

/** A key's tags: up to 15, names and values up to 256 characters. */
export type Tags = Record<string, string>;

/** The inputs of `ImportKek` as the provider receives them. */
export interface ImportKekInputs {
  readonly vaultUrl: string;
  readonly name: string;
  readonly size?: number;
  readonly enabled?: boolean;
  readonly expiresOn?: string;
  readonly notBefore?: string;
  readonly tags?: Tags;
  readonly purgeOnDelete?: boolean;
  readonly roleWaitSeconds?: number;
}

/**
 * The release policy of an exportable key, as the provider receives it and as state records it
 * (the program's form, with inputs, is `ReleasePolicyInput` in `byokImportedKey.ts`).
 */
export type ReleasePolicy = {
  /**
   * The policy document, JSON text (`{"version":"1.0.0","anyOf":[…]}`): who may release the key
   * (attestation authorities and claims). Required.
   */
  readonly policy: string;
  /**
   * When true the policy can never be changed again; the service refuses any later PATCH of it.
   * Default false.
   */
  readonly immutable?: boolean;
};

/** The inputs of `ByokImportedKey` as the provider receives them. */
export interface ByokImportedKeyInputs {
  readonly vaultUrl: string;
  readonly name: string;
  /**
   * The `.byok` file's content as the program gives it; after `check`, its digest form
   * `sha256:<hex>` (see `byokDigest.ts`), which is what the engine stores.
   */
  readonly byok: string;
  readonly keyType: string;
  readonly curve?: string;
  readonly kekKid?: string;
  readonly keyOps?: string[];
  readonly enabled?: boolean;
  readonly expiresOn?: string;
  readonly notBefore?: string;
  readonly tags?: Tags;
  readonly exportable?: boolean;
  readonly releasePolicy?: ReleasePolicy;
  readonly expectedPublicKeyPem?: string;
  readonly purgeOnDelete?: boolean;
  readonly adoptExisting?: boolean;
  readonly roleWaitSeconds?: number;
}

/**
 * A key version's attributes as the vault reports them (the `attributes` output), dates as ISO
 * 8601 strings. A value the vault does not report is an absent key, never `undefined` or `null`.
 */
export type KeyAttributesOutput = {
  /** Whether the version can be used for cryptographic operations. The vault's default is true. */
  readonly enabled: boolean;
  /**
   * The activation date, ISO 8601 (UTC, whole seconds): the version cannot be used before it.
   * Absent when none is set (usable at once).
   */
  readonly notBefore?: string;
  /**
   * The expiry date, ISO 8601 (UTC, whole seconds): the version cannot be used for new operations
   * after it. Absent when none is set (never expires).
   */
  readonly expiresOn?: string;
  /** When the version was created (imported), ISO 8601. Absent only if the vault omits it. */
  readonly createdOn?: string;
  /**
   * When the version's attributes, tags or operations last changed, ISO 8601. Absent only if the
   * vault omits it.
   */
  readonly updatedOn?: string;
  /**
   * The vault's deletion recovery level, e.g. `Recoverable+Purgeable` (soft delete on) or
   * `Recoverable` (purge protection on too): what a delete of this key can be undone by. Absent
   * when the vault does not say.
   */
  readonly recoveryLevel?: string;
  /**
   * How many days a soft-deleted key stays recoverable (7 to 90; the vault's retention setting,
   * 90 unless it was changed). Absent when the vault does not say.
   */
  readonly recoverableDays?: number;
  /**
   * Whether the private key can be exported under a release policy. Absent when the vault does
   * not report it, which means false.
   */
  readonly exportable?: boolean;
};

/**
 * The header of the `.byok` file a `ByokImportedKey` version was imported from (the
 * `byokHeader` output). All of it is public metadata of the file; the ciphertext is never kept.
 */
export type ByokHeaderOutput = {
  /** `header.kid`: the versioned key id of the KEK the file was wrapped for. */
  readonly kid: string;
  /** `header.alg`: always `dir` for Azure BYOK. */
  readonly alg: string;
  /** `header.enc`: always `CKM_RSA_AES_KEY_WRAP` for Azure BYOK. */
  readonly enc: string;
  /** The file's `schema_version`: `1.0.0` (or the older `1.0`). */
  readonly schemaVersion: string;
  /**
   * The file's `generator`: the tool that wrote it (e.g. `pulumi-azure-byok 0.1.0`). Absent when the
   * file has none.
   */
  readonly generator?: string;
};

/** What the service says about one key version, in our words (see `azure/keyBundle.ts`). */
export interface KeyFacts {
  readonly vaultUrl: string;
  readonly name: string;
  /** Versioned key id. */
  readonly kid: string;
  readonly versionlessId: string;
  readonly version: string;
  /** `RSA-HSM`, `EC-HSM`, `oct-HSM`, … as the service reports it. */
  readonly kty: string;
  readonly keySize?: number;
  readonly curve?: string;
  readonly keyOps: string[];
  /** SPKI PEM of the public key, for RSA and EC keys. */
  readonly publicKeyPem?: string;
  readonly attributes: KeyAttributesOutput;
  readonly tags: Tags;
  readonly releasePolicy?: { readonly policy: string; readonly immutable: boolean };
}

/** Fields both resources keep in state. */
export type CommonKeyOutputs = {
  readonly vaultUrl: string;
  readonly name: string;
  readonly kid: string;
  readonly versionlessId: string;
  readonly version: string;
  /** The newest version in the vault when last read; differs from `version` after drift. */
  readonly latestVersion: string;
  readonly keyOps: string[];
  readonly attributes: KeyAttributesOutput;
  readonly tags: Tags;
  readonly enabled: boolean;
  readonly expiresOn?: string;
  readonly notBefore?: string;
  readonly purgeOnDelete: boolean;
};

/** The outputs of `ImportKek` in state. */
export type ImportKekOutputs = CommonKeyOutputs & {
  readonly publicKeyPem: string;
  readonly keySize: number;
};

/** The outputs of `ByokImportedKey` in state: never the `.byok` content, only its digest. */
export type ByokImportedKeyOutputs = CommonKeyOutputs & {
  readonly keyType: string;
  readonly curve?: string;
  readonly keySize?: number;
  readonly publicKeyPem?: string;
  readonly byokSha256: string;
  /** The KEK id from the `.byok` header. */
  readonly byokKekKid: string;
  /**
   * The `.byok` file's header, schema version and generator. Absent in state written before this
   * output existed, and after a read by key id (no file is known then).
   */
  readonly byokHeader?: ByokHeaderOutput;
  readonly exportable: boolean;
  readonly releasePolicy?: ReleasePolicy;
  readonly expectedPublicKeyPem?: string;
  /** True when `create` bound to a key that already existed instead of importing. */
  readonly adopted: boolean;
  /** What the last create or import had to tidy up or decide (see `ByokImportedKey.note`). */
  readonly note?: string;
};
