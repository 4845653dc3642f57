/**
 * `POST /keys/{name}/backup`: `{ value }`, an opaque sealed blob of every version.
 *
 * @module
 */
import { sealBackup } from "../keyBackup.js";
import { requireKeyName, requireLiveKey } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const backupKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  handle(request, context) {
    const key = requireLiveKey(context, request.name);
    return {
      status: 200,
      body: {
        value: sealBackup(key.name, key.versions, context.store.sealer).toString("base64url"),
      },
    };
  },
});
