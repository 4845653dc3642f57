/**
 * Sign and verify over a digest the client computed, as Key Vault does (contracts §3.2): RS* as
 * PKCS#1 v1.5 over DigestInfo, PS* as RSASSA-PSS with a salt as long as the hash, RSNULL over the
 * raw digest, ES* as ECDSA with the raw `r || s` signature. Node only signs messages it hashes
 * itself, so the padding is built here and the RSA step is a raw private-key operation; ECDSA over
 * a given digest comes from `@noble/curves`.
 *
 * @module
 */
import {
  constants,
  createHash,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { KeyObject } from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { EcCurve } from "../../byok/index.js";

type HashName = "sha256" | "sha384" | "sha512";

/** The algorithms each key family signs with, and their hash. */
export const RSA_SIGNATURE_ALGORITHMS = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  RSNULL: undefined,
} as const satisfies Record<string, HashName | undefined>;

export const EC_SIGNATURE_ALGORITHMS = {
  ES256: "P-256",
  ES256K: "P-256K",
  ES384: "P-384",
  ES512: "P-521",
} as const satisfies Record<string, EcCurve>;

export type RsaSignatureAlgorithm = keyof typeof RSA_SIGNATURE_ALGORITHMS;
export type EcSignatureAlgorithm = keyof typeof EC_SIGNATURE_ALGORITHMS;

const HASH_BYTES: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

// RFC 8017 §9.2 note 1: the DER prefix of DigestInfo for each hash.
const DIGEST_INFO_PREFIX: Record<HashName, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

const CURVES = { "P-256": p256, "P-256K": secp256k1, "P-384": p384, "P-521": p521 } as const;

/** The digest length an algorithm needs, or undefined for RSNULL (any length that fits). */
export function digestBytes(
  algorithm: RsaSignatureAlgorithm | EcSignatureAlgorithm,
): number | undefined {
  if (algorithm in EC_SIGNATURE_ALGORITHMS) {
    return { ES256: 32, ES256K: 32, ES384: 48, ES512: 64 }[algorithm as EcSignatureAlgorithm];
  }
  const hash = RSA_SIGNATURE_ALGORITHMS[algorithm as RsaSignatureAlgorithm];
  return hash === undefined ? undefined : HASH_BYTES[hash];
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

function mgf1(seed: Buffer, length: number, hash: HashName): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * HASH_BYTES[hash] < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// RFC 8017 §9.1.1 EMSA-PSS-ENCODE with sLen = hLen.
function pssEncode(digest: Buffer, modBits: number, hash: HashName): Buffer {
  const hLen = HASH_BYTES[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, emLen - hLen - 1, hash);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

// RFC 8017 §9.1.2 EMSA-PSS-VERIFY with sLen = hLen.
function pssVerify(digest: Buffer, em: Buffer, modBits: number, hash: HashName): boolean {
  const hLen = HASH_BYTES[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (em.length < emLen || em.subarray(0, em.length - emLen).some((b) => b !== 0)) return false;
  const encoded = em.subarray(em.length - emLen);
  if (encoded[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(encoded.subarray(0, emLen - hLen - 1));
  const h = encoded.subarray(emLen - hLen - 1, emLen - 1);
  if (((db[0] ?? 0) & ~(0xff >> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  const psLength = emLen - 2 * hLen - 2;
  if (db.subarray(0, psLength).some((b) => b !== 0) || db[psLength] !== 1) return false;
  const salt = db.subarray(psLength + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

function leftPad(value: Buffer, length: number): Buffer {
  return value.length >= length
    ? value
    : Buffer.concat([Buffer.alloc(length - value.length), value]);
}

/** Signs `digest` with an RSA private key. */
export function signRsa(
  algorithm: RsaSignatureAlgorithm,
  privateKey: KeyObject,
  digest: Buffer,
): Buffer {
  const hash = RSA_SIGNATURE_ALGORITHMS[algorithm];
  if (hash === undefined)
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digest);
  if (algorithm.startsWith("RS")) {
    const block = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, block);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const em = leftPad(pssEncode(digest, bits, hash), modulusBytes(privateKey));
  // The raw RSA private-key operation: em^d mod n.
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** Verifies an RSA signature over `digest`. */
export function verifyRsa(
  algorithm: RsaSignatureAlgorithm,
  publicKey: KeyObject,
  digest: Buffer,
  signature: Buffer,
): boolean {
  if (signature.length !== modulusBytes(publicKey)) return false;
  const hash = RSA_SIGNATURE_ALGORITHMS[algorithm];
  try {
    if (hash === undefined || algorithm.startsWith("RS")) {
      const block = publicDecrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
        signature,
      );
      const expected =
        hash === undefined ? digest : Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
      return block.length === expected.length && timingSafeEqual(block, expected);
    }
    const em = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
    return pssVerify(digest, em, publicKey.asymmetricKeyDetails?.modulusLength ?? 0, hash);
  } catch {
    return false;
  }
}

/** Signs `digest` with an EC private key (raw scalar `d`), giving `r || s`. */
export function signEc(curve: EcCurve, d: Buffer, digest: Buffer): Buffer {
  return Buffer.from(
    CURVES[curve].sign(digest, d, { prehash: false, lowS: false }).toBytes("compact"),
  );
}

/** Verifies an `r || s` ECDSA signature over `digest` with the public point `04 || x || y`. */
export function verifyEc(
  curve: EcCurve,
  point: Buffer,
  digest: Buffer,
  signature: Buffer,
): boolean {
  try {
    return CURVES[curve].verify(signature, digest, point, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}
