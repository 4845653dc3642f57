/**
 * `POST /keys/restore`: restores a backup blob under its original name, which must be free
 * (neither live: 409 KeyAlreadyExists, nor soft-deleted: 409 ObjectIsDeletedButRecoverable).
 * Every version must be of a type this vault holds, as on create (400 KeyTypeNotSupported): a
 * backup carries no vault, so an oct-HSM key backed up in a Managed HSM would otherwise land in
 * a Premium vault, and a software key in a Managed HSM.
 *
 * @module
 */
import { badParameter, isServiceError, keyAlreadyExists } from "../errors.js";
import { openBackup } from "../keyBackup.js";
import { renderKeyBundle } from "../keyBundle.js";
import { checkKeyType, latestVersion, requireNameNotDeleted } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import type { VaultRuntime } from "../operation.js";
import type { StoredKeyVersion } from "../store/keyStore.js";
import { requireBytes, requireObject } from "../validation.js";

/** @throws ServiceError 400 KeyTypeNotSupported naming the version and where it can go. */
function requireRestorableType(name: string, version: StoredKeyVersion, vault: VaultRuntime) {
  try {
    checkKeyType(version.kty, vault);
  } catch (error) {
    if (!isServiceError(error)) throw error;
    const [here, there] =
      vault.kind === "vault"
        ? ["a Key Vault (Premium) vault", "a Managed HSM"]
        : ["a Managed HSM", "a Key Vault"];
    throw badParameter(
      `value is a backup of key ${name} whose version ${version.version} is ${version.kty}, a key type ${here} does not hold: restore it into ${there}.`,
      "KeyTypeNotSupported",
    );
  }
}

export const restoreKey = defineOperation<{ blob: Buffer }>({
  validate: ({ body }) => ({
    blob: requireBytes(requireObject(body, "The request body"), "value", "body"),
  }),
  handle(request, context) {
    const backup = openBackup(request.blob, context.store.sealer);
    if (backup === undefined || backup.versions.length === 0) {
      throw badParameter(
        "value is not a key backup made by this emulator, or it was changed: back the key up again.",
        "InvalidBackup",
      );
    }
    for (const version of backup.versions)
      requireRestorableType(backup.name, version, context.vault);
    const existing = requireNameNotDeleted(context, backup.name);
    if (existing !== undefined) throw keyAlreadyExists(existing.name);
    const key = { name: backup.name, versions: backup.versions };
    return {
      status: 200,
      body: renderKeyBundle(context.vaultUrl, context.vault, key, latestVersion(backup)),
      mutations: backup.versions.map((version) => ({
        op: "putVersion" as const,
        vault: context.vault.name,
        name: backup.name,
        key: version,
      })),
    };
  },
});
