/**
 * Encrypt/decrypt and wrapKey/unwrapKey (contracts §3.2, §4.5): RSA-OAEP, RSA-OAEP-256 and
 * RSA1_5 for RSA keys; AES key wrap (RFC 3394, and RFC 5649 for CKM_AES_KEY_WRAP_PAD), AES-GCM
 * and AES-CBC (with or without PKCS#7 padding) for oct keys. Every failure is an
 * {@link EncryptionError} whose message the handler sends as a 400.
 *
 * @module
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import type { KeyObject } from "node:crypto";

/** RSA encryption algorithms and their OAEP hash (`undefined` = PKCS#1 v1.5). */
export const RSA_ENCRYPTION_ALGORITHMS = {
  "RSA-OAEP": "sha1",
  "RSA-OAEP-256": "sha256",
  RSA1_5: undefined,
} as const;
export type RsaEncryptionAlgorithm = keyof typeof RSA_ENCRYPTION_ALGORITHMS;

type AesMode = "KW" | "KWP" | "GCM" | "CBC" | "CBCPAD";

/** AES algorithms: the key size they need (bits) and their mode. */
export const AES_ALGORITHMS: Readonly<
  Record<string, { readonly bits: number | undefined; readonly mode: AesMode }>
> = {
  A128KW: { bits: 128, mode: "KW" },
  A192KW: { bits: 192, mode: "KW" },
  A256KW: { bits: 256, mode: "KW" },
  CKM_AES_KEY_WRAP: { bits: undefined, mode: "KW" },
  CKM_AES_KEY_WRAP_PAD: { bits: undefined, mode: "KWP" },
  A128GCM: { bits: 128, mode: "GCM" },
  A192GCM: { bits: 192, mode: "GCM" },
  A256GCM: { bits: 256, mode: "GCM" },
  A128CBC: { bits: 128, mode: "CBC" },
  A192CBC: { bits: 192, mode: "CBC" },
  A256CBC: { bits: 256, mode: "CBC" },
  A128CBCPAD: { bits: 128, mode: "CBCPAD" },
  A192CBCPAD: { bits: 192, mode: "CBCPAD" },
  A256CBCPAD: { bits: 256, mode: "CBCPAD" },
};

/** A refused input; the message names the parameter and what is allowed. */
export class EncryptionError extends Error {
  override readonly name = "EncryptionError";
}

/** What an AES operation takes and gives besides the value. */
export interface AesParameters {
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tag?: Buffer;
}

export interface AesResult {
  readonly value: Buffer;
  readonly iv?: Buffer;
  readonly tag?: Buffer;
  readonly aad?: Buffer;
}

/** Encrypts with an RSA public key. */
export function encryptRsa(
  algorithm: RsaEncryptionAlgorithm,
  publicKey: KeyObject,
  plaintext: Buffer,
): Buffer {
  const hash = RSA_ENCRYPTION_ALGORITHMS[algorithm];
  try {
    return hash === undefined
      ? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext)
      : publicEncrypt(
          { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
          plaintext,
        );
  } catch {
    throw new EncryptionError(
      `value is ${plaintext.length} bytes: too long for ${algorithm} with this key`,
    );
  }
}

/** Decrypts with an RSA private key. */
export function decryptRsa(
  algorithm: RsaEncryptionAlgorithm,
  privateKey: KeyObject,
  ciphertext: Buffer,
): Buffer {
  const hash = RSA_ENCRYPTION_ALGORITHMS[algorithm];
  try {
    if (hash !== undefined) {
      return privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
        ciphertext,
      );
    }
    // Node 20 refuses PKCS#1 v1.5 decryption (CVE-2023-46809), so unpad the raw result here
    // (RFC 8017 §7.2.2): 00 02 PS(>= 8 nonzero) 00 M.
    const block = privateDecrypt(
      { key: privateKey, padding: constants.RSA_NO_PADDING },
      ciphertext,
    );
    const separator = block.indexOf(0, 2);
    if (block[0] !== 0 || block[1] !== 2 || separator < 10) throw new Error("bad padding");
    return block.subarray(separator + 1);
  } catch {
    throw new EncryptionError(
      `value does not decrypt with ${algorithm} under this key: it was encrypted for another key or algorithm`,
    );
  }
}

function aesCipherName(mode: AesMode, bits: number): string {
  switch (mode) {
    case "KW":
      return `id-aes${bits}-wrap`;
    case "KWP":
      return `id-aes${bits}-wrap-pad`;
    case "GCM":
      return `aes-${bits}-gcm`;
    case "CBC":
    case "CBCPAD":
      return `aes-${bits}-cbc`;
  }
}

function checkAesKey(algorithm: string, key: Buffer): { mode: AesMode; bits: number } {
  const entry = AES_ALGORITHMS[algorithm];
  if (entry === undefined) throw new EncryptionError(`alg ${algorithm} is not an AES algorithm`);
  const bits = key.length * 8;
  if (entry.bits !== undefined && entry.bits !== bits) {
    throw new EncryptionError(
      `alg ${algorithm} needs a ${entry.bits}-bit key, but this key is oct-${bits}: use A${bits}${algorithm.slice(4)}`,
    );
  }
  return { mode: entry.mode, bits };
}

// RFC 3394 §2.2.3 default IV; RFC 5649 §3 alternative IV prefix (Node adds the length).
const KW_IV = Buffer.from("A6A6A6A6A6A6A6A6", "hex");
const KWP_IV = Buffer.from("A65959A6", "hex");

/** Encrypts (or wraps) with an AES key. */
export function encryptAes(
  algorithm: string,
  key: Buffer,
  plaintext: Buffer,
  params: AesParameters,
): AesResult {
  const { mode, bits } = checkAesKey(algorithm, key);
  const name = aesCipherName(mode, bits);
  switch (mode) {
    case "KW":
    case "KWP": {
      if (mode === "KW" && (plaintext.length < 16 || plaintext.length % 8 !== 0)) {
        throw new EncryptionError(
          `value is ${plaintext.length} bytes: AES key wrap (RFC 3394) needs a multiple of 8 bytes, at least 16; use CKM_AES_KEY_WRAP_PAD for other lengths`,
        );
      }
      const cipher = createCipheriv(name, key, mode === "KW" ? KW_IV : KWP_IV);
      return { value: Buffer.concat([cipher.update(plaintext), cipher.final()]) };
    }
    case "GCM": {
      const iv = params.iv ?? randomBytes(12);
      const cipher = createCipheriv(name as "aes-256-gcm", key, iv);
      if (params.aad !== undefined) cipher.setAAD(params.aad);
      const value = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        value,
        iv,
        tag: cipher.getAuthTag(),
        ...(params.aad === undefined ? {} : { aad: params.aad }),
      };
    }
    case "CBC":
    case "CBCPAD": {
      const iv = requireIv(params.iv, algorithm);
      if (mode === "CBC" && plaintext.length % 16 !== 0) {
        throw new EncryptionError(
          `value is ${plaintext.length} bytes: ${algorithm} needs a multiple of 16 bytes; use ${algorithm}PAD to pad`,
        );
      }
      const cipher = createCipheriv(name, key, iv);
      cipher.setAutoPadding(mode === "CBCPAD");
      return { value: Buffer.concat([cipher.update(plaintext), cipher.final()]), iv };
    }
  }
}

/** Decrypts (or unwraps) with an AES key. */
export function decryptAes(
  algorithm: string,
  key: Buffer,
  ciphertext: Buffer,
  params: AesParameters,
): AesResult {
  const { mode, bits } = checkAesKey(algorithm, key);
  const name = aesCipherName(mode, bits);
  try {
    switch (mode) {
      case "KW":
      case "KWP": {
        const decipher = createDecipheriv(name, key, mode === "KW" ? KW_IV : KWP_IV);
        return { value: Buffer.concat([decipher.update(ciphertext), decipher.final()]) };
      }
      case "GCM": {
        const iv = requireIv(params.iv, algorithm);
        if (params.tag === undefined)
          throw new EncryptionError(
            `${algorithm} decryption needs the authentication tag: pass tag`,
          );
        const decipher = createDecipheriv(name as "aes-256-gcm", key, iv);
        decipher.setAuthTag(params.tag);
        if (params.aad !== undefined) decipher.setAAD(params.aad);
        return { value: Buffer.concat([decipher.update(ciphertext), decipher.final()]) };
      }
      case "CBC":
      case "CBCPAD": {
        const iv = requireIv(params.iv, algorithm);
        const decipher = createDecipheriv(name, key, iv);
        decipher.setAutoPadding(mode === "CBCPAD");
        return { value: Buffer.concat([decipher.update(ciphertext), decipher.final()]) };
      }
    }
  } catch (error) {
    if (error instanceof EncryptionError) throw error;
    throw new EncryptionError(
      `value does not decrypt with ${algorithm} under this key: its integrity check failed or its length is wrong`,
    );
  }
}

function requireIv(iv: Buffer | undefined, algorithm: string): Buffer {
  const expected = algorithm.includes("GCM") ? 12 : 16;
  if (iv === undefined)
    throw new EncryptionError(`${algorithm} needs an iv of ${expected} bytes: pass iv`);
  if (iv.length !== expected)
    throw new EncryptionError(`iv is ${iv.length} bytes: ${algorithm} needs ${expected}`);
  return iv;
}
