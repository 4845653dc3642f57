/**
 * `GET /keys`: live keys, one KeyItem each with a version-less kid and the latest attributes.
 *
 * @module
 */
import { renderKeyItem } from "../keyBundle.js";
import { latestVersion } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import { pageOf, parsePageRequest } from "../paging.js";
import type { PageRequest } from "../paging.js";

export const listKeys = defineOperation<PageRequest>({
  validate: (input) => parsePageRequest(input),
  handle(page, context) {
    const keys = context.store
      .listKeys(context.vault.name)
      .filter((key) => key.deleted === undefined && key.versions.length > 0)
      .sort((a, b) => a.name.localeCompare(b.name));
    const items = keys.map((key) =>
      renderKeyItem(context.vaultUrl, context.vault, key, latestVersion(key), false),
    );
    return { status: 200, body: pageOf(items, page, "/keys", context) };
  },
});
