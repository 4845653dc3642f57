/**
 * Which mechanisms make a `CKM_RSA_AES_KEY_WRAP` ciphertext inside a token, chosen from the list
 * the token offers. Pure data in, plan out, so the choice is tested without a token.
 *
 * @module
 */
import type { KeySpec } from "../../byok/index.js";
import { CKM, mechanismName } from "./constants.js";
import { TokenError } from "./errors.js";

/** How the token will make the ciphertext. */
export type WrapPlan =
  /** One `C_WrapKey` with `CKM_RSA_AES_KEY_WRAP` under the KEK: the AES key never exists as an object. */
  | { readonly kind: "single-step"; readonly mechanism: typeof CKM.RSA_AES_KEY_WRAP }
  /**
   * The spec's two-step equivalent (contracts §1.5): generate a session AES-256 key, wrap the
   * target with `kwp` (RFC 5649) under it, then wrap it with `CKM_RSA_PKCS_OAEP` under the KEK.
   */
  | {
      readonly kind: "two-step";
      readonly keyGen: typeof CKM.AES_KEY_GEN;
      readonly kwp: typeof CKM.AES_KEY_WRAP_KWP | typeof CKM.AES_KEY_WRAP_PAD;
      readonly oaep: typeof CKM.RSA_PKCS_OAEP;
    };

/** Options of {@link planWrap}. */
export interface PlanWrapOptions {
  /**
   * Whether the binding can pass `CK_RSA_AES_KEY_WRAP_PARAMS` (a struct holding a pointer to the
   * OAEP parameters). pkcs11js 2.1.7 cannot, so the default is false and a token offering the
   * single step is driven through the two steps, which give the same bytes.
   */
  readonly singleStepSupported?: boolean;
}

/**
 * Chooses the mechanisms for the wrap from those the token offers.
 *
 * RFC 5649 has two numbers: v3.0 of PKCS#11 calls it `CKM_AES_KEY_WRAP_KWP` (0x210B) and
 * redefines `CKM_AES_KEY_WRAP_PAD` (0x210A) as RFC 3394 over PKCS#7 padding, while v2.40 tokens
 * (SoftHSM2 among them) implement RFC 5649 under 0x210A. So KWP wins when offered, and the
 * ciphertext's length is checked afterwards (see wrapInToken.ts).
 *
 * @param mechanisms - the token's `C_GetMechanismList`.
 * @throws TokenError `ERR_PKCS11_MECHANISM_MISSING` naming each mechanism the token lacks.
 */
export function planWrap(mechanisms: readonly number[], options: PlanWrapOptions = {}): WrapPlan {
  const { singleStepSupported = false } = options;
  const offered = new Set(mechanisms);
  if (offered.has(CKM.RSA_AES_KEY_WRAP) && singleStepSupported) {
    return { kind: "single-step", mechanism: CKM.RSA_AES_KEY_WRAP };
  }
  const kwp = offered.has(CKM.AES_KEY_WRAP_KWP)
    ? CKM.AES_KEY_WRAP_KWP
    : offered.has(CKM.AES_KEY_WRAP_PAD)
      ? CKM.AES_KEY_WRAP_PAD
      : undefined;
  const missing = [
    ...(offered.has(CKM.RSA_PKCS_OAEP) ? [] : [mechanismName(CKM.RSA_PKCS_OAEP)]),
    ...(kwp === undefined ? ["CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD (RFC 5649)"] : []),
    ...(offered.has(CKM.AES_KEY_GEN) ? [] : [mechanismName(CKM.AES_KEY_GEN)]),
  ];
  if (kwp === undefined || missing.length > 0) {
    const singleNote = offered.has(CKM.RSA_AES_KEY_WRAP)
      ? " The token offers CKM_RSA_AES_KEY_WRAP, but this tool's PKCS#11 binding (pkcs11js) cannot pass its parameters, so it needs the two-step mechanisms."
      : "";
    throw new TokenError(
      "ERR_PKCS11_MECHANISM_MISSING",
      `the token does not offer ${missing.join(", ")}, which the BYOK wrap needs (CKM_RSA_AES_KEY_WRAP, or CKM_RSA_PKCS_OAEP with SHA-1 plus AES key wrap with padding under a generated AES-256 key): enable them in the HSM's policy or use another token, or wrap in software with 'azure-byok wrap'.${singleNote}`,
    );
  }
  return { kind: "two-step", keyGen: CKM.AES_KEY_GEN, kwp, oaep: CKM.RSA_PKCS_OAEP };
}

/** The mechanism that generates a target key of this type. */
export function keyGenMechanism(spec: KeySpec): number {
  switch (spec.kty) {
    case "RSA":
      return CKM.RSA_PKCS_KEY_PAIR_GEN;
    case "EC":
      return CKM.EC_KEY_PAIR_GEN;
    case "oct":
      return CKM.AES_KEY_GEN;
  }
}

/**
 * Checks the token can generate a key of this type.
 *
 * @throws TokenError `ERR_PKCS11_MECHANISM_MISSING` naming the mechanism.
 */
export function assertCanGenerate(
  mechanisms: readonly number[],
  spec: KeySpec,
  what: string,
): void {
  const mechanism = keyGenMechanism(spec);
  if (!mechanisms.includes(mechanism)) {
    throw new TokenError(
      "ERR_PKCS11_MECHANISM_MISSING",
      `${what}: the token does not offer ${mechanismName(mechanism)}, so it cannot generate this key: choose another key type or generate the key with the vendor's tools and pass --key-label`,
    );
  }
}
