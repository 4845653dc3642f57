/**
 * Loading the KEK's public key as `az keyvault key download` writes it (SPKI PEM, contracts §2.2),
 * or from a JWK's `n`/`e`, and checking it is an RSA key of a size Azure accepts for a KEK.
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ByokError } from "./errors.js";
import { isRsaKeySize } from "./keyTypes.js";
import type { RsaKeySize } from "./keyTypes.js";

/** A KEK public key: an RSA SPKI PEM string, DER bytes, a JWK with `n`/`e`, or a key object. */
export type KekPublicKeyInput =
  string | Uint8Array | { readonly n: string; readonly e: string } | KeyObject;

/** A checked KEK public key. */
export interface KekPublicKey {
  readonly key: KeyObject;
  readonly sizeBits: RsaKeySize;
  /** The modulus size in bytes: the length of the RSA block at the start of the ciphertext. */
  readonly modulusBytes: number;
  /** The modulus `n`: an RSA ciphertext for this key is an integer below it (RFC 8017 §5.1.2). */
  readonly modulus: bigint;
  /** What the key was called when loaded (a file, a property), for messages. */
  readonly what: string;
}

function toKeyObject(input: KekPublicKeyInput): KeyObject {
  if (typeof input === "string") {
    return createPublicKey({ key: input, format: "pem" });
  }
  if (input instanceof Uint8Array) {
    return createPublicKey({ key: Buffer.from(input), format: "der", type: "spki" });
  }
  if ("n" in input && "e" in input) {
    return createPublicKey({ key: { kty: "RSA", n: input.n, e: input.e }, format: "jwk" });
  }
  return input.type === "private" ? createPublicKey(input) : input;
}

/**
 * Loads and checks a KEK public key.
 *
 * @throws ByokError `ERR_KEK_PUBLIC_KEY` when it does not parse, is not RSA, or has a size Azure
 *   does not use for a KEK.
 */
export function loadKekPublicKey(
  input: KekPublicKeyInput,
  what = "the KEK public key",
): KekPublicKey {
  let key: KeyObject;
  try {
    key = toKeyObject(input);
  } catch (cause) {
    throw new ByokError(
      "ERR_KEK_PUBLIC_KEY",
      `${what} does not parse: give the SPKI PEM that 'az keyvault key download' writes (-----BEGIN PUBLIC KEY-----), or the JWK n and e`,
      { cause },
    );
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new ByokError(
      "ERR_KEK_PUBLIC_KEY",
      `${what} is a ${key.asymmetricKeyType ?? "non-RSA"} key: a KEK is an RSA-HSM key of 2048, 3072 or 4096 bits`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!isRsaKeySize(bits)) {
    throw new ByokError(
      "ERR_KEK_PUBLIC_KEY",
      `${what} is RSA-${bits}: a KEK is RSA 2048, 3072 or 4096 bits`,
    );
  }
  const n = key.export({ format: "jwk" }).n ?? "";
  const modulus = BigInt(`0x${Buffer.from(n, "base64url").toString("hex") || "0"}`);
  return { key, sizeBits: bits, modulusBytes: bits / 8, modulus, what };
}
