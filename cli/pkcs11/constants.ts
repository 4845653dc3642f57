/**
 * The PKCS#11 constants this tool uses, by their values in the OASIS headers (PKCS#11 v2.40 and
 * v3.0 `pkcs11t.h`). Kept here rather than read from the binding so the mechanism choice and the
 * key templates are plain data that load and test without the native addon.
 *
 * @module
 */

/** Object classes (`CKO_*`). */
export const CKO = { PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3, SECRET_KEY: 0x4 } as const;

/** Key types (`CKK_*`). */
export const CKK = { RSA: 0x0, EC: 0x3, AES: 0x1f } as const;

/** Attributes (`CKA_*`). */
export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  VALUE: 0x11,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  ENCRYPT: 0x104,
  DECRYPT: 0x105,
  WRAP: 0x106,
  UNWRAP: 0x107,
  SIGN: 0x108,
  VERIFY: 0x10a,
  DERIVE: 0x10c,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  PRIVATE_EXPONENT: 0x123,
  VALUE_LEN: 0x161,
  EXTRACTABLE: 0x162,
  NEVER_EXTRACTABLE: 0x164,
  ALWAYS_SENSITIVE: 0x165,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  WRAP_WITH_TRUSTED: 0x210,
} as const;

/** Mechanisms (`CKM_*`). */
export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  RSA_PKCS_OAEP: 0x9,
  SHA_1: 0x220,
  EC_KEY_PAIR_GEN: 0x1040,
  RSA_AES_KEY_WRAP: 0x1054,
  AES_KEY_GEN: 0x1080,
  AES_ECB: 0x1081,
  AES_KEY_WRAP: 0x2109,
  AES_KEY_WRAP_PAD: 0x210a,
  /** PKCS#11 v3.0 name for RFC 5649; v3.0 redefines `CKM_AES_KEY_WRAP_PAD` (see mechanisms.ts). */
  AES_KEY_WRAP_KWP: 0x210b,
} as const;

/** `CKG_MGF1_SHA1` and `CKZ_DATA_SPECIFIED`: OAEP with MGF1-SHA-1 and an (empty) label. */
export const CKG_MGF1_SHA1 = 0x1;
export const CKZ_DATA_SPECIFIED = 0x1;

/** User types and session flags. */
export const CKU_USER = 0x1;
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;

/** Token flags (`CK_TOKEN_INFO.flags`), as `list` prints them. */
export const TOKEN_FLAGS: readonly (readonly [number, string])[] = [
  [0x1, "rng"],
  [0x2, "write-protected"],
  [0x4, "login-required"],
  [0x8, "user-pin-initialized"],
  [0x20, "restore-key-not-needed"],
  [0x40, "clock-on-token"],
  [0x100, "protected-authentication-path"],
  [0x200, "dual-crypto-operations"],
  [0x400, "token-initialized"],
  [0x10000, "user-pin-count-low"],
  [0x20000, "user-pin-final-try"],
  [0x40000, "user-pin-locked"],
  [0x80000, "user-pin-to-be-changed"],
  [0x100000, "so-pin-count-low"],
  [0x200000, "so-pin-final-try"],
  [0x400000, "so-pin-locked"],
  [0x800000, "so-pin-to-be-changed"],
];

/** `CKR_*` return values this tool turns into its own errors, by name. */
export const CKR = {
  SLOT_ID_INVALID: 0x3,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  KEY_SIZE_RANGE: 0x62,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
  KEY_NOT_WRAPPABLE: 0x69,
  KEY_UNEXTRACTABLE: 0x6a,
  MECHANISM_INVALID: 0x70,
  MECHANISM_PARAM_INVALID: 0x71,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_LOCKED: 0xa4,
  DOMAIN_PARAMS_INVALID: 0x130,
  CURVE_NOT_SUPPORTED: 0x140,
  TOKEN_NOT_PRESENT: 0xe0,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_PIN_NOT_INITIALIZED: 0x102,
} as const;

/** The name of a mechanism for messages: `CKM_AES_KEY_WRAP_PAD`, or hex for one not in {@link CKM}. */
export function mechanismName(mechanism: number): string {
  const entry = Object.entries(CKM).find(([, value]) => value === mechanism);
  return entry === undefined ? `0x${mechanism.toString(16)}` : `CKM_${entry[0]}`;
}
