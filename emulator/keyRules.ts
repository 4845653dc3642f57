/**
 * The service's rules about keys, in one place for every handler: which key types each kind of
 * vault accepts (contracts §4.5), which operations each type allows and their defaults, soft
 * delete, and whether a version may be used now.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  badParameter,
  deletedButRecoverable,
  keyNotFound,
  keyNotUsable,
  operationNotAllowed,
} from "./errors.js";
import type { HandlerContext, VaultRuntime } from "./operation.js";
import type { StoredKey, StoredKeyVersion } from "./store/keyStore.js";

export type KeyFamily = "RSA" | "EC" | "oct";

const KEY_TYPES: Record<VaultRuntime["kind"], readonly string[]> = {
  managedhsm: ["RSA-HSM", "EC-HSM", "oct-HSM"],
  vault: ["RSA", "RSA-HSM", "EC", "EC-HSM"],
};

/** The operations each family supports (contracts §3.2 JsonWebKeyOperation). */
const SUPPORTED_OPS: Record<KeyFamily, readonly string[]> = {
  RSA: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"],
  EC: ["sign", "verify", "export"],
  oct: ["encrypt", "decrypt", "wrapKey", "unwrapKey", "export"],
};

/** Defaults when `key_ops` is left out (spec examples; CLI recording of an EC-HSM create). */
const DEFAULT_OPS: Record<KeyFamily, readonly string[]> = {
  RSA: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
  EC: ["sign", "verify"],
  oct: ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
};

/** The family of a `kty`, after checking the vault accepts it. */
export function checkKeyType(kty: string, vault: VaultRuntime, what = "kty"): KeyFamily {
  const allowed = KEY_TYPES[vault.kind];
  if (!allowed.includes(kty)) {
    if (vault.kind === "vault" && (kty === "oct-HSM" || kty === "oct")) {
      throw badParameter(
        `${what} ${kty} is not supported by a Key Vault (Premium) vault: oct-HSM keys exist only in a Managed HSM. Use a Managed HSM, or an RSA-HSM or EC-HSM key.`,
        "KeyTypeNotSupported",
      );
    }
    if (vault.kind === "managedhsm" && (kty === "RSA" || kty === "EC" || kty === "oct")) {
      throw badParameter(
        `${what} ${kty} is a software key type: a Managed HSM holds only ${allowed.join(", ")}. Use ${kty}-HSM.`,
        "KeyTypeNotSupported",
      );
    }
    throw badParameter(
      `${what} "${kty}" is not a key type: use one of ${allowed.join(", ")}.`,
      "KeyTypeNotSupported",
    );
  }
  return kty.replace(/-HSM$/, "") as KeyFamily;
}

/** Checks requested `key_ops` against the family, or gives the default. */
export function resolveKeyOps(
  family: KeyFamily,
  kty: string,
  keyOps: readonly string[] | undefined,
  what = "key_ops",
): readonly string[] {
  if (keyOps === undefined) return DEFAULT_OPS[family];
  const unsupported = keyOps.filter((op) => !SUPPORTED_OPS[family].includes(op));
  if (unsupported.length > 0) {
    throw badParameter(
      `Unsupported key operation(s): ${unsupported.map((op) => `"${op}"`).join(", ")}. Supported values are ${SUPPORTED_OPS[family].map((op) => `"${op}"`).join(", ")}.`,
    );
  }
  if (keyOps.includes("import")) {
    // contracts §1.2: import is mutually exclusive with every other operation, RSA-HSM only.
    if (kty !== "RSA-HSM")
      throw badParameter(`${what} "import" is allowed only on an RSA-HSM key (a KEK).`);
    if (keyOps.length !== 1) {
      throw badParameter(
        `${what} "import" cannot be combined with other operations: a KEK has key_ops exactly ["import"].`,
      );
    }
  }
  return [...new Set(keyOps)];
}

/** The newest version of a key. @throws 404 KeyNotFound for a key without versions. */
export function latestVersion(key: StoredKey): StoredKeyVersion {
  const latest = key.versions.at(-1);
  if (latest === undefined) throw keyNotFound(key.name);
  return latest;
}

/** A fresh 32-hex version id, as the service makes (contracts §3.1). */
export function newVersionId(): string {
  return randomBytes(16).toString("hex");
}

/** The key, unless it does not exist or is soft-deleted. @throws 404 KeyNotFound. */
export function requireLiveKey(context: HandlerContext, name: string): StoredKey {
  const key = context.store.getKey(context.vault.name, name);
  if (key === undefined || key.deleted !== undefined || key.versions.length === 0)
    throw keyNotFound(name);
  return key;
}

/** A version of a live key; empty or missing version = the latest. @throws 404 KeyNotFound. */
export function requireVersion(
  context: HandlerContext,
  name: string,
  version: string | undefined,
): { key: StoredKey; version: StoredKeyVersion } {
  const key = requireLiveKey(context, name);
  const found =
    version === undefined || version === ""
      ? key.versions.at(-1)
      : key.versions.find((v) => v.version === version);
  if (found === undefined) throw keyNotFound(name, version);
  return { key, version: found };
}

/** Refuses a name held by a soft-deleted key. @throws 409 ObjectIsDeletedButRecoverable. */
export function requireNameNotDeleted(
  context: HandlerContext,
  name: string,
): StoredKey | undefined {
  const key = context.store.getKey(context.vault.name, name);
  if (key?.deleted !== undefined) throw deletedButRecoverable(key.name);
  return key;
}

/** Refuses an operation the version's key_ops, enabled flag or dates do not allow. */
export function requireUsable(
  name: string,
  version: StoredKeyVersion,
  operation: string,
  now: number,
): void {
  if (!version.keyOps.includes(operation))
    throw operationNotAllowed(operation, name, version.keyOps);
  if (!version.enabled) throw keyNotUsable(name, "the key is disabled; enable it with an update");
  if (version.nbf !== undefined && version.nbf > now)
    throw keyNotUsable(name, "the key is not yet valid (nbf)");
  if (version.exp !== undefined && version.exp <= now)
    throw keyNotUsable(name, "the key has expired (exp)");
}

/** `recoveryLevel` of a vault's keys (contracts §3.2 DeletionRecoveryLevel). */
export function recoveryLevel(vault: VaultRuntime): string {
  const customized = vault.softDeleteRetentionDays < 90 ? "CustomizedRecoverable" : "Recoverable";
  return vault.purgeProtection ? customized : `${customized}+Purgeable`;
}

/** The key name from the path, checked (1-127 of `[0-9a-zA-Z-]`, contracts §3.1). */
export function requireKeyName(name: string | undefined): string {
  if (name === undefined || !/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw badParameter(
      `The key name "${name ?? ""}" is invalid: names are 1-127 characters of 0-9, a-z, A-Z and -.`,
      "InvalidKeyName",
    );
  }
  return name;
}

/**
 * Exportability and release policy go together on a new key (create, import): an exportable key
 * needs a release policy on its first version (contracts §3.2 KeyAttributes.exportable), and a
 * key that is not exportable may not have one, which the service refuses as
 * "AKV.SKR.1005: Non-exportable keys must not have release policy" (400 BadParameter;
 * Azure/azure-cli#28288). Without that refusal a release policy could sit on a key that must
 * never leave the HSM.
 *
 * @throws ServiceError 400 BadParameter.
 */
export function requireReleasePolicyMatchesExportable(
  exportable: boolean | undefined,
  hasPolicy: boolean,
): void {
  if (exportable === true && !hasPolicy) {
    throw badParameter(
      "attributes.exportable is true but release_policy is missing: an exportable key needs a release policy.",
    );
  }
  if (exportable !== true && hasPolicy) {
    throw badParameter(
      `AKV.SKR.1005: Non-exportable keys must not have release policy. release_policy is given but attributes.exportable is ${exportable === undefined ? "not set (false)" : "false"}: set attributes.exportable true to make the key releasable, or leave release_policy out.`,
      "KeyNotExportable",
    );
  }
}

/**
 * A PATCH cannot make a key releasable: exportability is fixed when the version is made (the
 * service: "AKV.SKR.1014: Cannot modify the exportable state of a key", either way), and a version
 * that is not exportable cannot be given a release policy (AKV.SKR.1005). Both 400 BadParameter.
 *
 * @throws ServiceError 400 BadParameter.
 */
export function requireExportabilityUnchanged(
  name: string,
  version: StoredKeyVersion,
  exportable: boolean | undefined,
  addsPolicy: boolean,
): void {
  if (exportable !== undefined && exportable !== version.exportable) {
    throw badParameter(
      `AKV.SKR.1014: Cannot modify the exportable state of a key. Key ${name} has attributes.exportable ${String(version.exportable)}, fixed when the key was created or imported: leave attributes.exportable out of the update, or create or import a new key with the setting you need.`,
      "ExportableCannotChange",
    );
  }
  if (addsPolicy && !version.exportable) {
    throw badParameter(
      `AKV.SKR.1005: Non-exportable keys must not have release policy. Key ${name} is not exportable, so release_policy cannot be set on it: a key is releasable only when it is created or imported with attributes.exportable true and a release_policy.`,
      "KeyNotExportable",
    );
  }
}
