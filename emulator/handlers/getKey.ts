/**
 * `GET /keys/{name}[/{version}]`: a version, or the latest with `/keys/{name}` and `/keys/{name}/`.
 *
 * @module
 */
import { renderKeyBundle } from "../keyBundle.js";
import { requireKeyName, requireVersion } from "../keyRules.js";
import { defineOperation } from "../operation.js";

export const getKey = defineOperation<{ name: string; version?: string }>({
  validate: ({ params }) => ({
    name: requireKeyName(params.name),
    ...(params.version === undefined ? {} : { version: params.version }),
  }),
  handle(request, context) {
    const { key, version } = requireVersion(context, request.name, request.version);
    return { status: 200, body: renderKeyBundle(context.vaultUrl, context.vault, key, version) };
  },
});
