/**
 * Errors of the `provider/` part: one class with a stable `code` per way an operation on Key
 * Vault or Managed HSM can fail in a way the user can act on (STYLE.md rule 5).
 *
 * The plugin host sends only `message` back to the engine, so every message starts with its code
 * (`ERR_KEY_SOFT_DELETED: …`): the code survives the gRPC hop and shows in CI logs. Inside one
 * process, match on `code` (see {@link isProviderError}), never on `instanceof` alone.
 *
 * @module
 */

/** Every code a {@link ProviderError} can carry. Codes are API: never renamed. */
export type ProviderErrorCode =
  | "ERR_ACCESS_DENIED"
  | "ERR_HSM_NOT_ACTIVATED"
  | "ERR_KEY_SOFT_DELETED"
  | "ERR_KEY_BEING_DELETED"
  | "ERR_PURGE_PROTECTED"
  | "ERR_BYOK_REJECTED"
  | "ERR_KEY_TYPE_NOT_SUPPORTED"
  | "ERR_KEY_NOT_FOUND"
  | "ERR_PUBLIC_KEY_MISMATCH"
  | "ERR_ADOPT_MISMATCH"
  | "ERR_KEY_EXISTS"
  | "ERR_BYOK_NOT_STAGED"
  | "ERR_THROTTLED"
  | "ERR_AZURE_REQUEST"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_HSM_ALREADY_ACTIVATED"
  | "ERR_ACTIVATION_FAILED"
  | "ERR_ACTIVATION_TIMEOUT"
  | "ERR_FILE_EXISTS"
  | "ERR_AZURE_NATIVE_MISSING";

/** Base class of every error thrown by `provider/`. */
export class ProviderError extends Error {
  /** Stable, machine-readable reason; see {@link ProviderErrorCode}. */
  readonly code: ProviderErrorCode;
  /** HTTP status of the failed request, when the failure came from the service. */
  readonly statusCode: number | undefined;
  /**
   * True when the service refused the caller for lack of a role (RBAC), as opposed to a firewall
   * or an HSM that is not activated: a role granted moments ago may still take effect.
   */
  readonly missingRole: boolean;

  /**
   * @param code - the stable code; it also prefixes the message.
   * @param message - what happened and what to do, without key bytes, tokens or `.byok` content.
   * @param options - `cause` (the original error), `statusCode` and `missingRole`.
   */
  constructor(
    code: ProviderErrorCode,
    message: string,
    options: {
      /** The error this one explains (a `RestError`, say), as `Error.cause`. Default none. */
      cause?: unknown;
      /** HTTP status of the failed request. Default `undefined` (not from the service). */
      statusCode?: number;
      /** True for a refusal for lack of a role (see {@link ProviderError.missingRole}). Default false. */
      missingRole?: boolean;
    } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "ProviderError";
    this.code = code;
    this.statusCode = options.statusCode;
    this.missingRole = options.missingRole ?? false;
  }
}

/**
 * True when `value` is a {@link ProviderError}, also for a copy of the class loaded twice (the
 * plugin host may hold one captured by value and one loaded by name).
 */
export function isProviderError(value: unknown): value is ProviderError {
  return (
    value instanceof Error &&
    value.name === "ProviderError" &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
