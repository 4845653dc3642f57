/**
 * List paging as the service does it: `maxresults` 1..25 (default 25) and an absolute
 * `nextLink` carrying the api-version and a `$skiptoken`, which the SDKs follow as given.
 *
 * @module
 */
import { badParameter } from "./errors.js";
import type { HandlerContext, RequestInput } from "./operation.js";

/** Where a list starts and how long a page is. */
export interface PageRequest {
  readonly maxResults: number;
  readonly skip: number;
}

/** Reads `maxresults` and `$skiptoken`. */
export function parsePageRequest(input: RequestInput): PageRequest {
  const max = input.query.get("maxresults");
  const maxResults = max === null ? 25 : Number(max);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 25) {
    throw badParameter(`maxresults ${max ?? ""} is out of range: use 1 to 25.`);
  }
  const token = input.query.get("$skiptoken");
  const skip = token === null ? 0 : Number(token);
  if (!Number.isInteger(skip) || skip < 0)
    throw badParameter("$skiptoken is not one this service issued: follow nextLink as given.");
  return { maxResults, skip };
}

/** One page of `items`, with a `nextLink` when more remain. */
export function pageOf<T>(
  items: readonly T[],
  page: PageRequest,
  path: string,
  context: HandlerContext,
): { value: T[]; nextLink: string | null } {
  const value = items.slice(page.skip, page.skip + page.maxResults);
  const next = page.skip + page.maxResults;
  const nextLink =
    next < items.length
      ? `${context.vaultUrl}${path}?api-version=${encodeURIComponent(context.apiVersion)}&maxresults=${page.maxResults}&$skiptoken=${next}`
      : null;
  return { value, nextLink };
}
