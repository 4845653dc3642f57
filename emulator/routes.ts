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
  | "getRandomBytes"
  | "listRoleDefinitions"
  | "getRoleDefinition"
  | "putRoleDefinition"
  | "deleteRoleDefinition"
  | "listRoleAssignments"
  | "getRoleAssignment"
  | "putRoleAssignment"
  | "deleteRoleAssignment"
  | "downloadSecurityDomain"
  | "getSecurityDomainDownloadStatus";

/** One route. */
export interface Route {
  readonly method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE";
  readonly pattern: string;
  readonly operation: OperationName;
  /** The Managed HSM local RBAC data action the caller needs (contracts §4.2). */
  readonly dataAction: string;
  /** Served before activation too: the security domain download is what activates (§4.3). */
  readonly beforeActivation?: boolean;
  /**
   * The operation changes the vault: it runs through the store's write queue, one at a time per
   * vault, deciding on every write accepted before it (`KeyStore.write`). Reads and crypto
   * operations that change nothing do not wait.
   */
  readonly writes?: true;
}

const HSM = "Microsoft.KeyVault/managedHsm";

/** The routes, most specific first within a method (literals before `{version?}`). */
export const ROUTES: readonly Route[] = [
  { method: "GET", pattern: "/keys", operation: "listKeys", dataAction: `${HSM}/keys/read/action` },
  {
    method: "POST",
    pattern: "/keys/restore",
    operation: "restoreKey",
    writes: true,
    dataAction: `${HSM}/keys/restore/action`,
  },
  {
    method: "POST",
    pattern: "/keys/{name}/create",
    operation: "createKey",
    writes: true,
    dataAction: `${HSM}/keys/create`,
  },
  {
    method: "PUT",
    pattern: "/keys/{name}",
    operation: "importKey",
    writes: true,
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
    writes: true,
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
    writes: true,
    dataAction: `${HSM}/keys/write/action`,
  },
  {
    method: "DELETE",
    pattern: "/keys/{name}",
    operation: "deleteKey",
    writes: true,
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
    writes: true,
    dataAction: `${HSM}/keys/deletedKeys/delete`,
  },
  {
    method: "POST",
    pattern: "/deletedkeys/{name}/recover",
    operation: "recoverDeletedKey",
    writes: true,
    dataAction: `${HSM}/keys/deletedKeys/recover/action`,
  },
  { method: "POST", pattern: "/rng", operation: "getRandomBytes", dataAction: `${HSM}/rng/action` },
  {
    method: "POST",
    pattern: "/securitydomain/download",
    operation: "downloadSecurityDomain",
    writes: true,
    dataAction: `${HSM}/securitydomain/download/action`,
    beforeActivation: true,
  },
  {
    method: "GET",
    pattern: "/securitydomain/download/pending",
    operation: "getSecurityDomainDownloadStatus",
    dataAction: `${HSM}/securitydomain/download/read`,
    beforeActivation: true,
  },
];

/** The RBAC provider's path, after the scope (`{scope}/providers/Microsoft.Authorization/…`). */
const RBAC_PROVIDER = "/providers/microsoft.authorization/";

/** Role APIs, matched on the path after the scope (contracts §4.2). */
export const RBAC_ROUTES: readonly Route[] = [
  ...(["roleDefinitions", "roleAssignments"] as const).flatMap((kind): Route[] => {
    const base = `/providers/Microsoft.Authorization/${kind}`;
    const suffix = kind === "roleDefinitions" ? "RoleDefinition" : "RoleAssignment";
    return [
      {
        method: "GET",
        pattern: base,
        operation: `list${suffix}s`,
        dataAction: `${HSM}/${kind}/read/action`,
      },
      {
        method: "GET",
        pattern: `${base}/{name}`,
        operation: `get${suffix}`,
        dataAction: `${HSM}/${kind}/read/action`,
      },
      {
        method: "PUT",
        pattern: `${base}/{name}`,
        operation: `put${suffix}`,
        dataAction: `${HSM}/${kind}/write/action`,
        writes: true,
      },
      {
        method: "DELETE",
        pattern: `${base}/{name}`,
        operation: `delete${suffix}`,
        dataAction: `${HSM}/${kind}/delete/action`,
        writes: true,
      },
    ];
  }),
];

/** Path parameters of a matched route. */
export interface RouteParams {
  /** A key's name; for role APIs, the role definition's or assignment's name. */
  readonly name?: string;
  readonly version?: string;
  /**
   * Role APIs only: the scope before `/providers/`, as `/`, `/keys` or `/keys/{name}` when it
   * is one of those, else as sent (the operation refuses it).
   */
  readonly scope?: string;
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

/**
 * The scope of a role API path's prefix: clients write `/` as `//` or `///` (contracts §4.2:
 * `GET ///providers/…`) and may percent-encode it, so slashes at either end do not count.
 */
function normalizeScope(prefix: string): string {
  const trimmed = decodePathSegment(prefix).replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "/";
  const [first = "", ...rest] = trimmed.split("/");
  return first.toLowerCase() === "keys" ? ["/keys", ...rest].join("/") : `/${trimmed}`;
}

/** Matches a role API path: `{scope}/providers/Microsoft.Authorization/…`. */
function matchRbacRoute(method: string, pathname: string, at: number): RouteMatch {
  const scope = normalizeScope(pathname.slice(0, at));
  const segments = pathname.slice(at).split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  let pathMatched = false;
  for (const route of RBAC_ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { route, params: { ...params, scope } };
    pathMatched = true;
  }
  return { reason: pathMatched ? "method" : "path" };
}

/** Matches a method and path (without query) against {@link ROUTES} and {@link RBAC_ROUTES}. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const rbacAt = pathname.toLowerCase().indexOf(RBAC_PROVIDER);
  if (rbacAt !== -1) return matchRbacRoute(method, pathname, rbacAt);
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
