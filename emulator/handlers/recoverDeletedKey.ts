/**
 * `POST /deletedkeys/{name}/recover`: the key is live again with all its versions; the SDK's
 * recover poller then polls `GET /keys/{name}/` until 200.
 *
 * @module
 */
import { deletedKeyNotFound } from "../errors.js";
import { renderKeyBundle } from "../keyBundle.js";
import { latestVersion, requireKeyName } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const recoverDeletedKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  handle(request, context) {
    const key = context.store.getKey(context.vault.name, request.name);
    if (key?.deleted === undefined) throw deletedKeyNotFound(request.name);
    return {
      status: 200,
      body: renderKeyBundle(context.vaultUrl, context.vault, key, latestVersion(key)),
      mutations: [{ op: "recoverKey", vault: context.vault.name, name: key.name }],
    };
  },
});
