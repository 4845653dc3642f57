/**
 * The BYOK half of import (contracts §1.7, §6): parse the `.byok` file in `key_hsm`, find its KEK
 * by the header's `kid` in this vault, check the KEK (RSA-HSM, key_ops exactly ["import"],
 * enabled, within its dates), unwrap with `byok/`, and check the result against the requested
 * type. Every failure is a 400 whose inner code says which check failed.
 *
 * @module
 */
import { isByokError, parseByokFile, unwrapByokFile } from "../byok/index.js";
import type {
  ByokErrorCode,
  ByokPackage,
  EcCurve,
  RecoveredTargetKey,
  UnwrapByokFileOptions,
} from "../byok/index.js";
import { privateKeyOf, rsaBitsOf } from "./crypto/keyMaterial.js";
import { byokImportFailed } from "./errors.js";
import type { KeyFamily } from "./keyRules.js";
import type { HandlerContext } from "./operation.js";
import type { StoredKeyVersion } from "./store/keyStore.js";

/** The inner error code for each way `byok/` refuses a file. */
const INNER_CODES: Record<ByokErrorCode, string> = {
  ERR_BYOK_NOT_JSON: "InvalidKeyTransferPackage",
  ERR_BYOK_MISSING_FIELD: "InvalidKeyTransferPackage",
  ERR_BYOK_FIELD_TYPE: "InvalidKeyTransferPackage",
  ERR_BYOK_SCHEMA_VERSION: "InvalidKeyTransferPackage",
  ERR_BYOK_ALG: "InvalidKeyTransferPackage",
  ERR_BYOK_ENC: "InvalidKeyTransferPackage",
  ERR_BYOK_KID: "InvalidKeyTransferPackage",
  ERR_BYOK_ENCODING: "InvalidKeyTransferPackage",
  ERR_BYOK_CIPHERTEXT_LENGTH: "InvalidKeyTransferPackage",
  ERR_BYOK_KEK_SIZE_MISMATCH: "KekSizeMismatch",
  ERR_BYOK_KEK_MISMATCH: "KekMismatch",
  ERR_BYOK_OAEP: "UnwrapFailed",
  ERR_BYOK_KWP_INTEGRITY: "UnwrapFailed",
  ERR_BYOK_TARGET_KEY: "TargetKeyNotSupported",
  ERR_BYOK_TARGET_MISMATCH: "TargetKeyTypeMismatch",
  ERR_KEY_ID: "InvalidKeyTransferPackage",
  ERR_KEY_SPEC: "TargetKeyNotSupported",
  ERR_KEK_PUBLIC_KEY: "KekNotUsable",
};

function fromByokError(error: unknown): never {
  if (isByokError(error)) {
    throw byokImportFailed(`BYOK import failed: ${error.message}.`, INNER_CODES[error.code]);
  }
  throw error;
}

/** The requested target type: family plus the curve for EC. */
export interface ByokTarget {
  readonly family: KeyFamily;
  readonly crv?: EcCurve;
}

/** Hosts under which this vault is the same vault: the one the client used, and its Azure name. */
function isThisVault(kekVaultUrl: string, context: HandlerContext): boolean {
  const host = new URL(kekVaultUrl).host.toLowerCase();
  const names = [
    new URL(context.vaultUrl).host.toLowerCase(),
    `${context.vault.name}.${context.vault.kind === "managedhsm" ? "managedhsm" : "vault"}.azure.net`.toLowerCase(),
  ];
  return names.includes(host) || names.includes(host.replace(/:443$/, ""));
}

function findKek(pkg: ByokPackage, context: HandlerContext): StoredKeyVersion {
  const { kek } = pkg;
  if (!isThisVault(kek.vaultUrl, context)) {
    throw byokImportFailed(
      `BYOK import failed: the .byok header kid ${pkg.header.kid} names a KEK in ${kek.vaultUrl}, not in this vault (${context.vaultUrl}): a KEK works only in the vault that holds it. Wrap the key for a KEK of this vault.`,
      "KekNotFound",
    );
  }
  const key = context.store.getKey(context.vault.name, kek.name);
  const version =
    key?.deleted === undefined ? key?.versions.find((v) => v.version === kek.version) : undefined;
  if (version === undefined) {
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} named by the .byok header kid does not exist in this vault: create the KEK here (RSA-HSM, key_ops ["import"]) and wrap the key for its public key.`,
      "KekNotFound",
    );
  }
  if (version.kty !== "RSA-HSM" || version.material.kind !== "pkcs8") {
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} is ${version.kty}: a KEK must be RSA-HSM.`,
      "KekNotUsable",
    );
  }
  if (version.keyOps.length !== 1 || version.keyOps[0] !== "import") {
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} has key_ops [${version.keyOps.map((op) => `"${op}"`).join(", ")}]: a KEK must have key_ops exactly ["import"]. Create a new KEK with only the import operation.`,
      "KekNotImportOnly",
    );
  }
  if (!version.enabled)
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} is disabled: enable it first.`,
      "KekNotUsable",
    );
  if (version.exp !== undefined && version.exp <= context.now) {
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} expired: create a new KEK and wrap the key again.`,
      "KekNotUsable",
    );
  }
  if (version.nbf !== undefined && version.nbf > context.now) {
    throw byokImportFailed(
      `BYOK import failed: the KEK ${pkg.header.kid} is not yet valid (nbf).`,
      "KekNotUsable",
    );
  }
  return version;
}

/**
 * Unwraps the target key from `key_hsm` bytes.
 *
 * @throws ServiceError 400 with inner codes KekNotFound, KekNotImportOnly, KekNotUsable,
 *   KekSizeMismatch, InvalidKeyTransferPackage, UnwrapFailed, TargetKeyNotSupported,
 *   TargetKeyTypeMismatch.
 */
export function unwrapKeyHsm(
  keyHsm: Buffer,
  target: ByokTarget,
  context: HandlerContext,
): RecoveredTargetKey {
  let pkg: ByokPackage;
  try {
    pkg = parseByokFile(keyHsm, { what: "key.key_hsm" });
  } catch (error) {
    fromByokError(error);
  }
  const kek = findKek(pkg, context);
  const material = kek.material as typeof kek.material & { kind: "pkcs8" };
  try {
    const expected: UnwrapByokFileOptions["expected"] =
      target.family === "EC"
        ? target.crv === undefined
          ? undefined
          : { kty: "EC", curve: target.crv }
        : target.family === "RSA"
          ? { kty: "RSA" }
          : { kty: "oct" };
    const recovered = unwrapByokFile(
      pkg,
      privateKeyOf(material),
      expected === undefined ? {} : { expected },
    );
    if (recovered.spec.kty !== target.family) {
      throw byokImportFailed(
        `BYOK import failed: the file holds an ${recovered.spec.kty} key, but kty asks for ${target.family}.`,
        "TargetKeyTypeMismatch",
      );
    }
    return recovered;
  } catch (error) {
    if (isByokError(error) && error.code === "ERR_BYOK_OAEP") {
      // The RSA block did not decrypt: if the file's length fits another KEK size, say that,
      // rather than a bare decryption failure. Only after unwrapping, so keys of unusual
      // lengths (an RSA-1024 target) still reach the check that names them.
      try {
        parseByokFile(keyHsm, { what: "key.key_hsm", kekModulusBytes: rsaBitsOf(material) / 8 });
      } catch (sizeError) {
        fromByokError(sizeError);
      }
    }
    fromByokError(error);
  }
}
