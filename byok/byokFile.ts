/**
 * The `.byok` key transfer package (contracts §1.6): parse and validate any file the service
 * accepts from other tools, build one from a KEK public key and a target key, and unwrap one with
 * the KEK private key (for the emulator and the tests).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ByokError, isByokError } from "./errors.js";
import { parseVersionedKeyId } from "./keyId.js";
import type { KeyId } from "./keyId.js";
import { describeKeySpec, EC_CURVES, RSA_KEY_SIZES } from "./keyTypes.js";
import type { KeySpec } from "./keyTypes.js";
import { loadKekPublicKey } from "./kekPublicKey.js";
import type { KekPublicKey, KekPublicKeyInput } from "./kekPublicKey.js";
import { wrappedLength } from "./aesKeyWrapPad.js";
import { rsaAesKeyUnwrap, rsaAesKeyWrap } from "./rsaAesKeyWrap.js";
import type { RsaAesKeyWrapOptions } from "./rsaAesKeyWrap.js";
import { classifyTargetKey, encodeTargetKey, sameKeySpec, targetKeyOf } from "./targetKey.js";
import type { RecoveredTargetKey, TargetKey } from "./targetKey.js";
import { BYOK_TOOL_NAME, BYOK_TOOL_VERSION } from "./version.js";

/** `header.alg`: direct mode, the KEK protects the ciphertext (contracts §1.6). */
export const BYOK_ALG = "dir";
/** `header.enc`: the only mechanism Azure documents for import. */
export const BYOK_ENC = "CKM_RSA_AES_KEY_WRAP";
/** The version this tool writes. */
export const BYOK_SCHEMA_VERSION = "1.0.0";
/** The versions the service is seen to accept: 1.0.0 from the spec, 1.0 from its own blobs. */
export const ACCEPTED_SCHEMA_VERSIONS = ["1.0", "1.0.0"] as const;

/** The smallest RSA block (a 2048-bit KEK) plus the smallest RFC 5649 output. */
const MIN_CIPHERTEXT_BYTES = 256 + 16;

/** A parsed, validated key transfer package. */
export interface ByokPackage {
  readonly schemaVersion: string;
  readonly header: {
    readonly kid: string;
    readonly alg: typeof BYOK_ALG;
    readonly enc: typeof BYOK_ENC;
  };
  /** The KEK key id from the header, parsed. */
  readonly kek: KeyId & { readonly version: string };
  readonly ciphertext: Buffer;
  readonly generator?: string;
}

/** Options of {@link parseByokFile}. */
export interface ParseByokFileOptions {
  /**
   * The KEK's modulus size in bytes, when known (256, 384 or 512): the ciphertext is then checked
   * to hold an RSA block of that size and a wrapped key of a plausible length.
   */
  readonly kekModulusBytes?: number;
  /**
   * The KEK's public key, when known (from {@link loadKekPublicKey}). It sets the modulus size
   * (`kekModulusBytes` is then ignored), and the RSA block must also be an integer below the
   * KEK's modulus: one that is not cannot be an RSA ciphertext for that key
   * (`ERR_BYOK_KEK_MISMATCH`). A block below it proves nothing: only the private key can.
   */
  readonly kekPublicKey?: KekPublicKey;
  /** The property the file came from, used in messages; default `byok`. */
  readonly what?: string;
}

/**
 * Decodes base64url or standard base64, with or without padding (contracts §1.6: all three are
 * seen in files the service accepts).
 *
 * @throws ByokError `ERR_BYOK_ENCODING` naming the property.
 */
export function decodeBase64Lenient(value: string, what: string): Buffer {
  const compact = value.replace(/\s+/g, "");
  const unpadded = compact.replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9+/_-]*$/.test(unpadded) || unpadded.length % 4 === 1) {
    throw new ByokError(
      "ERR_BYOK_ENCODING",
      `${what} is not base64url or base64: it has characters outside the alphabet or a length no encoding produces`,
    );
  }
  if (compact.length !== unpadded.length && compact.length % 4 !== 0) {
    throw new ByokError("ERR_BYOK_ENCODING", `${what} has padding that does not fit its length`);
  }
  return Buffer.from(unpadded.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** SHA-256 of the file's bytes, hex: how the provider records a `.byok` file in state. */
export function byokSha256(file: string | Uint8Array): string {
  return createHash("sha256").update(file).digest("hex");
}

function requireString(record: Record<string, unknown>, field: string, what: string): string {
  const value = record[field];
  if (value === undefined || value === null) {
    throw new ByokError(
      "ERR_BYOK_MISSING_FIELD",
      `${what} has no "${field}" field: it is required`,
    );
  }
  if (typeof value !== "string") {
    throw new ByokError(
      "ERR_BYOK_FIELD_TYPE",
      `${what} field "${field}" is a ${typeof value}: it must be a string`,
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Lengths of RFC 5649 output that a target key of each accepted type can have. */
function plausibleWrappedLengths(): ReadonlyMap<number, KeySpec[]> {
  const byLength = new Map<number, KeySpec[]>();
  const add = (spec: KeySpec, minPlain: number, maxPlain: number): void => {
    for (let plain = minPlain; plain <= maxPlain; plain++) {
      const length = wrappedLength(plain);
      const specs = byLength.get(length) ?? [];
      if (!specs.some((s) => sameKeySpec(s, spec))) specs.push(spec);
      byLength.set(length, specs);
    }
  };
  for (const size of [128, 192, 256] as const) add({ kty: "oct", size }, size / 8, size / 8);
  // A PKCS#8 RSA key holds the modulus, both exponents and five CRT values: about 4.6 times the
  // modulus bytes (Node: 1217-1219 bytes for RSA-2048, 2374-2375 for RSA-4096). Leading zeros,
  // small exponents and optional attributes move it by tens of bytes, hence the wide window.
  for (const size of RSA_KEY_SIZES) {
    const typical = Math.round((size / 8) * 4.64);
    add({ kty: "RSA", size }, typical - 48, typical + 96);
  }
  // PKCS#8 EC keys with or without the optional public key and curve parameters.
  const ecRange: Record<(typeof EC_CURVES)[number], [number, number]> = {
    "P-256": [60, 160],
    "P-256K": [60, 160],
    "P-384": [80, 210],
    "P-521": [100, 260],
  };
  for (const curve of EC_CURVES) add({ kty: "EC", curve }, ecRange[curve][0], ecRange[curve][1]);
  return byLength;
}

const WRAPPED_LENGTHS = plausibleWrappedLengths();

/**
 * The target key types whose wrapped form could be `wrappedBytes` long. Used to tell, without
 * the private key, whether a ciphertext fits a KEK of a given size and what it may hold.
 */
export function targetSpecsForWrappedLength(wrappedBytes: number): readonly KeySpec[] {
  return WRAPPED_LENGTHS.get(wrappedBytes) ?? [];
}

/** The KEK sizes (bits) for which a ciphertext of this length holds a plausible wrapped key. */
export function plausibleKekSizes(ciphertextBytes: number): number[] {
  return RSA_KEY_SIZES.filter(
    (bits) => targetSpecsForWrappedLength(ciphertextBytes - bits / 8).length > 0,
  );
}

/**
 * Parses and validates a `.byok` file.
 *
 * @param file - the file's text or bytes (UTF-8 JSON).
 * @throws ByokError with a code for each way a file can be wrong: `ERR_BYOK_NOT_JSON`,
 *   `ERR_BYOK_MISSING_FIELD`, `ERR_BYOK_FIELD_TYPE`, `ERR_BYOK_SCHEMA_VERSION`, `ERR_BYOK_ALG`,
 *   `ERR_BYOK_ENC`, `ERR_BYOK_KID`, `ERR_BYOK_ENCODING`, `ERR_BYOK_CIPHERTEXT_LENGTH`,
 *   `ERR_BYOK_KEK_SIZE_MISMATCH`, `ERR_BYOK_KEK_MISMATCH`.
 */
export function parseByokFile(
  file: string | Uint8Array,
  options: ParseByokFileOptions = {},
): ByokPackage {
  const { kekPublicKey, what = "byok" } = options;
  const kekModulusBytes = kekPublicKey?.modulusBytes ?? options.kekModulusBytes;
  const text = (typeof file === "string" ? file : Buffer.from(file).toString("utf8")).replace(
    /^\uFEFF/,
    "",
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ByokError(
      "ERR_BYOK_NOT_JSON",
      `${what} is not JSON: a .byok file is a JSON object with schema_version, header, ciphertext and generator`,
      { cause },
    );
  }
  if (!isRecord(json)) {
    throw new ByokError(
      "ERR_BYOK_NOT_JSON",
      `${what} is JSON but not an object: a .byok file is a JSON object`,
    );
  }
  const schemaVersion = requireString(json, "schema_version", what);
  if (!(ACCEPTED_SCHEMA_VERSIONS as readonly string[]).includes(schemaVersion)) {
    throw new ByokError(
      "ERR_BYOK_SCHEMA_VERSION",
      `${what}.schema_version is "${schemaVersion}": only "1.0.0" and "1.0" are accepted`,
    );
  }
  const header = json.header;
  if (header === undefined || header === null) {
    throw new ByokError("ERR_BYOK_MISSING_FIELD", `${what} has no "header" field: it is required`);
  }
  if (!isRecord(header)) {
    throw new ByokError("ERR_BYOK_FIELD_TYPE", `${what}.header is not an object`);
  }
  const kid = requireString(header, "kid", `${what}.header`);
  const alg = requireString(header, "alg", `${what}.header`);
  const enc = requireString(header, "enc", `${what}.header`);
  if (alg !== BYOK_ALG) {
    throw new ByokError(
      "ERR_BYOK_ALG",
      `${what}.header.alg is "${alg}": Azure BYOK requires "dir"`,
    );
  }
  if (enc !== BYOK_ENC) {
    throw new ByokError(
      "ERR_BYOK_ENC",
      `${what}.header.enc is "${enc}": Azure BYOK import requires "CKM_RSA_AES_KEY_WRAP"`,
    );
  }
  let kek: KeyId & { version: string };
  try {
    kek = parseVersionedKeyId(kid, `${what}.header.kid`);
  } catch (cause) {
    if (!isByokError(cause)) throw cause;
    throw new ByokError("ERR_BYOK_KID", cause.message, { cause });
  }
  const generatorValue = json.generator;
  if (
    generatorValue !== undefined &&
    generatorValue !== null &&
    typeof generatorValue !== "string"
  ) {
    throw new ByokError(
      "ERR_BYOK_FIELD_TYPE",
      `${what}.generator is a ${typeof generatorValue}: it must be a string`,
    );
  }
  const ciphertext = decodeBase64Lenient(
    requireString(json, "ciphertext", what),
    `${what}.ciphertext`,
  );
  checkCiphertextLength(ciphertext.length, kekModulusBytes, what);
  if (kekPublicKey !== undefined) checkRsaBlockBelowModulus(ciphertext, kekPublicKey, kid, what);
  const base = {
    schemaVersion,
    header: { kid, alg: BYOK_ALG, enc: BYOK_ENC },
    kek,
    ciphertext,
  } as const;
  return typeof generatorValue === "string" ? { ...base, generator: generatorValue } : base;
}

function checkCiphertextLength(
  length: number,
  kekModulusBytes: number | undefined,
  what: string,
): void {
  if (length < MIN_CIPHERTEXT_BYTES) {
    throw new ByokError(
      "ERR_BYOK_CIPHERTEXT_LENGTH",
      `${what}.ciphertext is ${length} bytes: too short to hold an RSA block of a 2048-bit or larger KEK and a wrapped key (at least ${MIN_CIPHERTEXT_BYTES} bytes)`,
    );
  }
  if (length % 8 !== 0) {
    throw new ByokError(
      "ERR_BYOK_CIPHERTEXT_LENGTH",
      `${what}.ciphertext is ${length} bytes: the part after the RSA block must be a multiple of 8 bytes (RFC 5649), so the file is truncated or damaged`,
    );
  }
  if (kekModulusBytes === undefined) return;
  const wrapped = length - kekModulusBytes;
  if (wrapped < 16 || targetSpecsForWrappedLength(wrapped).length === 0) {
    const fits = plausibleKekSizes(length);
    throw new ByokError(
      "ERR_BYOK_KEK_SIZE_MISMATCH",
      `${what}.ciphertext is ${length} bytes, which does not fit a ${kekModulusBytes * 8}-bit KEK's ${kekModulusBytes}-byte RSA block followed by a wrapped key` +
        (fits.length > 0
          ? ` (it fits a ${fits.join(" or ")}-bit KEK): the file was wrapped for another KEK; wrap the target key again with this KEK's public key`
          : `: it fits no KEK size with a key type Azure imports (RSA 2048-4096, EC P-256/P-256K/P-384/P-521, AES 128-256); wrap the target key again with this KEK's public key`),
    );
  }
}

/**
 * RSADP (RFC 8017 §5.1.2) takes only a ciphertext below the modulus, so an RSA block that is not
 * cannot have been made with this KEK's public key. This catches some files wrapped for another
 * KEK whose length also fits this KEK's size (an oct-256 file for RSA-4096 is as long as an EC
 * one for RSA-3072): those whose bytes there happen to exceed the modulus. For a given pair of
 * keys that is a fixed share of the files, from none to under half, so passing proves nothing.
 */
function checkRsaBlockBelowModulus(
  ciphertext: Buffer,
  kek: KekPublicKey,
  kid: string,
  what: string,
): void {
  const block = ciphertext.subarray(0, kek.modulusBytes);
  if (BigInt(`0x${block.toString("hex")}`) < kek.modulus) return;
  throw new ByokError(
    "ERR_BYOK_KEK_MISMATCH",
    `${what}.ciphertext's first ${kek.modulusBytes} bytes, read as an integer, are not below the modulus of the RSA-${kek.sizeBits} KEK (${kek.what}), so they are no RSA block made with that key: the file (header.kid ${kid}) was wrapped for another KEK; wrap the target key again with this KEK's public key`,
  );
}

/** Options of {@link buildByokFile}. */
export interface BuildByokFileOptions extends RsaAesKeyWrapOptions {
  /** The KEK's public key: SPKI PEM, DER, JWK `n`/`e`, or a key object. */
  readonly kekPublicKey: KekPublicKeyInput;
  /** The KEK's versioned key id; it goes into `header.kid`. */
  readonly kekKid: string;
  /** The `generator` field; default names this tool and its version. */
  readonly generator?: string;
}

/** The result of {@link buildByokFile}: the file's text and what it holds. */
export interface BuiltByokFile {
  /** The `.byok` file content (JSON text). */
  readonly text: string;
  readonly package: ByokPackage;
  readonly targetSpec: KeySpec;
}

/** The `generator` value this tool writes. */
export function defaultGenerator(extra?: string): string {
  return `${BYOK_TOOL_NAME} ${BYOK_TOOL_VERSION}${extra === undefined ? "" : `; ${extra}`}`;
}

/** Serializes a package as the JSON text of a `.byok` file (ciphertext base64url, no padding). */
export function serializeByokFile(
  pkg: Pick<ByokPackage, "schemaVersion" | "header" | "ciphertext" | "generator">,
): string {
  const body = {
    schema_version: pkg.schemaVersion,
    header: { kid: pkg.header.kid, alg: pkg.header.alg, enc: pkg.header.enc },
    ciphertext: pkg.ciphertext.toString("base64url"),
    generator: pkg.generator ?? defaultGenerator(),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/**
 * Assembles a `.byok` file around a ciphertext made elsewhere (a PKCS#11 token), after checking
 * the kid and the ciphertext's length against the KEK size.
 */
export function assembleByokFile(options: {
  readonly kekKid: string;
  readonly ciphertext: Uint8Array;
  readonly kekModulusBytes: number;
  readonly generator?: string;
}): BuiltByokFile & { targetSpec?: KeySpec } {
  const text = serializeByokFile({
    schemaVersion: BYOK_SCHEMA_VERSION,
    header: { kid: options.kekKid, alg: BYOK_ALG, enc: BYOK_ENC },
    ciphertext: Buffer.from(options.ciphertext),
    generator: options.generator ?? defaultGenerator(),
  });
  const pkg = parseByokFile(text, {
    kekModulusBytes: options.kekModulusBytes,
    what: "the assembled file",
  });
  const candidates = targetSpecsForWrappedLength(pkg.ciphertext.length - options.kekModulusBytes);
  return { text, package: pkg, targetSpec: candidates[0] ?? { kty: "oct", size: 256 } };
}

/**
 * Builds a `.byok` file that wraps `target` for the KEK.
 *
 * @param target - an RSA or EC private key object, raw AES key bytes, or a {@link TargetKey}.
 */
export function buildByokFile(
  target: TargetKey | KeyObject | Uint8Array,
  options: BuildByokFileOptions,
): BuiltByokFile {
  const { kekPublicKey, kekKid, generator = defaultGenerator(), aesKey } = options;
  const kek = loadKekPublicKey(kekPublicKey);
  parseVersionedKeyId(kekKid, "kekKid");
  const targetKey = isTargetKey(target) ? target : targetKeyOf(target);
  const plaintext = encodeTargetKey(targetKey);
  try {
    const ciphertext = rsaAesKeyWrap(kek.key, plaintext, aesKey === undefined ? {} : { aesKey });
    const text = serializeByokFile({
      schemaVersion: BYOK_SCHEMA_VERSION,
      header: { kid: kekKid, alg: BYOK_ALG, enc: BYOK_ENC },
      ciphertext,
      generator,
    });
    return {
      text,
      package: parseByokFile(text, { kekPublicKey: kek }),
      targetSpec: targetKey.spec,
    };
  } finally {
    plaintext.fill(0);
  }
}

function isTargetKey(value: TargetKey | KeyObject | Uint8Array): value is TargetKey {
  return typeof value === "object" && "spec" in value;
}

/** Options of {@link unwrapByokFile}. */
export interface UnwrapByokFileOptions {
  /** The key type the importer asked for: a different one fails with `ERR_BYOK_TARGET_MISMATCH`. */
  readonly expected?: KeySpec | { readonly kty: "RSA" } | { readonly kty: "oct" };
}

/**
 * Unwraps a parsed package with the KEK's private key and classifies the target key.
 *
 * @throws ByokError `ERR_BYOK_OAEP`, `ERR_BYOK_KWP_INTEGRITY`, `ERR_BYOK_TARGET_KEY`,
 *   `ERR_BYOK_TARGET_MISMATCH`.
 */
export function unwrapByokFile(
  pkg: ByokPackage,
  kekPrivateKey: KeyObject,
  options: UnwrapByokFileOptions = {},
): RecoveredTargetKey {
  const plaintext = rsaAesKeyUnwrap(kekPrivateKey, pkg.ciphertext);
  const recovered = classifyTargetKey(plaintext);
  const { expected } = options;
  if (expected !== undefined) {
    const mismatch =
      expected.kty !== recovered.spec.kty ||
      ("curve" in expected &&
        "curve" in recovered.spec &&
        expected.curve !== recovered.spec.curve) ||
      ("size" in expected && "size" in recovered.spec && expected.size !== recovered.spec.size);
    if (mismatch) {
      const asked =
        "curve" in expected || "size" in expected ? describeKeySpec(expected) : expected.kty;
      throw new ByokError(
        "ERR_BYOK_TARGET_MISMATCH",
        `the file holds an ${describeKeySpec(recovered.spec)} key, but ${asked} was requested: import it with the key type it holds, or wrap the intended key`,
      );
    }
  }
  return recovered;
}
