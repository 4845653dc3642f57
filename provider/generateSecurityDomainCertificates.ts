/**
 * Generated security domain certificates: self-signed RSA certificates made with `@peculiar/x509`
 * over Node's WebCrypto, for users who do not bring their own. Loaded lazily, only by the
 * activation's `create`, so `check` and `diff` never load it.
 *
 * @module
 * @internal
 */
import { randomBytes, webcrypto } from "node:crypto";
// @peculiar/x509 uses tsyringe, which needs a Reflect metadata polyfill loaded first.
import "@abraham/reflection";
import * as x509 from "@peculiar/x509";

/** One generated certificate and its private key, both PEM. */
export interface GeneratedCertificate {
  readonly certificatePem: string;
  /** PKCS#8 PEM. Secret: it goes only to secret outputs and to files of mode 0600. */
  readonly privateKeyPem: string;
}

/** Options of {@link generateSecurityDomainCertificates}. */
export interface GenerateSecurityDomainCertificatesOptions {
  /** RSA modulus size in bits. Default 2048. */
  readonly keySize?: number;
  /** The subject's common name; `-<i>` is appended. Default `azure-byok security domain`. */
  readonly commonName?: string;
}

// @peculiar/x509 signs with its default provider, Node's global WebCrypto (Node 20+); the keys
// come from the same implementation
const crypto = webcrypto;

const DAY_MS = 86_400_000;
/**
 * Ten years: the certificates only carry the public keys the domain is encrypted to, and
 * recovering the HSM years later must not depend on renewing them.
 */
const VALIDITY_DAYS = 3650;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Makes `count` self-signed RSA certificates (SHA-256 signatures, key usage for key
 * encipherment) with fresh key pairs.
 *
 * @param count - how many, 3 to 10.
 * @param options - key size and subject.
 * @returns the certificates and their private keys, in order.
 */
export async function generateSecurityDomainCertificates(
  count: number,
  options: GenerateSecurityDomainCertificatesOptions = {},
): Promise<GeneratedCertificate[]> {
  const { keySize = 2048, commonName = "azure-byok security domain" } = options;
  const algorithm = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: keySize,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const keys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
      const now = Date.now();
      const certificate = await x509.X509CertificateGenerator.createSelfSigned({
        // 16 bytes of hex; the leading 01 byte keeps the DER integer positive
        serialNumber: `01${randomBytes(15).toString("hex")}`,
        name: `CN=${commonName}-${i}`,
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + VALIDITY_DAYS * DAY_MS),
        signingAlgorithm: algorithm,
        keys,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.digitalSignature,
            true,
          ),
        ],
      });
      const privateKey = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
      return {
        certificatePem: certificate.toString("pem") + "\n",
        privateKeyPem: pem("PRIVATE KEY", privateKey),
      };
    }),
  );
}
