/**
 * Secure key release, the answer half: the key wrapped for the attestation's runtime key with
 * CKM_RSA_AES_KEY_WRAP (or the SHA-256/384 variants the `enc` parameter names, contracts §1.9),
 * inside a `key_hsm` blob of the service's own form (`schema_version` "1.0", unpadded base64url,
 * §1.6), inside a JWS the emulator signs. The payload has the shape release clients read
 * (`request` with api-version, enc, kid and nonce; `response.key` a KeyBundle whose `key` carries
 * `key_hsm`; microsoft/confidential-sidecar-containers `pkg/skr/akv.go`).
 *
 * The JWS is signed ES256 with the emulator's TLS server key, and its header carries that
 * certificate and the emulator CA in `x5c`, as the service signs with a certificate chain for
 * its host name: a client that checks the chain against the CA it already trusts can check it.
 *
 * @module
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  sign,
} from "node:crypto";
import { constants } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { rsaAesKeyWrap, wrapKeyWithPadding } from "../byok/index.js";
import type { KeyMaterial } from "./store/keyStore.js";

/** The wrapping algorithms of KeyReleaseParameters.enc (contracts §1.9). */
export const RELEASE_ENCRYPTIONS = {
  CKM_RSA_AES_KEY_WRAP: "sha1",
  RSA_AES_KEY_WRAP_256: "sha256",
  RSA_AES_KEY_WRAP_384: "sha384",
} as const;

export type ReleaseEncryption = keyof typeof RELEASE_ENCRYPTIONS;

/** Signs release results. */
export interface ReleaseSigner {
  /** A compact JWS over `payload`. */
  sign(payload: unknown): string;
}

function derOfPem(pem: string): Buffer {
  return Buffer.from(
    pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, ""),
    "base64",
  );
}

/**
 * A signer over the TLS server key (EC P-256, so ES256) with `x5c` = [server, CA] (standard
 * base64 DER, RFC 7515 §4.1.6) and `x5t#S256` of the server certificate.
 */
export function createReleaseSigner(
  keyPem: string,
  certificatePems: readonly string[],
): ReleaseSigner {
  const key = createPrivateKey(keyPem);
  const chain = certificatePems.map(derOfPem);
  const leaf = chain[0] ?? Buffer.alloc(0);
  const header = {
    alg: "ES256",
    kid: createHash("sha256").update(leaf).digest("base64url"),
    x5c: chain.map((der) => der.toString("base64")),
    "x5t#S256": createHash("sha256").update(leaf).digest("base64url"),
    typ: "JWT",
  };
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString("base64url");
  return {
    sign(payload) {
      const input = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
      const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
      return `${input}.${signature.toString("base64url")}`;
    },
  };
}

/** The public key of a runtime JWK, or undefined when `n`/`e` do not make an RSA key. */
export function runtimePublicKey(jwk: { n: string; e: string }): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= 2048 ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `key_hsm` blob of a released key: its PKCS#8 (RSA, EC) or raw bytes (oct) wrapped for
 * `wrappingKey`, in the service's `.byok` form; returned base64url (no padding).
 */
export function wrapForRelease(
  material: KeyMaterial,
  wrappingKey: KeyObject,
  wrappingKid: string,
  enc: ReleaseEncryption,
): string {
  const plaintext = material.kind === "pkcs8" ? material.der : material.bytes;
  let ciphertext: Buffer;
  if (enc === "CKM_RSA_AES_KEY_WRAP") {
    ciphertext = rsaAesKeyWrap(wrappingKey, plaintext);
  } else {
    const aesKey = randomBytes(32);
    try {
      ciphertext = Buffer.concat([
        publicEncrypt(
          {
            key: wrappingKey,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: RELEASE_ENCRYPTIONS[enc],
          },
          aesKey,
        ),
        wrapKeyWithPadding(aesKey, plaintext),
      ]);
    } finally {
      aesKey.fill(0);
    }
  }
  const blob = {
    schema_version: "1.0",
    header: { kid: wrappingKid, alg: "dir", enc },
    ciphertext: ciphertext.toString("base64url"),
  };
  return Buffer.from(JSON.stringify(blob)).toString("base64url");
}
