/**
 * `DELETE /deletedkeys/{name}`: 204 and the key is gone for good, unless the vault has purge
 * protection (403, contracts §3.3).
 *
 * @module
 */
import { deletedKeyNotFound, purgeProtected } from "../errors.js";
import { requireKeyName } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const purgeDeletedKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  handle(request, context) {
    const key = context.store.getKey(context.vault.name, request.name);
    if (key?.deleted === undefined) throw deletedKeyNotFound(request.name);
    if (context.vault.purgeProtection) throw purgeProtected(context.vault.name);
    return {
      status: 204,
      mutations: [{ op: "purgeKey", vault: context.vault.name, name: key.name }],
    };
  },
});
