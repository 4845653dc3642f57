/**
 * The body of `POST /securitydomain/download` checked into typed values (contracts §4.3):
 * `certificates`, 3 to 10 SecurityDomainJsonWebKeys (`kty` RSA, `alg` RSA-OAEP-256, `key_ops`,
 * `n`, `e`, `x5c`, `x5t#S256`, optional `kid`, `use`, `x5t`), and `required`, 2 to 10 and at most
 * the number of certificates (default 2). Each failure is a 400 BadParameter naming the field.
 *
 * @module
 */
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { badParameter } from "../errors.js";
import type { JsonObject } from "../validation.js";
import { optionalInteger, optionalString, requireObject, requireString } from "../validation.js";

/** A wrapping certificate's public key, ready to encrypt a share to. */
export interface WrappingKey {
  readonly publicKey: KeyObject;
  readonly kid?: string;
  /** base64url SHA-256 of the certificate's DER. */
  readonly thumbprintSha256: string;
}

/** A checked download request. */
export interface SecurityDomainDownloadRequest {
  readonly keys: readonly WrappingKey[];
  readonly required: number;
}

const MIN_CERTIFICATES = 3;
const MAX_CERTIFICATES = 10;
const MIN_RSA_BITS = 2048;

function requireBase64Url(obj: JsonObject, field: string, what: string): Buffer {
  const text = requireString(obj, field, what);
  if (!/^[A-Za-z0-9_-]+$/.test(text))
    throw badParameter(`${what}.${field} must be base64url without padding.`);
  return Buffer.from(text, "base64url");
}

function checkCertificate(entry: unknown, what: string): WrappingKey {
  const jwk = requireObject(entry, what);
  const kty = requireString(jwk, "kty", what);
  if (kty !== "RSA") throw badParameter(`${what}.kty '${kty}' is not allowed: use RSA.`);
  const alg = requireString(jwk, "alg", what);
  if (alg !== "RSA-OAEP-256")
    throw badParameter(`${what}.alg '${alg}' is not allowed: use RSA-OAEP-256.`);
  const keyOps = jwk.key_ops;
  if (!Array.isArray(keyOps) || keyOps.length === 0 || keyOps.some((op) => typeof op !== "string"))
    throw badParameter(
      `${what}.key_ops must be a non-empty array of strings, such as ["wrapKey"].`,
    );
  const n = requireBase64Url(jwk, "n", what);
  const e = requireBase64Url(jwk, "e", what);
  const x5c = jwk.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || typeof x5c[0] !== "string")
    throw badParameter(`${what}.x5c must hold the certificate's DER as standard base64.`);
  const der = Buffer.from(x5c[0], "base64");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    throw badParameter(`${what}.x5c[0] is not an X.509 certificate (DER, standard base64).`);
  }
  const thumbprintSha256 = createHash("sha256").update(der).digest("base64url");
  if (requireString(jwk, "x5t#S256", what) !== thumbprintSha256)
    throw badParameter(`${what}.x5t#S256 is not the SHA-256 thumbprint of x5c[0].`);
  const x5t = optionalString(jwk, "x5t", what);
  if (x5t !== undefined && x5t !== createHash("sha1").update(der).digest("base64url"))
    throw badParameter(`${what}.x5t is not the SHA-1 thumbprint of x5c[0].`);
  const publicKey = createPublicKey({
    key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") },
    format: "jwk",
  });
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS)
    throw badParameter(`${what}.n is a ${bits}-bit RSA key: use ${MIN_RSA_BITS} bits or more.`);
  const certified = certificate.publicKey.export({ format: "jwk" });
  if (certified.n !== n.toString("base64url") || certified.e !== e.toString("base64url"))
    throw badParameter(
      `${what}.n and ${what}.e are not the public key of the certificate in x5c[0].`,
    );
  const kid = optionalString(jwk, "kid", what);
  return { publicKey, thumbprintSha256, ...(kid === undefined ? {} : { kid }) };
}

/** Checks the body of a security domain download. */
export function parseSecurityDomainDownload(body: unknown): SecurityDomainDownloadRequest {
  const obj = requireObject(body, "The request body");
  const certificates = obj.certificates;
  if (
    !Array.isArray(certificates) ||
    certificates.length < MIN_CERTIFICATES ||
    certificates.length > MAX_CERTIFICATES
  ) {
    throw badParameter(
      `certificates must be an array of ${MIN_CERTIFICATES} to ${MAX_CERTIFICATES} certificates (SecurityDomainJsonWebKey), not ${Array.isArray(certificates) ? `${certificates.length}` : "missing"}.`,
    );
  }
  const required = optionalInteger(obj, "required", "body") ?? 2;
  if (required < 2 || required > MAX_CERTIFICATES || required > certificates.length) {
    throw badParameter(
      `required ${required} is out of range: use 2 to ${Math.min(MAX_CERTIFICATES, certificates.length)} (at most the number of certificates).`,
    );
  }
  const keys = certificates.map((entry: unknown, i) =>
    checkCertificate(entry, `certificates[${i}]`),
  );
  const seen = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const n = key.publicKey.export({ format: "jwk" }).n ?? "";
    if (seen.has(n))
      throw badParameter(
        `certificates[${i}] repeats the key of an earlier certificate: each share needs its own key.`,
      );
    seen.add(n);
  }
  return { keys, required };
}
