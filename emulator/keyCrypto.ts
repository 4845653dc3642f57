/**
 * The cryptographic operations behind sign, verify, encrypt, decrypt, wrapKey and unwrapKey:
 * find the version, enforce key_ops and dates, pick the algorithm for the key's family, run it.
 * Results carry the versioned kid and base64url values (contracts §3.2 KeyOperationResult).
 *
 * @module
 */
import { formatKeyId } from "../byok/index.js";
import type { EcCurve } from "../byok/index.js";
import {
  decryptAes,
  decryptRsa,
  encryptAes,
  encryptRsa,
  EncryptionError,
  RSA_ENCRYPTION_ALGORITHMS,
  AES_ALGORITHMS,
} from "./crypto/encryption.js";
import { privateKeyOf, publicJwkOf, publicKeyOf } from "./crypto/keyMaterial.js";
import {
  digestBytes,
  EC_SIGNATURE_ALGORITHMS,
  RSA_SIGNATURE_ALGORITHMS,
  signEc,
  signRsa,
  verifyEc,
  verifyRsa,
} from "./crypto/signing.js";
import type { EcSignatureAlgorithm, RsaSignatureAlgorithm } from "./crypto/signing.js";
import { badParameter } from "./errors.js";
import { requireKeyName, requireUsable, requireVersion } from "./keyRules.js";
import type { HandlerContext, RequestInput } from "./operation.js";
import type { StoredKeyVersion } from "./store/keyStore.js";
import { optionalBytes, requireBytes, requireObject, requireString } from "./validation.js";

/** A parsed KeyOperationsParameters / KeySignParameters / KeyVerifyParameters body. */
export interface CryptoRequest {
  readonly name: string;
  readonly version?: string;
  readonly alg: string;
  readonly value: Buffer;
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tag?: Buffer;
  /** verify only. */
  readonly digest?: Buffer;
}

/** Validates the body of a cryptographic operation. */
export function parseCryptoRequest(
  input: RequestInput,
  kind: "sign" | "verify" | "cipher",
): CryptoRequest {
  const json = requireObject(input.body, "The request body");
  const iv = optionalBytes(json, "iv", "body");
  const aad = optionalBytes(json, "aad", "body");
  const tag = optionalBytes(json, "tag", "body");
  return {
    name: requireKeyName(input.params.name),
    ...(input.params.version === undefined ? {} : { version: input.params.version }),
    alg: requireString(json, "alg", "body"),
    value: requireBytes(json, "value", "body"),
    ...(kind === "verify" ? { digest: requireBytes(json, "digest", "body") } : {}),
    ...(iv === undefined ? {} : { iv }),
    ...(aad === undefined ? {} : { aad }),
    ...(tag === undefined ? {} : { tag }),
  };
}

function usableVersion(
  request: CryptoRequest,
  operation: string,
  context: HandlerContext,
): { kid: string; version: StoredKeyVersion } {
  const { key, version } = requireVersion(context, request.name, request.version);
  requireUsable(key.name, version, operation, context.now);
  return { kid: formatKeyId(context.vaultUrl, key.name, version.version), version };
}

function algorithmFor<K extends string>(
  alg: string,
  table: Readonly<Record<K, unknown>>,
  kty: string,
): K {
  if (!Object.hasOwn(table, alg)) {
    throw badParameter(
      `alg ${alg} is not valid for a ${kty} key: use one of ${Object.keys(table).join(", ")}.`,
      "InvalidAlgorithm",
    );
  }
  return alg as K;
}

function pointOf(version: StoredKeyVersion): Buffer {
  const jwk = publicJwkOf(version.material);
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? "", "base64url"),
    Buffer.from(jwk.y ?? "", "base64url"),
  ]);
}

function checkDigest(alg: RsaSignatureAlgorithm | EcSignatureAlgorithm, digest: Buffer): void {
  const expected = digestBytes(alg);
  if (expected !== undefined && digest.length !== expected) {
    throw badParameter(
      `value is ${digest.length} bytes but ${alg} signs a ${expected}-byte digest: hash the message with the algorithm's hash first.`,
      "InvalidDigest",
    );
  }
}

function ecCurveFor(alg: EcSignatureAlgorithm, version: StoredKeyVersion): EcCurve {
  const curve = EC_SIGNATURE_ALGORITHMS[alg];
  if (version.crv !== curve)
    throw badParameter(
      `alg ${alg} is for ${curve} keys, but this key is on ${version.crv ?? "another curve"}.`,
      "InvalidAlgorithm",
    );
  return curve;
}

/** `sign`: returns `{ kid, value }`. */
export function runSign(request: CryptoRequest, context: HandlerContext): Record<string, string> {
  const { kid, version } = usableVersion(request, "sign", context);
  const { material } = version;
  if (material.kind !== "pkcs8")
    throw badParameter(
      `key ${request.name} is ${version.kty}: oct keys do not sign here.`,
      "InvalidAlgorithm",
    );
  if (version.kty.startsWith("RSA")) {
    const alg = algorithmFor(request.alg, RSA_SIGNATURE_ALGORITHMS, version.kty);
    checkDigest(alg, request.value);
    return {
      kid,
      value: signRsa(alg, privateKeyOf(material), request.value).toString("base64url"),
    };
  }
  const alg = algorithmFor(request.alg, EC_SIGNATURE_ALGORITHMS, version.kty);
  checkDigest(alg, request.value);
  const d = Buffer.from(privateKeyOf(material).export({ format: "jwk" }).d ?? "", "base64url");
  return { kid, value: signEc(ecCurveFor(alg, version), d, request.value).toString("base64url") };
}

/** `verify`: `value` is the signature, `digest` the digest; returns `{ value: boolean }`. */
export function runVerify(request: CryptoRequest, context: HandlerContext): { value: boolean } {
  const { version } = usableVersion(request, "verify", context);
  const { material } = version;
  const digest = request.digest ?? Buffer.alloc(0);
  if (material.kind !== "pkcs8")
    throw badParameter(
      `key ${request.name} is ${version.kty}: oct keys do not verify here.`,
      "InvalidAlgorithm",
    );
  if (version.kty.startsWith("RSA")) {
    const alg = algorithmFor(request.alg, RSA_SIGNATURE_ALGORITHMS, version.kty);
    checkDigest(alg, digest);
    return { value: verifyRsa(alg, publicKeyOf(material), digest, request.value) };
  }
  const alg = algorithmFor(request.alg, EC_SIGNATURE_ALGORITHMS, version.kty);
  checkDigest(alg, digest);
  return { value: verifyEc(ecCurveFor(alg, version), pointOf(version), digest, request.value) };
}

/** encrypt / wrapKey (`direction` "forward") and decrypt / unwrapKey ("reverse"). */
export function runCipher(
  request: CryptoRequest,
  operation: "encrypt" | "decrypt" | "wrapKey" | "unwrapKey",
  context: HandlerContext,
): Record<string, string> {
  const { kid, version } = usableVersion(request, operation, context);
  const forward = operation === "encrypt" || operation === "wrapKey";
  const { material } = version;
  try {
    if (material.kind === "pkcs8") {
      if (!version.kty.startsWith("RSA"))
        throw badParameter(
          `key ${request.name} is ${version.kty}: EC keys do not ${operation}.`,
          "InvalidAlgorithm",
        );
      const alg = algorithmFor(request.alg, RSA_ENCRYPTION_ALGORITHMS, version.kty);
      const value = forward
        ? encryptRsa(alg, publicKeyOf(material), request.value)
        : decryptRsa(alg, privateKeyOf(material), request.value);
      return { kid, value: value.toString("base64url") };
    }
    const alg = algorithmFor(request.alg, AES_ALGORITHMS, version.kty);
    const params = {
      ...(request.iv === undefined ? {} : { iv: request.iv }),
      ...(request.aad === undefined ? {} : { aad: request.aad }),
      ...(request.tag === undefined ? {} : { tag: request.tag }),
    };
    const result = forward
      ? encryptAes(alg, material.bytes, request.value, params)
      : decryptAes(alg, material.bytes, request.value, params);
    return {
      kid,
      value: result.value.toString("base64url"),
      ...(result.iv === undefined ? {} : { iv: result.iv.toString("base64url") }),
      ...(result.tag === undefined ? {} : { tag: result.tag.toString("base64url") }),
      ...(result.aad === undefined ? {} : { aad: result.aad.toString("base64url") }),
    };
  } catch (error) {
    if (error instanceof EncryptionError)
      throw badParameter(`${error.message}.`, "InvalidCiphertext");
    throw error;
  }
}
