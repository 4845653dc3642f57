/**
 * `POST /keys/restore`: restores a backup blob under its original name, which must be free
 * (neither live: 409 KeyAlreadyExists, nor soft-deleted: 409 ObjectIsDeletedButRecoverable).
 *
 * @module
 */
import { badParameter, keyAlreadyExists } from "../errors.js";
import { openBackup } from "../keyBackup.js";
import { renderKeyBundle } from "../keyBundle.js";
import { latestVersion, requireNameNotDeleted } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import { requireBytes, requireObject } from "../validation.js";

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
