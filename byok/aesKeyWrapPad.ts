/**
 * AES Key Wrap with Padding (RFC 5649, PKCS#11 `CKM_AES_KEY_WRAP_PAD`), over OpenSSL's
 * `id-aesNNN-wrap-pad` ciphers that Node ships.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { ByokError } from "./errors.js";

/** RFC 5649 §3: the alternative initial value is A65959A6 followed by the 32-bit plaintext length. */
const RFC5649_AIV_PREFIX = Buffer.from("A65959A6", "hex");

/** RFC 5649 §3: plaintext length is 1 .. 2^32-1 octets; the output is 8 + 8*ceil(len/8) octets. */
export function wrappedLength(plaintextLength: number): number {
  return 8 + 8 * Math.ceil(plaintextLength / 8);
}

function cipherName(kek: Uint8Array): string {
  switch (kek.length) {
    case 16:
      return "id-aes128-wrap-pad";
    case 24:
      return "id-aes192-wrap-pad";
    case 32:
      return "id-aes256-wrap-pad";
    default:
      throw new ByokError(
        "ERR_BYOK_OAEP",
        `the AES wrapping key is ${kek.length} bytes: it must be 16, 24 or 32 bytes`,
      );
  }
}

/**
 * Wraps `plaintext` under the AES key `kek` (RFC 5649).
 *
 * @param kek - 16, 24 or 32 bytes.
 * @param plaintext - at least 1 byte.
 * @returns 8 + 8*ceil(len/8) bytes.
 */
export function wrapKeyWithPadding(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  if (plaintext.length === 0) {
    throw new ByokError("ERR_BYOK_TARGET_KEY", "the key to wrap is empty");
  }
  const cipher = createCipheriv(cipherName(kek), kek, RFC5649_AIV_PREFIX);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/**
 * Unwraps an RFC 5649 blob and checks its integrity (the AIV and the zero padding).
 *
 * @throws ByokError `ERR_BYOK_KWP_INTEGRITY` when the blob was not wrapped under `kek` or was
 *   altered; `ERR_BYOK_CIPHERTEXT_LENGTH` when its length cannot be an RFC 5649 output.
 */
export function unwrapKeyWithPadding(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) {
    throw new ByokError(
      "ERR_BYOK_CIPHERTEXT_LENGTH",
      `the AES-KWP part is ${wrapped.length} bytes: RFC 5649 output is at least 16 bytes and a multiple of 8`,
    );
  }
  const decipher = createDecipheriv(cipherName(kek), kek, RFC5649_AIV_PREFIX);
  try {
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (cause) {
    throw new ByokError(
      "ERR_BYOK_KWP_INTEGRITY",
      "the AES key wrap integrity check failed: the file was altered, or it was not wrapped for this KEK",
      { cause },
    );
  }
}
