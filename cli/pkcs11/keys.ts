/**
 * Key objects on a token: reading their attributes, describing them for `list`, finding the
 * target key by label, and reading its public half (never its private value: the token refuses,
 * and this tool never asks).
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { describeKeySpec, isOctKeySize, isRsaKeySize } from "../../byok/index.js";
import type { KeySpec } from "../../byok/index.js";
import { call, ckrOf } from "./binding.js";
import { CKA, CKK, CKO, CKR } from "./constants.js";
import { curveOfEcParams, ecPublicKeyOf } from "./curves.js";
import { TokenError } from "./errors.js";
import type { TokenSession } from "./token.js";

/** A key object's class, in words. */
export type KeyClass = "private" | "public" | "secret";

/** What `list` shows of a key, and what `wrap` checks before wrapping it. */
export interface KeySummary {
  readonly handle: Buffer;
  readonly label: string;
  readonly keyClass: KeyClass;
  /** `RSA`, `EC`, `AES`, or `CKK 0x…` for another type. */
  readonly keyType: string;
  /** RSA modulus or AES key size in bits. */
  readonly sizeBits?: number;
  /** The EC curve in Key Vault's words, or `OID <hex>` for another. */
  readonly curve?: string;
  /** The Key Vault key type, when Azure imports this key. */
  readonly spec?: KeySpec;
  readonly sensitive?: boolean;
  readonly extractable?: boolean;
  readonly wrapWithTrusted?: boolean;
  /** True for a token object, false for a session object. */
  readonly onToken?: boolean;
}

/** One attribute's value, or undefined when the token does not have it or will not show it. */
export function readAttribute(ts: TokenSession, handle: Buffer, type: number): Buffer | undefined {
  try {
    const [result] = ts.library.C_GetAttributeValue(ts.session, handle, [{ type }]);
    return result?.value;
  } catch (error) {
    const ckr = ckrOf(error);
    // Asked one at a time so that a sensitive or absent attribute hides only itself.
    if (ckr === CKR.ATTRIBUTE_SENSITIVE || ckr === CKR.ATTRIBUTE_TYPE_INVALID) return undefined;
    throw error;
  }
}

function readBool(ts: TokenSession, handle: Buffer, type: number): boolean | undefined {
  const value = readAttribute(ts, handle, type);
  return value === undefined ? undefined : value.some((byte) => byte !== 0);
}

/** CK_ULONG attributes arrive as the machine's little-endian bytes. */
function readUlong(ts: TokenSession, handle: Buffer, type: number): number | undefined {
  const value = readAttribute(ts, handle, type);
  if (value === undefined) return undefined;
  let n = 0;
  for (let i = value.length - 1; i >= 0; i--) n = n * 256 + (value[i] ?? 0);
  return n;
}

/** Handles of every object matching `template` (attribute type to value). */
export function findObjects(
  ts: TokenSession,
  template: readonly { type: number; value: number | boolean | string | Buffer }[],
): Buffer[] {
  const { library, session } = ts;
  return call("C_FindObjects", "searching the token's keys", () => {
    library.C_FindObjectsInit(session, [...template]);
    try {
      const found: Buffer[] = [];
      for (;;) {
        const batch = library.C_FindObjects(session, 64);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      library.C_FindObjectsFinal(session);
    }
  });
}

const CLASS_NAMES: Readonly<Record<number, KeyClass>> = {
  [CKO.PRIVATE_KEY]: "private",
  [CKO.PUBLIC_KEY]: "public",
  [CKO.SECRET_KEY]: "secret",
};

/** Describes a key object from its non-secret attributes. */
export function describeKey(ts: TokenSession, handle: Buffer): KeySummary {
  const label = readAttribute(ts, handle, CKA.LABEL)?.toString("utf8") ?? "";
  const keyClass = CLASS_NAMES[readUlong(ts, handle, CKA.CLASS) ?? -1] ?? "secret";
  const type = readUlong(ts, handle, CKA.KEY_TYPE);
  const flags = {
    onToken: readBool(ts, handle, CKA.TOKEN),
    ...(keyClass === "public"
      ? {}
      : {
          sensitive: readBool(ts, handle, CKA.SENSITIVE),
          extractable: readBool(ts, handle, CKA.EXTRACTABLE),
          wrapWithTrusted: readBool(ts, handle, CKA.WRAP_WITH_TRUSTED),
        }),
  };
  const base = { handle, label, keyClass, ...withoutUndefined(flags) };
  switch (type) {
    case CKK.RSA: {
      const modulus = readAttribute(ts, handle, CKA.MODULUS);
      const bits =
        modulus === undefined ? readUlong(ts, handle, CKA.MODULUS_BITS) : bitLength(modulus);
      return {
        ...base,
        keyType: "RSA",
        ...(bits === undefined ? {} : { sizeBits: bits }),
        ...(bits !== undefined && isRsaKeySize(bits) ? { spec: { kty: "RSA", size: bits } } : {}),
      };
    }
    case CKK.EC: {
      const params = readAttribute(ts, handle, CKA.EC_PARAMS);
      const curve = params === undefined ? undefined : curveOfEcParams(params);
      return {
        ...base,
        keyType: "EC",
        ...(curve !== undefined
          ? { curve, spec: { kty: "EC", curve } }
          : params !== undefined
            ? { curve: `OID ${params.toString("hex")}` }
            : {}),
      };
    }
    case CKK.AES: {
      const bytes = readUlong(ts, handle, CKA.VALUE_LEN);
      const bits = bytes === undefined ? undefined : bytes * 8;
      return {
        ...base,
        keyType: "AES",
        ...(bits === undefined ? {} : { sizeBits: bits }),
        ...(bits !== undefined && isOctKeySize(bits) ? { spec: { kty: "oct", size: bits } } : {}),
      };
    }
    case undefined:
    default:
      return { ...base, keyType: type === undefined ? "unknown" : `CKK 0x${type.toString(16)}` };
  }
}

function withoutUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** Bit length of a big-endian unsigned integer (leading zero bytes ignored). */
function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const top = bytes[i];
  return top === undefined ? 0 : (bytes.length - i - 1) * 8 + (32 - Math.clz32(top));
}

/** Every key object the session can see (public, private and secret), described. */
export function listKeys(ts: TokenSession): KeySummary[] {
  return [CKO.PRIVATE_KEY, CKO.PUBLIC_KEY, CKO.SECRET_KEY]
    .flatMap((keyClass) => findObjects(ts, [{ type: CKA.CLASS, value: keyClass }]))
    .map((handle) => describeKey(ts, handle))
    .sort((a, b) => a.label.localeCompare(b.label) || a.keyClass.localeCompare(b.keyClass));
}

/** The private and secret keys with this label: the candidates for a target key. */
export function findKeysByLabel(ts: TokenSession, label: string): Buffer[] {
  return [CKO.PRIVATE_KEY, CKO.SECRET_KEY].flatMap((keyClass) =>
    findObjects(ts, [
      { type: CKA.CLASS, value: keyClass },
      { type: CKA.LABEL, value: label },
    ]),
  );
}

/** A target key found on the token: the one private or secret key with the label. */
export type TargetKeyOnToken = KeySummary & { readonly spec: KeySpec };

/**
 * Finds the target key by `--key-label` and checks Azure imports it and the token will wrap it.
 *
 * @throws TokenError `ERR_PKCS11_KEY_NOT_FOUND`, `ERR_PKCS11_KEY_AMBIGUOUS`, `ERR_PKCS11_KEY_TYPE`,
 *   `ERR_PKCS11_KEY_NOT_WRAPPABLE`.
 */
export function findTargetKey(ts: TokenSession, label: string): TargetKeyOnToken {
  const handles = findKeysByLabel(ts, label);
  const [first, second] = handles;
  const where = `token "${ts.slot.token.label}"`;
  if (first === undefined) {
    const labels = [
      ...new Set(
        listKeys(ts)
          .filter((k) => k.keyClass !== "public")
          .map((k) => `"${k.label}"`),
      ),
    ];
    throw new TokenError(
      "ERR_PKCS11_KEY_NOT_FOUND",
      `--key-label "${label}": ${where} has no private or secret key with that label (${labels.length === 0 ? "it has none the user can see" : `it has ${labels.join(", ")}`}): check the label with 'azure-byok pkcs11 list', or make the key with --generate <type>`,
    );
  }
  if (second !== undefined) {
    throw new TokenError(
      "ERR_PKCS11_KEY_AMBIGUOUS",
      `--key-label "${label}": ${where} has ${handles.length} private or secret keys with that label: give the key a unique label with the vendor's tools`,
    );
  }
  const key = describeKey(ts, first);
  if (key.spec === undefined) {
    throw new TokenError(
      "ERR_PKCS11_KEY_TYPE",
      `--key-label "${label}" is ${key.keyType}${key.sizeBits === undefined ? "" : `-${key.sizeBits}`}${key.curve === undefined ? "" : ` on ${key.curve}`}: Azure imports RSA 2048/3072/4096, EC P-256/P-256K/P-384/P-521 and AES 128/192/256 keys`,
    );
  }
  assertWrappable({ ...key, spec: key.spec }, "--key-label");
  return { ...key, spec: key.spec };
}

/**
 * Checks a key's attributes allow wrapping it under a key this tool makes.
 *
 * @throws TokenError `ERR_PKCS11_KEY_NOT_WRAPPABLE`.
 */
export function assertWrappable(key: TargetKeyOnToken, what: string): void {
  if (key.extractable === false) {
    throw new TokenError(
      "ERR_PKCS11_KEY_NOT_WRAPPABLE",
      `${what} "${key.label}" (${describeKeySpec(key.spec)}) has CKA_EXTRACTABLE false, so the token will not let it leave even wrapped: a key can only be brought to Azure if it was made extractable (and sensitive); make a new one with --generate`,
    );
  }
  if (key.wrapWithTrusted === true) {
    throw new TokenError(
      "ERR_PKCS11_KEY_NOT_WRAPPABLE",
      `${what} "${key.label}" (${describeKeySpec(key.spec)}) has CKA_WRAP_WITH_TRUSTED true, so only a CKA_TRUSTED key set by the security officer may wrap it, and the key this tool generates for the wrap is not one: use the vendor's BYOK tool for such keys`,
    );
  }
}

/**
 * The target key's public half, for RSA and EC: from the private key's modulus and exponent, or
 * from the public key object with the same label (EC private keys carry no point).
 */
export function publicKeyOf(ts: TokenSession, key: TargetKeyOnToken): KeyObject | undefined {
  if (key.spec.kty === "RSA") {
    const candidates = [key.handle, ...publicObjects(ts, key.label)];
    for (const handle of candidates) {
      const n = readAttribute(ts, handle, CKA.MODULUS);
      const e = readAttribute(ts, handle, CKA.PUBLIC_EXPONENT);
      if (n !== undefined && e !== undefined) {
        return createPublicKey({
          key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") },
          format: "jwk",
        });
      }
    }
    return undefined;
  }
  if (key.spec.kty === "EC") {
    const { curve } = key.spec;
    for (const handle of publicObjects(ts, key.label)) {
      const point = readAttribute(ts, handle, CKA.EC_POINT);
      const publicKey = point === undefined ? undefined : ecPublicKeyOf(curve, point);
      if (publicKey !== undefined) return publicKey;
    }
  }
  return undefined;
}

function publicObjects(ts: TokenSession, label: string): Buffer[] {
  return findObjects(ts, [
    { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
    { type: CKA.LABEL, value: label },
  ]);
}
