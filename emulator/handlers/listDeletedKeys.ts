/**
 * `GET /deletedkeys`: soft-deleted keys with their recovery ids and purge dates.
 *
 * @module
 */
import { renderDeletedKeyItem } from "../keyBundle.js";
import { defineOperation } from "../operation.js";
import { pageOf, parsePageRequest } from "../paging.js";
import type { PageRequest } from "../paging.js";

export const listDeletedKeys = defineOperation<PageRequest>({
  validate: (input) => parsePageRequest(input),
  handle(page, context) {
    const items = context.store
      .listKeys(context.vault.name)
      .filter((key) => key.deleted !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((key) => renderDeletedKeyItem(context.vaultUrl, context.vault, key));
    return { status: 200, body: pageOf(items, page, "/deletedkeys", context) };
  },
});
