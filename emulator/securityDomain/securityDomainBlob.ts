/**
 * The security domain an activation hands out: a fresh random domain secret for the HSM, split
 * with Shamir (shamir.ts) into one share per certificate, `required` of them needed, each share
 * encrypted RSA-OAEP-256 to its certificate's public key. What is in the clear (the thumbprints,
 * the share x coordinates, SHA-256 of the secret to check a recovery) gives nobody holding fewer
 * than `required` private keys anything to recover the secret from.
 *
 * This is the emulator's own format, not the service's internal one; the emulator keeps neither
 * the secret nor the shares.
 *
 * @module
 */
import { constants, createHash, publicEncrypt, randomBytes, randomUUID } from "node:crypto";
import { splitSecret } from "./shamir.js";
import type { SecurityDomainDownloadRequest } from "./wrappingCertificates.js";

/** The `format` member of the emulator's security domain. */
export const SECURITY_DOMAIN_FORMAT = "azure-byok-emulator-security-domain-1";

/** The parsed security domain, as a test or a restore tool reads it. */
export interface SecurityDomainDocument {
  readonly format: string;
  readonly hsm: string;
  readonly domainId: string;
  readonly required: number;
  /** base64url SHA-256 of the domain secret. */
  readonly secretSha256: string;
  readonly shares: ReadonlyArray<{
    readonly x: number;
    readonly kid?: string;
    readonly "x5t#S256": string;
    readonly alg: "RSA-OAEP-256";
    /** base64url RSA-OAEP-256 ciphertext of the share's y bytes. */
    readonly value: string;
  }>;
}

/** Builds the security domain JSON text for an HSM. */
export function buildSecurityDomain(hsm: string, request: SecurityDomainDownloadRequest): string {
  const secret = randomBytes(32);
  const shares = splitSecret(secret, request.keys.length, request.required);
  const document: SecurityDomainDocument = {
    format: SECURITY_DOMAIN_FORMAT,
    hsm,
    domainId: randomUUID(),
    required: request.required,
    secretSha256: createHash("sha256").update(secret).digest("base64url"),
    shares: request.keys.map((key, i) => ({
      x: shares[i]?.x ?? 0,
      ...(key.kid === undefined ? {} : { kid: key.kid }),
      "x5t#S256": key.thumbprintSha256,
      alg: "RSA-OAEP-256",
      value: publicEncrypt(
        { key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        shares[i]?.y ?? Buffer.alloc(0),
      ).toString("base64url"),
    })),
  };
  secret.fill(0);
  return JSON.stringify(document);
}
