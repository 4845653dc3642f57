/**
 * Errors of the `byok/` part: one class with a stable `code` per way a key transfer package or
 * its inputs can be wrong. Codes are API: tests and callers match on `code`, never on message
 * text, and never on `instanceof` alone (a class captured by value in the plugin host is not the
 * one loaded by name).
 *
 * @module
 */

/** Every code a {@link ByokError} can carry. */
export type ByokErrorCode =
  | "ERR_BYOK_NOT_JSON"
  | "ERR_BYOK_MISSING_FIELD"
  | "ERR_BYOK_FIELD_TYPE"
  | "ERR_BYOK_SCHEMA_VERSION"
  | "ERR_BYOK_ALG"
  | "ERR_BYOK_ENC"
  | "ERR_BYOK_KID"
  | "ERR_BYOK_ENCODING"
  | "ERR_BYOK_CIPHERTEXT_LENGTH"
  | "ERR_BYOK_KEK_SIZE_MISMATCH"
  | "ERR_BYOK_KEK_MISMATCH"
  | "ERR_BYOK_OAEP"
  | "ERR_BYOK_KWP_INTEGRITY"
  | "ERR_BYOK_TARGET_KEY"
  | "ERR_BYOK_TARGET_MISMATCH"
  | "ERR_KEY_ID"
  | "ERR_KEY_SPEC"
  | "ERR_KEK_PUBLIC_KEY";

/** Base class of every error thrown by `byok/`. */
export class ByokError extends Error {
  /** Stable, machine-readable reason; see {@link ByokErrorCode}. */
  readonly code: ByokErrorCode;

  constructor(code: ByokErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ByokError";
    this.code = code;
  }
}

/**
 * True when `value` is an error of this part, also for a copy of the class loaded twice
 * (matches by name and code shape, as `isRestError` does in the Azure SDK).
 */
export function isByokError(value: unknown): value is ByokError {
  return (
    value instanceof Error &&
    value.name === "ByokError" &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
