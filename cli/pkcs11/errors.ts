/**
 * Errors of the PKCS#11 seam: one stable `code` per way a token, its library or the operator's
 * input can stop `azure-byok pkcs11`. Codes are API (scripts and tests match on them); messages name
 * the option at fault and the fix, and never hold a PIN or key bytes.
 *
 * @module
 */

/** Every code a {@link TokenError} can carry. */
export type TokenErrorCode =
  /** The optional `pkcs11js` addon is not installed or did not build on this machine. */
  | "ERR_PKCS11_BINDING"
  /** `--module` names no file. */
  | "ERR_PKCS11_MODULE_NOT_FOUND"
  /** `--module` is a file but not a loadable PKCS#11 library, or `C_Initialize` failed. */
  | "ERR_PKCS11_MODULE_LOAD"
  /** `--slot` names no slot with a token. */
  | "ERR_PKCS11_SLOT_NOT_FOUND"
  /** `--token-label` names no token, or no slot was chosen where one must be. */
  | "ERR_PKCS11_TOKEN_NOT_FOUND"
  /** No PIN: the `--pin-env` variable is unset and there is no terminal to ask on. */
  | "ERR_PKCS11_PIN_MISSING"
  /** The token refused the PIN (`CKR_PIN_INCORRECT`, `CKR_PIN_INVALID`, `CKR_PIN_LEN_RANGE`). */
  | "ERR_PKCS11_PIN_INCORRECT"
  /** The token locked the user PIN after too many wrong tries. */
  | "ERR_PKCS11_PIN_LOCKED"
  /** `--key-label` names no private or secret key. */
  | "ERR_PKCS11_KEY_NOT_FOUND"
  /** `--key-label` names more than one private or secret key. */
  | "ERR_PKCS11_KEY_AMBIGUOUS"
  /** `--generate` with a `--key-label` that a key on the token already has. */
  | "ERR_PKCS11_KEY_EXISTS"
  /** The key is of a type or size Azure does not import. */
  | "ERR_PKCS11_KEY_TYPE"
  /** The key cannot leave the token, not even wrapped (`CKA_EXTRACTABLE` false, or wrap-with-trusted). */
  | "ERR_PKCS11_KEY_NOT_WRAPPABLE"
  /** The token lacks a mechanism the wrap or the key generation needs. */
  | "ERR_PKCS11_MECHANISM_MISSING"
  /** The token does not support the EC curve asked for. */
  | "ERR_PKCS11_CURVE_UNSUPPORTED"
  /** The token's output does not have the shape `CKM_RSA_AES_KEY_WRAP` requires. */
  | "ERR_PKCS11_WRAP_OUTPUT"
  /** Any other failure of a PKCS#11 call; the message names the function and the `CKR_*` value. */
  | "ERR_PKCS11_CALL";

/** Base class of every error of the PKCS#11 seam. Match on {@link TokenError.code}. */
export class TokenError extends Error {
  /** Stable, machine-readable reason; see {@link TokenErrorCode}. */
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TokenError";
    this.code = code;
  }
}

/** True when `value` is a {@link TokenError}, also for a second copy of the class (matches by name). */
export function isTokenError(value: unknown): value is TokenError {
  return (
    value instanceof Error &&
    value.name === "TokenError" &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
