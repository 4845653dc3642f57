/**
 * `GET /deletedkeys/{name}`: the delete poller of the SDKs polls this until it answers 200.
 *
 * @module
 */
import { deletedKeyNotFound } from "../errors.js";
import { renderDeletedKeyBundle } from "../keyBundle.js";
import { requireKeyName } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const getDeletedKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  handle(request, context) {
    const key = context.store.getKey(context.vault.name, request.name);
    if (key?.deleted === undefined) throw deletedKeyNotFound(request.name);
    return { status: 200, body: renderDeletedKeyBundle(context.vaultUrl, context.vault, key) };
  },
});
