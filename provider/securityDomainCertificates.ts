/**
 * The certificates a Managed HSM's security domain is encrypted to: checking one a user supplies,
 * and turning each into the `SecurityDomainJsonWebKey` the download request carries (contracts
 * §4.3). Only public material passes through here; Node's `X509Certificate` parses, so `check`
 * loads nothing heavy.
 *
 * @module
 * @internal
 */
import { X509Certificate, createHash } from "node:crypto";

/** The fewest and most certificates a security domain download takes (contracts §4.3). */
export const MIN_SECURITY_DOMAIN_CERTIFICATES = 3;
export const MAX_SECURITY_DOMAIN_CERTIFICATES = 10;
/** The smallest and largest quorum (`required`) of a download. */
export const MIN_SECURITY_DOMAIN_QUORUM = 2;
export const MAX_SECURITY_DOMAIN_QUORUM = 10;
/** The smallest RSA key a security domain certificate may have. */
export const MIN_CERTIFICATE_KEY_BITS = 2048;

/** One certificate of the download request (`SecurityDomainJsonWebKey`). */
export interface SecurityDomainJwk {
  readonly kid: string;
  readonly kty: "RSA";
  readonly key_ops: string[];
  readonly alg: "RSA-OAEP-256";
  readonly n: string;
  readonly e: string;
  /** The certificate's DER, standard base64 with padding. */
  readonly x5c: string[];
  /** base64url SHA-1 of the DER. */
  readonly x5t: string;
  /** base64url SHA-256 of the DER. */
  readonly "x5t#S256": string;
}

/** What a valid certificate is, for messages and outputs. */
export interface CertificateFacts {
  readonly subject: string;
  readonly keyBits: number;
  /** base64url SHA-256 of the DER, as `x5t#S256`. */
  readonly thumbprintSha256: string;
}

function parse(pem: string): X509Certificate {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks !== 1) {
    throw new Error(
      blocks === 0
        ? "it is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)"
        : `it holds ${blocks} certificates; give one per entry`,
    );
  }
  if (/PRIVATE KEY/.test(pem)) {
    throw new Error(
      "it holds a private key too; give only the certificate and keep its private key offline",
    );
  }
  return new X509Certificate(pem);
}

/** RFC 4514 order (most specific first), as the Azure CLI's `kid` reads. */
function subjectOf(certificate: X509Certificate): string {
  return certificate.subject.split("\n").reverse().join(",");
}

/**
 * Checks a certificate a user supplied for the security domain: one PEM certificate, no private
 * key, an RSA key of at least 2048 bits.
 *
 * @returns its facts, or a reason (without the certificate's content) saying what to fix.
 */
export function inspectSecurityDomainCertificate(pem: string): CertificateFacts | string {
  let certificate: X509Certificate;
  try {
    certificate = parse(pem);
  } catch (error) {
    return error instanceof Error && !error.message.includes("error:")
      ? error.message
      : "it is not a readable PEM certificate";
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== "rsa") {
    return `its key is ${key.asymmetricKeyType ?? "unknown"}: the security domain needs RSA certificates`;
  }
  const keyBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (keyBits < MIN_CERTIFICATE_KEY_BITS) {
    return `its RSA key has ${keyBits} bits: use ${MIN_CERTIFICATE_KEY_BITS} or more`;
  }
  return {
    subject: subjectOf(certificate),
    keyBits,
    thumbprintSha256: createHash("sha256").update(certificate.raw).digest("base64url"),
  };
}

/**
 * The `SecurityDomainJsonWebKey` of a certificate, built as the Azure CLI builds it
 * (contracts §4.3): `kid` the subject, `x5c` the DER in standard base64, `x5t`/`x5t#S256` the
 * base64url SHA-1/SHA-256 of the DER, `n`/`e` from the public key.
 */
export function securityDomainJwkOf(pem: string): SecurityDomainJwk {
  const certificate = parse(pem);
  const jwk = certificate.publicKey.export({ format: "jwk" });
  if (jwk.n === undefined || jwk.e === undefined) {
    throw new Error("the certificate's key is not RSA: the security domain needs RSA certificates");
  }
  const der = certificate.raw;
  return {
    kid: subjectOf(certificate),
    kty: "RSA",
    key_ops: ["verify", "encrypt", "wrapKey"],
    alg: "RSA-OAEP-256",
    n: jwk.n,
    e: jwk.e,
    x5c: [der.toString("base64")],
    x5t: createHash("sha1").update(der).digest("base64url"),
    "x5t#S256": createHash("sha256").update(der).digest("base64url"),
  };
}
