/**
 * The token's part of `azure-byok pkcs11 wrap`: the `CKM_RSA_AES_KEY_WRAP` ciphertext of the
 * target key for the KEK, made by the token in one step or in the spec's two, with every session
 * object it needed destroyed before returning.
 *
 * @module
 */
import { assembleRsaAesCiphertext, describeKeySpec, wrappedLength } from "../../byok/index.js";
import type { KekPublicKey, KeySpec } from "../../byok/index.js";
import type { RsaOAEP } from "pkcs11js";
import { callError, ckrOf, loadBinding } from "./binding.js";
import {
  CKA,
  CKG_MGF1_SHA1,
  CKK,
  CKM,
  CKO,
  CKR,
  CKZ_DATA_SPECIFIED,
  mechanismName,
} from "./constants.js";
import { TokenError } from "./errors.js";
import type { TargetKeyOnToken } from "./keys.js";
import type { SingleStepPlan, TwoStepPlan } from "./mechanisms.js";
import { buildRsaAesKeyWrapParams } from "./rsaAesKeyWrapParams.js";
import type { TokenSession } from "./token.js";

/** Room for the largest wrapped target, an RSA-4096 PKCS#8 key (about 2.4 KB), with margin. */
const WRAP_BUFFER_BYTES = 16 * 1024;

/** The KEK's public key as a session object on the token (`CKA_TOKEN` false). */
export interface SessionKek {
  readonly handle: Buffer;
  readonly kek: KekPublicKey;
}

/**
 * Runs `fn` with the KEK public key imported as a session object that may only wrap, and
 * destroys it afterwards.
 */
export function withSessionKek<T>(
  ts: TokenSession,
  kek: KekPublicKey,
  fn: (sessionKek: SessionKek) => T,
): T {
  const jwk = kek.key.export({ format: "jwk" });
  const handle = callOr(
    ts,
    "C_CreateObject",
    "importing the KEK public key as a session object",
    () =>
      ts.library.C_CreateObject(ts.session, [
        { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
        { type: CKA.KEY_TYPE, value: CKK.RSA },
        { type: CKA.TOKEN, value: false },
        { type: CKA.LABEL, value: "azure-byok KEK (session)" },
        { type: CKA.WRAP, value: true },
        { type: CKA.ENCRYPT, value: false },
        { type: CKA.VERIFY, value: false },
        { type: CKA.MODULUS, value: Buffer.from(jwk.n ?? "", "base64url") },
        { type: CKA.PUBLIC_EXPONENT, value: Buffer.from(jwk.e ?? "", "base64url") },
      ]),
  );
  try {
    return fn({ handle, kek });
  } finally {
    destroy(ts, handle);
  }
}

/**
 * `CKM_RSA_AES_KEY_WRAP` in one `C_WrapKey`, with a 256-bit AES key and OAEP SHA-1/MGF1-SHA-1
 * and an empty label (`CK_RSA_AES_KEY_WRAP_PARAMS`, built in rsaAesKeyWrapParams.ts).
 *
 * @throws TokenError `ERR_PKCS11_KEY_NOT_WRAPPABLE`; `ERR_PKCS11_MECHANISM_MISSING` when the token
 *   refuses the mechanism or its parameters (the cause holds the `CKR_*`, see
 *   {@link isMechanismRefusal}); `ERR_PKCS11_WRAP_OUTPUT`; `ERR_PKCS11_CALL`.
 */
export function wrapSingleStep(
  ts: TokenSession,
  plan: SingleStepPlan,
  { handle, kek }: SessionKek,
  target: TargetKeyOnToken,
): Buffer {
  const params = buildRsaAesKeyWrapParams();
  let ciphertext: Buffer;
  try {
    ciphertext = ts.library.C_WrapKey(
      ts.session,
      { mechanism: plan.mechanism, parameter: params.bytes },
      handle,
      target.handle,
      Buffer.alloc(kek.modulusBytes + WRAP_BUFFER_BYTES),
    );
  } catch (cause) {
    throw wrapError(cause, target, mechanismName(plan.mechanism), "under the KEK");
  } finally {
    // The OAEP parameters live in native memory until the call has returned.
    params.release();
  }
  checkWrappedLength(
    ciphertext.subarray(kek.modulusBytes),
    target.spec,
    `${mechanismName(plan.mechanism)} output after the ${kek.modulusBytes}-byte RSA block`,
  );
  return ciphertext;
}

/**
 * The spec's two-step equivalent of `CKM_RSA_AES_KEY_WRAP` (contracts §1.5), with the session
 * AES key destroyed before returning.
 *
 * @throws TokenError `ERR_PKCS11_KEY_NOT_WRAPPABLE`, `ERR_PKCS11_MECHANISM_MISSING`,
 *   `ERR_PKCS11_WRAP_OUTPUT`, `ERR_PKCS11_CALL`.
 */
export function wrapTwoStep(
  ts: TokenSession,
  plan: TwoStepPlan,
  { handle: kekHandle, kek }: SessionKek,
  target: TargetKeyOnToken,
): Buffer {
  const { library, session } = ts;
  // The ephemeral key: a session object, sensitive, extractable only so the KEK can wrap it, and
  // good for wrapping only.
  const aesKey = callOr(ts, "C_GenerateKey", "generating the session AES-256 key", () =>
    library.C_GenerateKey(session, { mechanism: plan.keyGen }, [
      { type: CKA.CLASS, value: CKO.SECRET_KEY },
      { type: CKA.KEY_TYPE, value: CKK.AES },
      { type: CKA.VALUE_LEN, value: 32 },
      { type: CKA.TOKEN, value: false },
      { type: CKA.SENSITIVE, value: true },
      { type: CKA.EXTRACTABLE, value: true },
      { type: CKA.WRAP, value: true },
      { type: CKA.ENCRYPT, value: false },
      { type: CKA.DECRYPT, value: false },
    ]),
  );
  try {
    let wrappedTarget: Buffer;
    try {
      wrappedTarget = library.C_WrapKey(
        session,
        { mechanism: plan.kwp },
        aesKey,
        target.handle,
        Buffer.alloc(WRAP_BUFFER_BYTES),
      );
    } catch (cause) {
      throw wrapError(cause, target, mechanismName(plan.kwp), "under a session key");
    }
    checkWrappedLength(wrappedTarget, target.spec, `${mechanismName(plan.kwp)} output`);
    const oaepParams: RsaOAEP = {
      type: loadBinding().CK_PARAMS_RSA_OAEP,
      hashAlg: CKM.SHA_1,
      mgf: CKG_MGF1_SHA1,
      source: CKZ_DATA_SPECIFIED,
    };
    let encryptedAesKey: Buffer;
    try {
      encryptedAesKey = library.C_WrapKey(
        session,
        // RSA-OAEP with SHA-1, MGF1-SHA-1 and an empty label, as Azure unwraps it.
        { mechanism: plan.oaep, parameter: oaepParams },
        kekHandle,
        aesKey,
        Buffer.alloc(kek.modulusBytes),
      );
    } catch (cause) {
      if (isMechanismRefusal(cause)) {
        throw new TokenError(
          "ERR_PKCS11_MECHANISM_MISSING",
          `the token refused CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA-1 (${ckrOf(cause) === CKR.MECHANISM_INVALID ? "CKR_MECHANISM_INVALID" : "CKR_MECHANISM_PARAM_INVALID"}), which Azure's KEK unwrap requires: allow SHA-1 for OAEP wrapping in the HSM's policy (some FIPS modes forbid it)`,
          { cause },
        );
      }
      throw callError("C_WrapKey", "wrapping the session AES key under the KEK (RSA-OAEP)", cause);
    }
    if (encryptedAesKey.length !== kek.modulusBytes) {
      throw new TokenError(
        "ERR_PKCS11_WRAP_OUTPUT",
        `the token's RSA-OAEP output is ${encryptedAesKey.length} bytes, not the KEK's ${kek.modulusBytes}: the token's OAEP is not what Azure expects; report this with the token's model and firmware`,
      );
    }
    return assembleRsaAesCiphertext(encryptedAesKey, wrappedTarget);
  } finally {
    destroy(ts, aesKey);
  }
}

/**
 * True for the token refusing a mechanism or its parameters: `CKR_MECHANISM_INVALID` or
 * `CKR_MECHANISM_PARAM_INVALID`, on the error itself or as the cause of a {@link TokenError}.
 */
export function isMechanismRefusal(error: unknown): boolean {
  const ckr = ckrOf(error) ?? (error instanceof TokenError ? ckrOf(error.cause) : undefined);
  return ckr === CKR.MECHANISM_INVALID || ckr === CKR.MECHANISM_PARAM_INVALID;
}

function destroy(ts: TokenSession, handle: Buffer): void {
  try {
    ts.library.C_DestroyObject(ts.session, handle);
  } catch {
    // Session objects also go when the session closes, which follows.
  }
}

function callOr<T>(ts: TokenSession, fn: string, purpose: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    if (ckrOf(cause) === CKR.MECHANISM_INVALID) {
      throw new TokenError(
        "ERR_PKCS11_MECHANISM_MISSING",
        `${fn} failed while ${purpose}: token "${ts.slot.token.label}" refused the mechanism (CKR_MECHANISM_INVALID); check the HSM's policy`,
        { cause },
      );
    }
    throw callError(fn, purpose, cause);
  }
}

const REFUSAL_NAMES: Readonly<Record<number, string>> = {
  [CKR.KEY_UNEXTRACTABLE]: "CKR_KEY_UNEXTRACTABLE",
  [CKR.KEY_NOT_WRAPPABLE]: "CKR_KEY_NOT_WRAPPABLE",
  [CKR.KEY_FUNCTION_NOT_PERMITTED]: "CKR_KEY_FUNCTION_NOT_PERMITTED",
  [CKR.MECHANISM_INVALID]: "CKR_MECHANISM_INVALID",
  [CKR.MECHANISM_PARAM_INVALID]: "CKR_MECHANISM_PARAM_INVALID",
};

function wrapError(
  cause: unknown,
  target: TargetKeyOnToken,
  mechanism: string,
  under: string,
): TokenError {
  const ckr = ckrOf(cause);
  const name = ckr === undefined ? undefined : REFUSAL_NAMES[ckr];
  const what = `"${target.label}" (${describeKeySpec(target.spec)})`;
  switch (ckr) {
    case CKR.KEY_UNEXTRACTABLE:
    case CKR.KEY_NOT_WRAPPABLE:
    case CKR.KEY_FUNCTION_NOT_PERMITTED:
      return new TokenError(
        "ERR_PKCS11_KEY_NOT_WRAPPABLE",
        `the token will not wrap ${what} ${under} (${name ?? ""}): the key must be CKA_EXTRACTABLE and not CKA_WRAP_WITH_TRUSTED; make a new key with --generate`,
        { cause },
      );
    case CKR.MECHANISM_INVALID:
    case CKR.MECHANISM_PARAM_INVALID:
      return new TokenError(
        "ERR_PKCS11_MECHANISM_MISSING",
        `the token refused ${mechanism} for ${what} (${name ?? ""}): some tokens wrap only secret keys with it, or forbid SHA-1 in OAEP; check the vendor's documentation for wrapping private keys as PKCS#8`,
        { cause },
      );
    case undefined:
    default:
      return callError("C_WrapKey", `wrapping "${target.label}" with ${mechanism}`, cause);
  }
}

/** RFC 5649 output is the input rounded up to 8 bytes, plus 8: exact for AES targets. */
function checkWrappedLength(wrapped: Buffer, spec: KeySpec, what: string): void {
  const expected = spec.kty === "oct" ? wrappedLength(spec.size / 8) : undefined;
  if (
    (expected !== undefined && wrapped.length !== expected) ||
    wrapped.length % 8 !== 0 ||
    wrapped.length < 16
  ) {
    throw new TokenError(
      "ERR_PKCS11_WRAP_OUTPUT",
      `the token's ${what} for ${describeKeySpec(spec)} is ${wrapped.length} bytes${expected === undefined ? "" : `, not the ${expected} of RFC 5649`}: this token's mechanism is not RFC 5649 AES key wrap with padding (PKCS#11 v3.0 tokens call that CKM_AES_KEY_WRAP_KWP)`,
    );
  }
}
