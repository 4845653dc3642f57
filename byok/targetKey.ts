/**
 * The target key: how it is encoded before wrapping (contracts §1.4: PKCS#8 DER for RSA and EC,
 * raw bytes for oct), how a recovered plaintext is classified, and how a fresh one is generated.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ByokError } from "./errors.js";
import {
  curveFromNodeName,
  describeKeySpec,
  isOctKeySize,
  isRsaKeySize,
  NODE_CURVE_NAMES,
} from "./keyTypes.js";
import type { KeySpec } from "./keyTypes.js";

/** A target key: an RSA or EC private key, or the raw bytes of an AES key. */
export type TargetKey =
  | { readonly spec: KeySpec & { kty: "RSA" | "EC" }; readonly privateKey: KeyObject }
  | { readonly spec: KeySpec & { kty: "oct" }; readonly octKey: Buffer };

/** The classified result of unwrapping: what the key is, and its public half for RSA/EC. */
export type RecoveredTargetKey =
  | {
      readonly spec: KeySpec & { kty: "RSA" | "EC" };
      readonly privateKey: KeyObject;
      readonly publicKey: KeyObject;
    }
  | { readonly spec: KeySpec & { kty: "oct" }; readonly octKey: Buffer };

/** Describes an RSA or EC private key object as a key spec, refusing what Azure refuses. */
export function specOfPrivateKey(
  key: KeyObject,
  what = "the target key",
): KeySpec & { kty: "RSA" | "EC" } {
  if (key.type !== "private") {
    throw new ByokError(
      "ERR_BYOK_TARGET_KEY",
      `${what} is a ${key.type} key: a private key is needed`,
    );
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (!isRsaKeySize(bits)) {
      throw new ByokError(
        "ERR_BYOK_TARGET_KEY",
        `${what} is RSA-${bits}: Azure imports RSA 2048, 3072 or 4096 bits only` +
          (bits <= 1024 ? " (RSA-1024 is not supported)" : ""),
      );
    }
    return { kty: "RSA", size: bits };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = curveFromNodeName(details.namedCurve ?? "");
    if (curve === undefined) {
      throw new ByokError(
        "ERR_BYOK_TARGET_KEY",
        `${what} is on curve ${details.namedCurve ?? "(unknown)"}: Azure imports P-256, P-256K, P-384 and P-521`,
      );
    }
    return { kty: "EC", curve };
  }
  throw new ByokError(
    "ERR_BYOK_TARGET_KEY",
    `${what} is of type ${key.asymmetricKeyType ?? "(unknown)"}: Azure imports RSA, EC and AES (oct) keys`,
  );
}

/** A target key from an RSA/EC private key object, or from raw AES key bytes. */
export function targetKeyOf(key: KeyObject | Uint8Array): TargetKey {
  if (key instanceof Uint8Array) {
    const bits = key.length * 8;
    if (!isOctKeySize(bits)) {
      throw new ByokError(
        "ERR_BYOK_TARGET_KEY",
        `the AES key is ${key.length} bytes: Azure imports AES keys of 16, 24 or 32 bytes`,
      );
    }
    return { spec: { kty: "oct", size: bits }, octKey: Buffer.from(key) };
  }
  return { spec: specOfPrivateKey(key), privateKey: key };
}

/** The bytes that get wrapped: PKCS#8 DER for RSA and EC, the raw key for oct (contracts §1.4). */
export function encodeTargetKey(target: TargetKey): Buffer {
  return "octKey" in target
    ? Buffer.from(target.octKey)
    : target.privateKey.export({ type: "pkcs8", format: "der" });
}

/**
 * Classifies the plaintext recovered from a `.byok` file.
 *
 * @throws ByokError `ERR_BYOK_TARGET_KEY` when it is neither an accepted PKCS#8 key nor an AES key.
 */
export function classifyTargetKey(plaintext: Buffer): RecoveredTargetKey {
  // The smallest accepted PKCS#8 key (EC P-256 without its public key) is 67 bytes, so a
  // plaintext of 16, 24 or 32 bytes can only be a raw AES key.
  const bits = plaintext.length * 8;
  if (isOctKeySize(bits)) {
    return { spec: { kty: "oct", size: bits }, octKey: plaintext };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: plaintext, format: "der", type: "pkcs8" });
  } catch (cause) {
    throw new ByokError(
      "ERR_BYOK_TARGET_KEY",
      `the wrapped key (${plaintext.length} bytes) is neither a PKCS#8 private key nor a 16/24/32-byte AES key`,
      { cause },
    );
  }
  const spec = specOfPrivateKey(privateKey, "the wrapped key");
  return { spec, privateKey, publicKey: createPublicKey(privateKey) };
}

/** Generates a fresh target key of the given spec, without blocking the event loop. */
export async function generateTargetKey(spec: KeySpec): Promise<TargetKey> {
  switch (spec.kty) {
    case "oct":
      return { spec, octKey: randomBytes(spec.size / 8) };
    case "RSA":
      return new Promise((resolve, reject) => {
        generateKeyPair(
          "rsa",
          { modulusLength: spec.size, publicExponent: 0x10001 },
          (error, _pub, privateKey) => {
            if (error) reject(error);
            else resolve({ spec, privateKey });
          },
        );
      });
    case "EC":
      return new Promise((resolve, reject) => {
        generateKeyPair(
          "ec",
          { namedCurve: NODE_CURVE_NAMES[spec.curve] },
          (error, _pub, privateKey) => {
            if (error) reject(error);
            else resolve({ spec, privateKey });
          },
        );
      });
  }
}

/** True when two key specs are the same type, size and curve. */
export function sameKeySpec(a: KeySpec, b: KeySpec): boolean {
  return describeKeySpec(a) === describeKeySpec(b);
}
