/**
 * The `.byok` key transfer package and the `CKM_RSA_AES_KEY_WRAP` mechanism, as pure functions
 * over bytes: no network, no Pulumi. Entered only through this file (STYLE.md rule 1).
 *
 * @module
 */
export { ByokError, isByokError } from "./errors.js";
export type { ByokErrorCode } from "./errors.js";
export {
  RSA_KEY_SIZES,
  EC_CURVES,
  OCT_KEY_SIZES,
  KEY_SPEC_NAMES,
  NODE_CURVE_NAMES,
  curveFromNodeName,
  isRsaKeySize,
  isEcCurve,
  isOctKeySize,
  assertRsaKeySize,
  parseKeySpec,
  describeKeySpec,
  hsmKeyType,
} from "./keyTypes.js";
export type { RsaKeySize, EcCurve, OctKeySize, TargetKeyType, KeySpec } from "./keyTypes.js";
export {
  MANAGED_HSM_DNS_SUFFIXES,
  VAULT_DNS_SUFFIXES,
  isValidKeyName,
  vaultKindOfHost,
  parseVaultUrl,
  parseKeyId,
  parseVersionedKeyId,
  formatKeyId,
} from "./keyId.js";
export type { KeyId, VaultKind } from "./keyId.js";
export { wrapKeyWithPadding, unwrapKeyWithPadding, wrappedLength } from "./aesKeyWrapPad.js";
export {
  EPHEMERAL_AES_KEY_BYTES,
  rsaModulusBytes,
  oaepEncryptAesKey,
  oaepDecryptAesKey,
  assembleRsaAesCiphertext,
  rsaAesKeyWrap,
  rsaAesKeyUnwrap,
} from "./rsaAesKeyWrap.js";
export type { RsaAesKeyWrapOptions } from "./rsaAesKeyWrap.js";
export { loadKekPublicKey } from "./kekPublicKey.js";
export type { KekPublicKey, KekPublicKeyInput } from "./kekPublicKey.js";
export {
  specOfPrivateKey,
  targetKeyOf,
  encodeTargetKey,
  classifyTargetKey,
  generateTargetKey,
  sameKeySpec,
} from "./targetKey.js";
export type { TargetKey, RecoveredTargetKey } from "./targetKey.js";
export {
  BYOK_ALG,
  BYOK_ENC,
  BYOK_SCHEMA_VERSION,
  ACCEPTED_SCHEMA_VERSIONS,
  decodeBase64Lenient,
  byokSha256,
  targetSpecsForWrappedLength,
  plausibleKekSizes,
  parseByokFile,
  defaultGenerator,
  serializeByokFile,
  assembleByokFile,
  buildByokFile,
  unwrapByokFile,
} from "./byokFile.js";
export type {
  ByokPackage,
  ParseByokFileOptions,
  BuildByokFileOptions,
  BuiltByokFile,
  UnwrapByokFileOptions,
} from "./byokFile.js";
export { BYOK_TOOL_NAME, BYOK_TOOL_VERSION } from "./version.js";
