/**
 * The service's response shapes for keys (contracts §3.2): KeyBundle, DeletedKeyBundle, KeyItem
 * and DeletedKeyItem. Only public members ever leave: the JWK gets `n`/`e` or `crv`/`x`/`y`,
 * never `d`, the primes or `k`.
 *
 * @module
 */
import { formatKeyId } from "../byok/index.js";
import { publicJwkOf } from "./crypto/keyMaterial.js";
import { latestVersion, recoveryLevel } from "./keyRules.js";
import type { VaultRuntime } from "./operation.js";
import type { StoredKey, StoredKeyVersion } from "./store/keyStore.js";

function attributesOf(version: StoredKeyVersion, vault: VaultRuntime): Record<string, unknown> {
  return {
    enabled: version.enabled,
    ...(version.nbf === undefined ? {} : { nbf: version.nbf }),
    ...(version.exp === undefined ? {} : { exp: version.exp }),
    created: version.created,
    updated: version.updated,
    recoverableDays: vault.softDeleteRetentionDays,
    recoveryLevel: recoveryLevel(vault),
    exportable: version.exportable,
    // about-keys-details: 2 = FIPS 140-3 level 3 for HSM keys, 0 for software keys.
    hsmPlatform: version.kty.endsWith("-HSM") ? "2" : "0",
  };
}

function tagsOf(version: StoredKeyVersion): Record<string, unknown> {
  return Object.keys(version.tags).length === 0 ? {} : { tags: version.tags };
}

/** A KeyBundle. */
export function renderKeyBundle(
  vaultUrl: string,
  vault: VaultRuntime,
  key: StoredKey,
  version: StoredKeyVersion,
): Record<string, unknown> {
  return {
    key: {
      kid: formatKeyId(vaultUrl, key.name, version.version),
      kty: version.kty,
      key_ops: version.keyOps,
      ...publicJwkOf(version.material),
    },
    attributes: attributesOf(version, vault),
    ...tagsOf(version),
    ...(version.releasePolicy === undefined
      ? {}
      : {
          release_policy: {
            contentType: version.releasePolicy.contentType,
            immutable: version.releasePolicy.immutable,
            data: version.releasePolicy.data.toString("base64url"),
          },
        }),
  };
}

function deletionOf(vaultUrl: string, key: StoredKey): Record<string, unknown> {
  return {
    recoveryId: `${vaultUrl.replace(/\/+$/, "")}/deletedkeys/${key.name}`,
    deletedDate: key.deleted?.deletedDate,
    scheduledPurgeDate: key.deleted?.scheduledPurgeDate,
  };
}

/** A DeletedKeyBundle of the key's latest version. */
export function renderDeletedKeyBundle(
  vaultUrl: string,
  vault: VaultRuntime,
  key: StoredKey,
): Record<string, unknown> {
  const latest = latestVersion(key);
  return { ...renderKeyBundle(vaultUrl, vault, key, latest), ...deletionOf(vaultUrl, key) };
}

/** A KeyItem: version-less kid for key lists, versioned for version lists (contracts §3.2). */
export function renderKeyItem(
  vaultUrl: string,
  vault: VaultRuntime,
  key: StoredKey,
  version: StoredKeyVersion,
  versioned: boolean,
): Record<string, unknown> {
  return {
    kid: formatKeyId(vaultUrl, key.name, versioned ? version.version : undefined),
    attributes: attributesOf(version, vault),
    ...tagsOf(version),
  };
}

/** A DeletedKeyItem. */
export function renderDeletedKeyItem(
  vaultUrl: string,
  vault: VaultRuntime,
  key: StoredKey,
): Record<string, unknown> {
  const latest = latestVersion(key);
  return { ...renderKeyItem(vaultUrl, vault, key, latest, false), ...deletionOf(vaultUrl, key) };
}
