/**
 * AES-256-GCM sealing of secrets at rest and in backup blobs. The layout is
 * `iv (12) || tag (16) || ciphertext`; the associated data binds a blob to what it belongs to, so
 * a sealed key cannot be moved under another name.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Sealer } from "./keyStore.js";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealer over a 32-byte key. */
export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32)
    throw new Error(`the sealing key is ${key.length} bytes: AES-256 needs 32`);
  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed, associatedData) {
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error("sealed blob too short");
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      return Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
    },
  };
}
