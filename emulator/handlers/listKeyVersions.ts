/**
 * `GET /keys/{name}/versions`: every version of a live key, with versioned kids.
 *
 * @module
 */
import { renderKeyItem } from "../keyBundle.js";
import { requireKeyName, requireLiveKey } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import { pageOf, parsePageRequest } from "../paging.js";
import type { PageRequest } from "../paging.js";

export const listKeyVersions = defineOperation<PageRequest & { name: string }>({
  validate: (input) => ({ ...parsePageRequest(input), name: requireKeyName(input.params.name) }),
  handle(request, context) {
    const key = requireLiveKey(context, request.name);
    const items = key.versions.map((version) =>
      renderKeyItem(context.vaultUrl, context.vault, key, version, true),
    );
    return { status: 200, body: pageOf(items, request, `/keys/${key.name}/versions`, context) };
  },
});
