/**
 * Results of `@azure/keyvault-keys` mapped to our plain types in one place (STYLE.md rule 9):
 * JWK bytes become an SPKI PEM, dates become ISO strings, absent values become absent keys.
 *
 * @module
 * @internal
 */
import { createPublicKey } from "node:crypto";
import type { JsonWebKey, KeyVaultKey } from "@azure/keyvault-keys";
import { parseKeyId } from "../../byok/index.js";
import type { KeyAttributesOutput, KeyFacts } from "../types.js";

/** Key Vault's curve names to the JWK names Node accepts. */
const JWK_CURVES: Record<string, string> = {
  "P-256": "P-256",
  "P-384": "P-384",
  "P-521": "P-521",
  "P-256K": "secp256k1",
  SECP256K1: "secp256k1",
};

function b64url(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("base64url");
}

/** The SPKI PEM of an RSA or EC JWK, as `az keyvault key download` writes it (contracts §2.2). */
export function publicKeyPemOf(jwk: JsonWebKey | undefined): string | undefined {
  if (jwk === undefined) return undefined;
  const n = b64url(jwk.n);
  const e = b64url(jwk.e);
  const x = b64url(jwk.x);
  const y = b64url(jwk.y);
  const crv = jwk.crv === undefined ? undefined : JWK_CURVES[jwk.crv];
  let key;
  if (n !== undefined && e !== undefined) {
    key = createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
  } else if (x !== undefined && y !== undefined && crv !== undefined) {
    key = createPublicKey({ key: { kty: "EC", crv, x, y }, format: "jwk" });
  } else {
    return undefined;
  }
  return key.export({ type: "spki", format: "pem" }).toString();
}

function rsaBits(n: Uint8Array | undefined): number | undefined {
  if (n === undefined) return undefined;
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  return (n.length - start) * 8;
}

function iso(date: Date | undefined): Record<string, string> {
  return date === undefined ? {} : { value: date.toISOString() };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Maps one key version as the SDK returns it. */
export function toKeyFacts(key: KeyVaultKey): KeyFacts {
  const { properties } = key;
  const id = parseKeyId(key.id ?? properties.id ?? "", "the service's key id");
  if (id.version === undefined) {
    throw new Error(`the service returned key id ${key.id ?? ""} without a version`);
  }
  const attributes: KeyAttributesOutput = {
    enabled: properties.enabled ?? true,
    ...optional("notBefore", iso(properties.notBefore).value),
    ...optional("expiresOn", iso(properties.expiresOn).value),
    ...optional("createdOn", iso(properties.createdOn).value),
    ...optional("updatedOn", iso(properties.updatedOn).value),
    ...optional("recoveryLevel", properties.recoveryLevel),
    ...optional("recoverableDays", properties.recoverableDays),
    ...optional("exportable", properties.exportable),
  };
  const release = properties.releasePolicy;
  const kty = key.keyType ?? key.key?.kty ?? "";
  return {
    vaultUrl: id.vaultUrl,
    name: id.name,
    kid: `${id.vaultUrl}/keys/${id.name}/${id.version}`,
    versionlessId: `${id.vaultUrl}/keys/${id.name}`,
    version: id.version,
    kty,
    ...optional("keySize", kty.startsWith("RSA") ? rsaBits(key.key?.n) : undefined),
    ...optional("curve", key.key?.crv),
    keyOps: [...(key.keyOperations ?? key.key?.keyOps ?? [])],
    ...optional("publicKeyPem", publicKeyPemOf(key.key)),
    attributes,
    tags: { ...(properties.tags ?? {}) },
    ...optional(
      "releasePolicy",
      release?.encodedPolicy === undefined
        ? undefined
        : {
            policy: Buffer.from(release.encodedPolicy).toString("utf8"),
            immutable: release.immutable ?? false,
          },
    ),
  };
}
