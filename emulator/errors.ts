/**
 * The service's errors, one factory per error (STYLE.md rule 6). Handlers and stages throw only
 * these; the last stage renders them as `{ error: { code, message, innererror } }` in the
 * service's wording (contracts §3.3) and turns anything else into a 500 logged as a bug.
 *
 * @module
 */

/** An error the emulator answers with, as the service would. */
export class ServiceError extends Error {
  override readonly name = "ServiceError";

  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The top-level `error.code`, e.g. `KeyNotFound`, `BadParameter`. */
    readonly code: string,
    message: string,
    /** `error.innererror.code`, when the service gives one. */
    readonly innerCode?: string,
    /** Extra response headers, e.g. the 401 challenge. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** True for a {@link ServiceError}, also from a second copy of this module. */
export function isServiceError(value: unknown): value is ServiceError {
  return (
    value instanceof Error &&
    value.name === "ServiceError" &&
    typeof (value as { status?: unknown }).status === "number"
  );
}

/** How an error is rendered: Managed HSM messages end with "(Activity ID: …)" (contracts §3.3). */
export interface RenderErrorOptions {
  readonly managedHsm: boolean;
  readonly activityId: string;
}

/** The service's error body for `error`. */
export function renderServiceError(
  error: ServiceError,
  options: RenderErrorOptions,
): { error: { code: string; message: string; innererror?: { code: string } } } {
  const message = options.managedHsm
    ? `${error.message} (Activity ID: ${options.activityId})`
    : error.message;
  return error.innerCode === undefined
    ? { error: { code: error.code, message } }
    : { error: { code: error.code, message, innererror: { code: error.innerCode } } };
}

/** The challenge a client gets before it has a token (contracts §3.4). */
export function bearerChallenge(tenantId: string, resource: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${resource}"`;
}

/** 401: no `Authorization` header. The first, body-less request of every SDK client gets this. */
export function missingToken(challenge: string): ServiceError {
  return new ServiceError(
    401,
    "Unauthorized",
    "AKV10000: Request is missing a Bearer or PoP token.",
    undefined,
    { "WWW-Authenticate": challenge },
  );
}

/** 401: a token that does not verify: bad signature, wrong audience, expired, malformed. */
export function invalidToken(reason: string, challenge: string): ServiceError {
  return new ServiceError(
    401,
    "Unauthorized",
    `AKV10032: Invalid issuer or token. ${reason}`,
    "InvalidToken",
    { "WWW-Authenticate": challenge },
  );
}

/** 400: a request without `api-version` (every data-plane call needs one, contracts §3.1). */
export function missingApiVersion(): ServiceError {
  return new ServiceError(
    400,
    "BadParameter",
    "The 'api-version' query parameter is missing: add ?api-version=7.6 (accepted: 7.0 to 7.6, 2025-07-01 and their -preview variants).",
  );
}

/** 400: an api-version the service does not know. */
export function unsupportedApiVersion(version: string): ServiceError {
  return new ServiceError(
    400,
    "BadParameter",
    `The specified version (${version}) is not recognized. Consider using the latest supported version (2025-07-01).`,
  );
}

/** 404: no operation has this method and path. */
export function unknownOperation(method: string, path: string): ServiceError {
  return new ServiceError(
    404,
    "NotFound",
    `No operation matches ${method} ${path}: this emulator serves the keys data plane (/keys, /deletedkeys, /rng), the Managed HSM role APIs ({scope}/providers/Microsoft.Authorization/roleDefinitions|roleAssignments) and the security domain download (/securitydomain/download).`,
  );
}

/** 404: a Host header naming a vault this emulator does not serve. */
export function unknownVault(host: string): ServiceError {
  return new ServiceError(
    404,
    "VaultNotFound",
    `No vault or Managed HSM is served at host ${host}.`,
  );
}

/** 400: a request that is malformed or names values the service refuses. */
export function badParameter(message: string, innerCode?: string): ServiceError {
  return new ServiceError(400, "BadParameter", message, innerCode);
}

/** 400: a BYOK import that failed; `innerCode` says which check. */
export function byokImportFailed(message: string, innerCode: string): ServiceError {
  return new ServiceError(400, "BadParameter", message, innerCode);
}

/** 404: no live key of this name (or version). */
export function keyNotFound(name: string, version?: string): ServiceError {
  const what = version === undefined || version === "" ? name : `${name}/${version}`;
  return new ServiceError(
    404,
    "KeyNotFound",
    `A key with (name/id) ${what} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

/** 404: no soft-deleted key of this name. */
export function deletedKeyNotFound(name: string): ServiceError {
  return new ServiceError(404, "KeyNotFound", `Deleted Key not found: ${name}`);
}

/** 409: the name belongs to a soft-deleted key, which can only be recovered or purged. */
export function deletedButRecoverable(name: string): ServiceError {
  return new ServiceError(
    409,
    "Conflict",
    `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** 409: restoring a backup over a key that exists. */
export function keyAlreadyExists(name: string): ServiceError {
  return new ServiceError(
    409,
    "Conflict",
    `Key ${name} already exists: a backup restores only under a name that is free; delete and purge the key first.`,
    "KeyAlreadyExists",
  );
}

/** 403: purge refused because the vault has purge protection. */
export function purgeProtected(vaultName: string): ServiceError {
  return new ServiceError(
    403,
    "Forbidden",
    `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed. Vault: ${vaultName};location=emulator`,
  );
}

/**
 * 403: the caller holds no role granting the data action at the scope (Managed HSM local RBAC).
 * The service's code and wording (contracts §3.3): `AccessDenied`, "Not authorized to access"
 * the data action "on" the scope, then the Activity ID every Managed HSM message ends with.
 */
export function accessDenied(dataAction: string, scope: string): ServiceError {
  return new ServiceError(
    403,
    "AccessDenied",
    `Not authorized to access ${dataAction} on ${scope}`,
  );
}

/** 400: a custom role that takes a built-in role's name or GUID (contracts §3.3, wording kept). */
export function builtInRoleReused(): ServiceError {
  return badParameter(
    "Cannot re-use the name/GUID matching that of a built-in role. Please use a unique role ID.",
  );
}

/** 404: no role definition of this GUID. */
export function roleDefinitionNotFound(guid: string): ServiceError {
  return new ServiceError(
    404,
    "RoleDefinitionNotFound",
    `The role definition '${guid}' does not exist: list the role definitions (GET /providers/Microsoft.Authorization/roleDefinitions) for the built-in and custom roles.`,
  );
}

/** 404: no role assignment of this name. */
export function roleAssignmentNotFound(name: string): ServiceError {
  return new ServiceError(
    404,
    "RoleAssignmentNotFound",
    `The role assignment '${name}' does not exist.`,
  );
}

/** 409: an assignment name taken by an assignment with other properties. */
export function roleAssignmentExists(name: string): ServiceError {
  return new ServiceError(
    409,
    "Conflict",
    `The role assignment '${name}' already exists with another role, principal or scope: delete it first, or use another assignment name.`,
    "RoleAssignmentExists",
  );
}

/** 400: a Managed HSM RBAC limit (custom roles, assignments per scope) is reached. */
export function rbacLimitReached(what: string, limit: number): ServiceError {
  return badParameter(
    `The limit of ${limit} ${what} is reached: delete one before adding another.`,
    "LimitExceeded",
  );
}

/** 409: a security domain download on an HSM that is activated already. */
export function securityDomainAlreadyDownloaded(name: string): ServiceError {
  return new ServiceError(
    409,
    "Conflict",
    `Managed HSM ${name} is already activated: its security domain was downloaded before and cannot be downloaded again. Keep the security domain file and the private keys of its certificates; to move it to another HSM, upload it there (POST /securitydomain/upload).`,
    "SecurityDomainAlreadyDownloaded",
  );
}

/** 404: a security domain status asked of an HSM where no download was started. */
export function noSecurityDomainDownload(name: string): ServiceError {
  return new ServiceError(
    404,
    "NotFound",
    `No security domain download was started on Managed HSM ${name}: start one with POST /securitydomain/download.`,
  );
}

/** 404: a Managed HSM API called on a Key Vault; `why` says what the vault has instead. */
export function managedHsmOnly(
  name: string,
  api: string,
  why = "whose RBAC is Azure RBAC on the control plane",
): ServiceError {
  return new ServiceError(
    404,
    "NotFound",
    `${api} is a Managed HSM API; ${name} is a Key Vault, ${why}.`,
  );
}

/** 403: the key's `key_ops` do not include the operation (a KEK can only import). */
export function operationNotAllowed(
  operation: string,
  name: string,
  keyOps: readonly string[],
): ServiceError {
  return new ServiceError(
    403,
    "Forbidden",
    `Operation ${operation} is not allowed on key ${name}: its key_ops are [${keyOps.map((op) => `"${op}"`).join(", ")}]. Create or update the key with "${operation}" in key_ops.`,
    "KeyOperationForbidden",
  );
}

/** 403: the key is disabled, not yet valid or expired. */
export function keyNotUsable(name: string, reason: string): ServiceError {
  return new ServiceError(
    403,
    "Forbidden",
    `Operation is not allowed on key ${name}: ${reason}.`,
    "KeyDisabled",
  );
}

/** 403: a key release whose attestation does not satisfy the key's release policy. */
export function releasePolicyNotSatisfied(name: string, detail: string): ServiceError {
  return new ServiceError(
    403,
    "Forbidden",
    `Target environment attestation statement cannot be verified against key ${name}'s release policy: ${detail}`,
    "ReleasePolicyNotSatisfied",
  );
}

/** 403 on Managed HSM before activation: key calls fail until the security domain is downloaded. */
export function hsmNotActivated(name: string): ServiceError {
  return new ServiceError(
    403,
    "Forbidden",
    `Managed HSM ${name} is not activated: download its security domain (POST /securitydomain/download) to activate it.`,
    "HsmNotActivated",
  );
}

/** 413: a body larger than any request of the keys API. */
export function bodyTooLarge(limit: number): ServiceError {
  return new ServiceError(413, "BadParameter", `The request body is larger than ${limit} bytes.`);
}

/** 500: a bug in the emulator; the detail is logged, not sent. */
export function internalError(): ServiceError {
  return new ServiceError(
    500,
    "InternalError",
    "The emulator failed to process the request; see its log.",
  );
}

/** 429: throttled (contracts §3.3, §5.1); `Retry-After` says when to try again. */
export function throttled(retryAfterSeconds: number): ServiceError {
  return new ServiceError(
    429,
    "Throttled",
    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
    undefined,
    { "Retry-After": String(retryAfterSeconds) },
  );
}

/** 503: the service cannot take the request now; `Retry-After` says when to try again. */
export function serviceUnavailable(retryAfterSeconds: number): ServiceError {
  return new ServiceError(
    503,
    "ServiceUnavailable",
    "The service is temporarily unavailable. Retry the request after the time in Retry-After.",
    undefined,
    { "Retry-After": String(retryAfterSeconds) },
  );
}
