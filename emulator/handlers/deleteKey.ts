/**
 * `DELETE /keys/{name}`: soft delete (it cannot be turned off, contracts §4.4). The key keeps
 * its versions until purged or until `scheduledPurgeDate` = deleted + retention days.
 *
 * @module
 */
import { renderDeletedKeyBundle } from "../keyBundle.js";
import { requireKeyName, requireLiveKey } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const deleteKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  handle(request, context) {
    const key = requireLiveKey(context, request.name);
    const deleted = {
      deletedDate: context.now,
      scheduledPurgeDate: context.now + context.vault.softDeleteRetentionDays * 86_400,
    };
    return {
      status: 200,
      body: renderDeletedKeyBundle(context.vaultUrl, context.vault, { ...key, deleted }),
      mutations: [{ op: "deleteKey", vault: context.vault.name, name: key.name, ...deleted }],
    };
  },
});
