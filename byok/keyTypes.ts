/**
 * The target key types Azure accepts for BYOK, and the KEK sizes: one table each, so the CLI,
 * the provider's `check` and the emulator's import all refuse the same things with the same words
 * (contracts §1.2, §1.3, §4.5).
 *
 * @module
 */
import { ByokError } from "./errors.js";

/** RSA modulus sizes (bits) accepted for a KEK and for an RSA target key. 1024 is refused. */
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;
/** Elliptic curves accepted for an EC target key, in Key Vault's names. */
export const EC_CURVES = ["P-256", "P-256K", "P-384", "P-521"] as const;
/** AES key sizes (bits) accepted for an oct target key; Managed HSM only. */
export const OCT_KEY_SIZES = [128, 192, 256] as const;

export type RsaKeySize = (typeof RSA_KEY_SIZES)[number];
export type EcCurve = (typeof EC_CURVES)[number];
export type OctKeySize = (typeof OCT_KEY_SIZES)[number];

/** The three families of target key, as the provider's `keyType` input names them. */
export type TargetKeyType = "RSA" | "EC" | "oct";

/** A fully specified target key type. */
export type KeySpec =
  | { readonly kty: "RSA"; readonly size: RsaKeySize }
  | { readonly kty: "EC"; readonly curve: EcCurve }
  | { readonly kty: "oct"; readonly size: OctKeySize };

/** Spellings accepted by `parseKeySpec`, e.g. for `azure-byok wrap --generate`. */
export const KEY_SPEC_NAMES = [
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
  "ec-p256",
  "ec-p256k",
  "ec-p384",
  "ec-p521",
  "oct-128",
  "oct-192",
  "oct-256",
] as const;

/** Node's (OpenSSL's) name for each Key Vault curve. */
export const NODE_CURVE_NAMES: Readonly<Record<EcCurve, string>> = {
  "P-256": "prime256v1",
  "P-256K": "secp256k1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

/** Key Vault's curve name for a Node/OpenSSL curve name or OID-derived name, if it is one we accept. */
export function curveFromNodeName(name: string): EcCurve | undefined {
  const aliases: Record<string, EcCurve> = {
    prime256v1: "P-256",
    "P-256": "P-256",
    secp256k1: "P-256K",
    secp384r1: "P-384",
    "P-384": "P-384",
    secp521r1: "P-521",
    "P-521": "P-521",
  };
  return aliases[name];
}

export function isRsaKeySize(value: unknown): value is RsaKeySize {
  return (RSA_KEY_SIZES as readonly unknown[]).includes(value);
}

export function isEcCurve(value: unknown): value is EcCurve {
  return (EC_CURVES as readonly unknown[]).includes(value);
}

export function isOctKeySize(value: unknown): value is OctKeySize {
  return (OCT_KEY_SIZES as readonly unknown[]).includes(value);
}

/** Throws `ERR_KEY_SPEC` unless `bits` is an RSA size Azure accepts; `what` names the property. */
export function assertRsaKeySize(bits: number, what: string): RsaKeySize {
  if (isRsaKeySize(bits)) return bits;
  throw new ByokError(
    "ERR_KEY_SPEC",
    `${what} is RSA-${bits}, which Azure does not accept: use RSA 2048, 3072 or 4096 bits` +
      (bits < 2048 ? " (RSA-1024 and smaller keys cannot be imported)" : ""),
  );
}

/**
 * Parses a key spec name such as `rsa-3072`, `ec-p256k` or `oct-256`.
 *
 * @throws ByokError `ERR_KEY_SPEC` naming the accepted spellings.
 */
export function parseKeySpec(name: string): KeySpec {
  const match = /^(rsa|ec|oct)-(p?)(\d+)(k?)$/i.exec(name.trim());
  if (match) {
    const family = (match[1] ?? "").toLowerCase();
    const bits = Number(match[3]);
    const koblitz = match[4] !== "";
    if (family === "rsa" && match[2] === "" && !koblitz && isRsaKeySize(bits)) {
      return { kty: "RSA", size: bits };
    }
    if (family === "oct" && match[2] === "" && !koblitz && isOctKeySize(bits)) {
      return { kty: "oct", size: bits };
    }
    if (family === "ec" && match[2] !== "") {
      const curve = `P-${bits}${koblitz ? "K" : ""}`;
      if (isEcCurve(curve)) return { kty: "EC", curve };
    }
  }
  throw new ByokError(
    "ERR_KEY_SPEC",
    `"${name}" is not a supported key type: use one of ${KEY_SPEC_NAMES.join(", ")}`,
  );
}

/** Human-readable name of a key spec, in Key Vault's words: `RSA-3072`, `EC P-256K`, `oct-256`. */
export function describeKeySpec(spec: KeySpec): string {
  switch (spec.kty) {
    case "RSA":
      return `RSA-${spec.size}`;
    case "EC":
      return `EC ${spec.curve}`;
    case "oct":
      return `oct-${spec.size}`;
  }
}

/** The `kty` Key Vault stores for an HSM-protected key of this family. */
export function hsmKeyType(kty: TargetKeyType): "RSA-HSM" | "EC-HSM" | "oct-HSM" {
  return `${kty}-HSM` as const;
}
