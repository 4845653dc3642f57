/**
 * Which mechanisms make a `CKM_RSA_AES_KEY_WRAP` ciphertext inside a token, chosen from the list
 * the token offers. Pure data in, plan out, so the choice is tested without a token.
 *
 * @module
 */
import type { KeySpec } from "../../byok/index.js";
import { CKM, mechanismName } from "./constants.js";
import { TokenError } from "./errors.js";

/**
 * The spec's two-step equivalent of `CKM_RSA_AES_KEY_WRAP` (contracts §1.5): generate a session
 * AES-256 key, wrap the target with `kwp` (RFC 5649) under it, then wrap it with
 * `CKM_RSA_PKCS_OAEP` under the KEK.
 */
export interface TwoStepPlan {
  readonly kind: "two-step";
  readonly keyGen: typeof CKM.AES_KEY_GEN;
  readonly kwp: typeof CKM.AES_KEY_WRAP_KWP | typeof CKM.AES_KEY_WRAP_PAD;
  readonly oaep: typeof CKM.RSA_PKCS_OAEP;
}

/** One `C_WrapKey` with `CKM_RSA_AES_KEY_WRAP` under the KEK: the AES key never exists as an object. */
export interface SingleStepPlan {
  readonly kind: "single-step";
  readonly mechanism: typeof CKM.RSA_AES_KEY_WRAP;
  /**
   * The two steps, when the token offers them too: used if the token refuses the single step
   * for this key or these parameters (`CKR_MECHANISM_INVALID`, `CKR_MECHANISM_PARAM_INVALID`).
   */
  readonly fallback?: TwoStepPlan;
}

/** How the token will make the ciphertext. */
export type WrapPlan = SingleStepPlan | TwoStepPlan;

/** Options of {@link planWrap}. */
export interface PlanWrapOptions {
  /**
   * Why this machine cannot pass `CK_RSA_AES_KEY_WRAP_PARAMS` (a struct holding a pointer to
   * the OAEP parameters, built with koffi), or undefined when it can. Default undefined: a token
   * offering `CKM_RSA_AES_KEY_WRAP` gets the single step.
   */
  readonly singleStepUnavailable?: string;
}

/**
 * Chooses the mechanisms for the wrap from those the token offers: `CKM_RSA_AES_KEY_WRAP` when
 * offered (and this machine can pass its parameters), else the two steps.
 *
 * RFC 5649 has two numbers: v3.0 of PKCS#11 calls it `CKM_AES_KEY_WRAP_KWP` (0x210B) and
 * redefines `CKM_AES_KEY_WRAP_PAD` (0x210A) as RFC 3394 over PKCS#7 padding, while v2.40 tokens
 * (SoftHSM2 among them) implement RFC 5649 under 0x210A. So KWP wins when offered, and the
 * ciphertext's length is checked afterwards (see wrapOnToken.ts).
 *
 * @param mechanisms - the token's `C_GetMechanismList`.
 * @throws TokenError `ERR_PKCS11_MECHANISM_MISSING` naming each mechanism the token lacks.
 */
export function planWrap(mechanisms: readonly number[], options: PlanWrapOptions = {}): WrapPlan {
  const { singleStepUnavailable } = options;
  const offered = new Set(mechanisms);
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
  const twoStep: TwoStepPlan | undefined =
    kwp === undefined || missing.length > 0
      ? undefined
      : { kind: "two-step", keyGen: CKM.AES_KEY_GEN, kwp, oaep: CKM.RSA_PKCS_OAEP };
  if (offered.has(CKM.RSA_AES_KEY_WRAP) && singleStepUnavailable === undefined) {
    return {
      kind: "single-step",
      mechanism: CKM.RSA_AES_KEY_WRAP,
      ...(twoStep === undefined ? {} : { fallback: twoStep }),
    };
  }
  if (twoStep !== undefined) return twoStep;
  const singleNote = offered.has(CKM.RSA_AES_KEY_WRAP)
    ? ` The token offers CKM_RSA_AES_KEY_WRAP, but this machine cannot pass its parameters (${singleStepUnavailable ?? ""}): reinstall the package's optional dependency koffi ('npm install koffi') to use it.`
    : "";
  throw new TokenError(
    "ERR_PKCS11_MECHANISM_MISSING",
    `the token does not offer ${missing.join(", ")}, which the BYOK wrap needs (CKM_RSA_AES_KEY_WRAP, or CKM_RSA_PKCS_OAEP with SHA-1 plus AES key wrap with padding under a generated AES-256 key): enable them in the HSM's policy or use another token, or wrap in software with 'azure-byok wrap'.${singleNote}`,
  );
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
