/**
 * Building a stored key version from validated inputs: one place for the defaults
 * (enabled, not exportable, no tags) that create, import, rotate and restore share.
 *
 * @module
 */
import { newVersionId } from "./keyRules.js";
import type { KeyMaterial, StoredKeyVersion, StoredReleasePolicy } from "./store/keyStore.js";
import type { AttributesInput } from "./validation.js";

/** What a new version is made of. */
export interface NewVersionInput {
  readonly kty: string;
  readonly keyOps: readonly string[];
  readonly crv?: string;
  readonly keySize?: number;
  readonly attributes: AttributesInput;
  readonly tags: Readonly<Record<string, string>>;
  readonly releasePolicy?: StoredReleasePolicy;
  readonly material: KeyMaterial;
  readonly now: number;
}

/** A new version with a fresh id. */
export function buildKeyVersion(input: NewVersionInput): StoredKeyVersion {
  const { attributes } = input;
  return {
    version: newVersionId(),
    kty: input.kty,
    keyOps: input.keyOps,
    ...(input.crv === undefined ? {} : { crv: input.crv }),
    ...(input.keySize === undefined ? {} : { keySize: input.keySize }),
    enabled: attributes.enabled ?? true,
    ...(attributes.nbf === undefined ? {} : { nbf: attributes.nbf }),
    ...(attributes.exp === undefined ? {} : { exp: attributes.exp }),
    created: input.now,
    updated: input.now,
    exportable: attributes.exportable ?? false,
    tags: input.tags,
    ...(input.releasePolicy === undefined ? {} : { releasePolicy: input.releasePolicy }),
    material: input.material,
  };
}
