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

/** The release policy of an exportable key. */
export type ReleasePolicyInput = {
  /** The policy document, JSON text (`{"version":"1.0.0","anyOf":[…]}`). */
  readonly policy: string;
  /** When true the policy can never be changed again. Default false. */
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
  readonly releasePolicy?: ReleasePolicyInput;
  readonly expectedPublicKeyPem?: string;
  readonly purgeOnDelete?: boolean;
  readonly adoptExisting?: boolean;
  readonly roleWaitSeconds?: number;
}

/** A key version's attributes, dates as ISO 8601 strings. Absent values are absent keys. */
export type KeyAttributesOutput = {
  readonly enabled: boolean;
  readonly notBefore?: string;
  readonly expiresOn?: string;
  readonly createdOn?: string;
  readonly updatedOn?: string;
  readonly recoveryLevel?: string;
  readonly recoverableDays?: number;
  readonly exportable?: boolean;
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
  readonly exportable: boolean;
  readonly releasePolicy?: ReleasePolicyInput;
  readonly expectedPublicKeyPem?: string;
  /** True when `create` bound to a key that already existed instead of importing. */
  readonly adopted: boolean;
  /** What the last create or import had to tidy up or decide (see `ByokImportedKey.note`). */
  readonly note?: string;
};
