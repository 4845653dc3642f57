/**
 * The keys data plane as data (STYLE.md rule 7): method, path pattern, operation and the Managed
 * HSM data action the call needs (contracts §3.1, §4.2). The route stage matches a request here;
 * an unknown path or method gets an Azure-shaped 404, never a crash.
 *
 * Pattern segments: a literal (matched case-insensitively, as the service does: `wrapkey` and
 * `wrapKey` both work), `{name}`, or `{version?}`, which also matches an empty or missing
 * segment (clients send `/keys/{name}/` for the latest version, contracts §3.1).
 *
 * @module
 */

/** Every operation the emulator serves; one handler file each in `handlers/`. */
export type OperationName =
  | "createKey"
  | "importKey"
  | "getKey"
  | "updateKey"
  | "deleteKey"
  | "listKeys"
  | "listKeyVersions"
  | "backupKey"
  | "restoreKey"
  | "rotateKey"
  | "sign"
  | "verify"
  | "encrypt"
  | "decrypt"
  | "wrapKey"
  | "unwrapKey"
  | "releaseKey"
  | "listDeletedKeys"
  | "getDeletedKey"
  | "purgeDeletedKey"
  | "recoverDeletedKey"
  | "getRandomBytes";

/** One route. */
export interface Route {
  readonly method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE";
  readonly pattern: string;
  readonly operation: OperationName;
  /** The Managed HSM local RBAC data action the caller needs (contracts §4.2). */
  readonly dataAction: string;
}

const HSM = "Microsoft.KeyVault/managedHsm";

/** The routes, most specific first within a method (literals before `{version?}`). */
export const ROUTES: readonly Route[] = [
  { method: "GET", pattern: "/keys", operation: "listKeys", dataAction: `${HSM}/keys/read/action` },
  {
    method: "POST",
    pattern: "/keys/restore",
    operation: "restoreKey",
    dataAction: `${HSM}/keys/restore/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/create",
    operation: "createKey",
    dataAction: `${HSM}/keys/create`,
  },
  {
    method: "PUT",
    pattern: "/keys/{name}",
    operation: "importKey",
    dataAction: `${HSM}/keys/import/action`,
  },
  {
    method: "GET",
    pattern: "/keys/{name}/versions",
    operation: "listKeyVersions",
    dataAction: `${HSM}/keys/read/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/backup",
    operation: "backupKey",
    dataAction: `${HSM}/keys/backup/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/rotate",
    operation: "rotateKey",
    dataAction: `${HSM}/keys/rotate/action`,
  },
  {
    method: "GET",
    pattern: "/keys/{name}/{version?}",
    operation: "getKey",
    dataAction: `${HSM}/keys/read/action`,
  },
  {
    method: "PATCH",
    pattern: "/keys/{name}/{version?}",
    operation: "updateKey",
    dataAction: `${HSM}/keys/write/action`,
  },
  {
    method: "DELETE",
    pattern: "/keys/{name}",
    operation: "deleteKey",
    dataAction: `${HSM}/keys/delete`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/sign",
    operation: "sign",
    dataAction: `${HSM}/keys/sign/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/verify",
    operation: "verify",
    dataAction: `${HSM}/keys/verify/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/encrypt",
    operation: "encrypt",
    dataAction: `${HSM}/keys/encrypt/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/decrypt",
    operation: "decrypt",
    dataAction: `${HSM}/keys/decrypt/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/wrapkey",
    operation: "wrapKey",
    dataAction: `${HSM}/keys/wrap/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/unwrapkey",
    operation: "unwrapKey",
    dataAction: `${HSM}/keys/unwrap/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/{version?}/release",
    operation: "releaseKey",
    dataAction: `${HSM}/keys/release/action`,
  },
  {
    method: "GET",
    pattern: "/deletedkeys",
    operation: "listDeletedKeys",
    dataAction: `${HSM}/keys/deletedKeys/read/action`,
  },
  {
    method: "GET",
    pattern: "/deletedkeys/{name}",
    operation: "getDeletedKey",
    dataAction: `${HSM}/keys/deletedKeys/read/action`,
  },
  {
    method: "DELETE",
    pattern: "/deletedkeys/{name}",
    operation: "purgeDeletedKey",
    dataAction: `${HSM}/keys/deletedKeys/delete`,
  },
  {
    method: "POST",
    pattern: "/deletedkeys/{name}/recover",
    operation: "recoverDeletedKey",
    dataAction: `${HSM}/keys/deletedKeys/recover/action`,
  },
  { method: "POST", pattern: "/rng", operation: "getRandomBytes", dataAction: `${HSM}/rng/action` },
];

/** Path parameters of a matched route. */
export interface RouteParams {
  readonly name?: string;
  readonly version?: string;
}

/** A match, or why there is none. */
export type RouteMatch =
  | { readonly route: Route; readonly params: RouteParams }
  | { readonly route?: undefined; readonly reason: "path" | "method" };

/**
 * A path segment, percent-decoded. Malformed escapes (`%ZZ`) stay as sent: no key name or
 * version holds `%`, so the operation's own checks refuse or miss it (a 4xx, never a URIError).
 */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(
  parts: readonly string[],
  segments: readonly string[],
): RouteParams | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: { name?: string; version?: string } = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? "";
    if (part === "{version}") params.version = decodePathSegment(segment);
    else if (part === "{name}") {
      if (segment === "") return undefined;
      params.name = decodePathSegment(segment);
    } else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
  }
  return params;
}

function matchPattern(pattern: string, segments: readonly string[]): RouteParams | undefined {
  const parts = pattern.split("/").slice(1);
  const optional = parts.indexOf("{version?}");
  if (optional === -1) return matchSegments(parts, segments);
  // `{version?}`: the segment is there (possibly empty) or left out.
  return (
    matchSegments(
      parts.map((p) => (p === "{version?}" ? "{version}" : p)),
      segments,
    ) ??
    matchSegments(
      parts.filter((p) => p !== "{version?}"),
      segments,
    )
  );
}

/** Matches a method and path (without query) against {@link ROUTES}. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split("/").slice(1);
  // `/keys/` and `/keys` are the same collection; `/keys/{name}/` keeps its empty version.
  if (segments.length === 2 && segments[1] === "") segments.pop();
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { route, params };
    pathMatched = true;
  }
  return { reason: pathMatched ? "method" : "path" };
}
