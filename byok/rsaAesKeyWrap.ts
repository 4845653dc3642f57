/**
 * `CKM_RSA_AES_KEY_WRAP` as Azure BYOK uses it (contracts §1.5): RSA-OAEP (SHA-1, MGF1-SHA-1,
 * empty label) of an ephemeral AES-256 key, followed by RFC 5649 AES key wrap of the target key.
 * PKCS#11 tokens without the single-step mechanism produce the same bytes with
 * `CKM_RSA_PKCS_OAEP` + `CKM_AES_KEY_WRAP_PAD`; {@link assembleRsaAesCiphertext} joins the parts.
 *
 * @module
 */
import { constants, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { unwrapKeyWithPadding, wrapKeyWithPadding } from "./aesKeyWrapPad.js";
import { ByokError } from "./errors.js";

/** Size of the ephemeral AES key: AES-256, as every tool seen uses (contracts §1.5, open question 3). */
export const EPHEMERAL_AES_KEY_BYTES = 32;

/** Options of {@link rsaAesKeyWrap}. */
export interface RsaAesKeyWrapOptions {
  /** The ephemeral AES key; default: 32 fresh random bytes. Only tests should set it. */
  readonly aesKey?: Uint8Array;
}

/** Modulus size in bytes of an RSA key object. */
export function rsaModulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== "rsa" || bits === undefined) {
    throw new ByokError("ERR_KEK_PUBLIC_KEY", "the KEK is not an RSA key");
  }
  return Math.ceil(bits / 8);
}

/** RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label: the first half of the mechanism. */
export function oaepEncryptAesKey(kekPublicKey: KeyObject, aesKey: Uint8Array): Buffer {
  return publicEncrypt(
    { key: kekPublicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    aesKey,
  );
}

/**
 * Reverses {@link oaepEncryptAesKey}: RSA-OAEP decryption with SHA-1, MGF1-SHA-1 and an empty label.
 *
 * @param kekPrivateKey - the KEK's private key (only the emulator and tests hold one).
 * @param rsaBlock - exactly the KEK's modulus size in bytes.
 * @returns the decrypted bytes; the caller checks they are an AES key.
 * @throws ByokError `ERR_BYOK_OAEP` when the block does not decrypt: it was made for another
 *   KEK, with another hash or label, or altered. The reason is not told apart (Manger's attack).
 */
export function oaepDecryptAesKey(kekPrivateKey: KeyObject, rsaBlock: Uint8Array): Buffer {
  try {
    return privateDecrypt(
      { key: kekPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      rsaBlock,
    );
  } catch (cause) {
    throw new ByokError(
      "ERR_BYOK_OAEP",
      "the RSA-OAEP block does not decrypt with this KEK: the file was wrapped for another KEK, or altered",
      { cause },
    );
  }
}

/** Joins the two parts a token produced separately: `RSA-OAEP(aesKey) || AES-KWP(target)`. */
export function assembleRsaAesCiphertext(
  encryptedAesKey: Uint8Array,
  wrappedTarget: Uint8Array,
): Buffer {
  return Buffer.concat([encryptedAesKey, wrappedTarget]);
}

/**
 * Wraps `plaintext` (a PKCS#8 DER private key, or raw AES key bytes) for the KEK.
 *
 * @returns the ciphertext: modulus-size RSA block, then the RFC 5649 output.
 */
export function rsaAesKeyWrap(
  kekPublicKey: KeyObject,
  plaintext: Uint8Array,
  options: RsaAesKeyWrapOptions = {},
): Buffer {
  const { aesKey = randomBytes(EPHEMERAL_AES_KEY_BYTES) } = options;
  try {
    return assembleRsaAesCiphertext(
      oaepEncryptAesKey(kekPublicKey, aesKey),
      wrapKeyWithPadding(aesKey, plaintext),
    );
  } finally {
    if (options.aesKey === undefined)
      Buffer.from(aesKey.buffer, aesKey.byteOffset, aesKey.length).fill(0);
  }
}

/**
 * Unwraps a `CKM_RSA_AES_KEY_WRAP` ciphertext with the KEK's private key.
 *
 * @throws ByokError `ERR_BYOK_CIPHERTEXT_LENGTH` when the lengths do not fit the KEK;
 *   `ERR_BYOK_OAEP` when the RSA block does not decrypt (another KEK, or altered);
 *   `ERR_BYOK_KWP_INTEGRITY` when the wrapped key was altered.
 */
export function rsaAesKeyUnwrap(kekPrivateKey: KeyObject, ciphertext: Uint8Array): Buffer {
  const modulusBytes = rsaModulusBytes(kekPrivateKey);
  if (ciphertext.length < modulusBytes + 16) {
    throw new ByokError(
      "ERR_BYOK_CIPHERTEXT_LENGTH",
      `the ciphertext is ${ciphertext.length} bytes: with a ${modulusBytes * 8}-bit KEK it must hold a ${modulusBytes}-byte RSA block and at least 16 bytes of wrapped key`,
    );
  }
  const rsaBlock = ciphertext.subarray(0, modulusBytes);
  const wrapped = ciphertext.subarray(modulusBytes);
  const aesKey = oaepDecryptAesKey(kekPrivateKey, rsaBlock);
  try {
    if (![16, 24, 32].includes(aesKey.length)) {
      throw new ByokError(
        "ERR_BYOK_OAEP",
        `the RSA-OAEP block holds ${aesKey.length} bytes: an AES key of 16, 24 or 32 bytes was expected`,
      );
    }
    return unwrapKeyWithPadding(aesKey, wrapped);
  } finally {
    aesKey.fill(0);
  }
}
