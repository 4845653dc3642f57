/**
 * Generating the target key inside the token, as a token object the operator keeps: sensitive
 * (its value never readable) and extractable only so that it can leave wrapped.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { describeKeySpec } from "../../byok/index.js";
import type { KeySpec } from "../../byok/index.js";
import { callError, ckrOf } from "./binding.js";
import { CKA, CKK, CKO, CKR } from "./constants.js";
import { ecParamsOf } from "./curves.js";
import { TokenError } from "./errors.js";
import { describeKey, findObjects } from "./keys.js";
import type { TargetKeyOnToken } from "./keys.js";
import { assertCanGenerate, keyGenMechanism } from "./mechanisms.js";
import type { TokenSession } from "./token.js";

type Template = { type: number; value: number | boolean | string | Buffer }[];

/**
 * The attributes every generated private or secret key gets. CKA_SENSITIVE: the value is never
 * readable. CKA_EXTRACTABLE: required by C_WrapKey, and with CKA_SENSITIVE it allows wrapping
 * only; wrapInToken sets it false once the file is saved (lockTargetKey.ts). CKA_WRAP_WITH_TRUSTED stays false: it would demand a wrapping key the security officer
 * marked CKA_TRUSTED, and the AES key this tool generates per wrap cannot be one (docs/pkcs11.md).
 */
function secretPart(label: string, id: Buffer): Template {
  return [
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.LABEL, value: label },
    { type: CKA.ID, value: id },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: true },
    { type: CKA.WRAP_WITH_TRUSTED, value: false },
  ];
}

function publicPart(label: string, id: Buffer): Template {
  return [
    { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
    { type: CKA.TOKEN, value: true },
    { type: CKA.LABEL, value: label },
    { type: CKA.ID, value: id },
    { type: CKA.VERIFY, value: true },
  ];
}

/**
 * Generates a target key of `spec` labelled `label` on the token, and describes it.
 *
 * @throws TokenError `ERR_PKCS11_KEY_EXISTS`, `ERR_PKCS11_MECHANISM_MISSING`,
 *   `ERR_PKCS11_CURVE_UNSUPPORTED`, `ERR_PKCS11_KEY_TYPE`, `ERR_PKCS11_CALL`.
 */
export function generateTargetKeyOnToken(
  ts: TokenSession,
  spec: KeySpec,
  label: string,
): TargetKeyOnToken {
  const what = `--generate ${describeKeySpec(spec)}`;
  assertCanGenerate(ts.mechanisms, spec, what);
  if (findObjects(ts, [{ type: CKA.LABEL, value: label }]).length > 0) {
    throw new TokenError(
      "ERR_PKCS11_KEY_EXISTS",
      `--key-label "${label}": token "${ts.slot.token.label}" already has an object with that label: to wrap that key pass --key-label without --generate, or choose a new label`,
    );
  }
  // One CKA_ID for both halves: how PKCS#11 tools pair a private key with its public key.
  const id = randomBytes(16);
  const mechanism = { mechanism: keyGenMechanism(spec) };
  const { library, session } = ts;
  let handle: Buffer;
  try {
    switch (spec.kty) {
      case "RSA":
        handle = library.C_GenerateKeyPair(
          session,
          mechanism,
          [
            ...publicPart(label, id),
            { type: CKA.KEY_TYPE, value: CKK.RSA },
            { type: CKA.MODULUS_BITS, value: spec.size },
            { type: CKA.PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
            { type: CKA.ENCRYPT, value: true },
          ],
          [
            { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
            { type: CKA.KEY_TYPE, value: CKK.RSA },
            ...secretPart(label, id),
            { type: CKA.SIGN, value: true },
            { type: CKA.DECRYPT, value: true },
          ],
        ).privateKey;
        break;
      case "EC":
        handle = library.C_GenerateKeyPair(
          session,
          mechanism,
          [
            ...publicPart(label, id),
            { type: CKA.KEY_TYPE, value: CKK.EC },
            { type: CKA.EC_PARAMS, value: ecParamsOf(spec.curve) },
          ],
          [
            { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
            { type: CKA.KEY_TYPE, value: CKK.EC },
            ...secretPart(label, id),
            { type: CKA.SIGN, value: true },
          ],
        ).privateKey;
        break;
      case "oct":
        handle = library.C_GenerateKey(session, mechanism, [
          { type: CKA.CLASS, value: CKO.SECRET_KEY },
          { type: CKA.KEY_TYPE, value: CKK.AES },
          { type: CKA.VALUE_LEN, value: spec.size / 8 },
          ...secretPart(label, id),
          { type: CKA.ENCRYPT, value: true },
          { type: CKA.DECRYPT, value: true },
        ]);
        break;
    }
  } catch (cause) {
    throw generateError(cause, spec, what);
  }
  const key = describeKey(ts, handle);
  return { ...key, spec };
}

function generateError(cause: unknown, spec: KeySpec, what: string): TokenError {
  switch (ckrOf(cause)) {
    case CKR.CURVE_NOT_SUPPORTED:
    case CKR.DOMAIN_PARAMS_INVALID:
      return new TokenError(
        "ERR_PKCS11_CURVE_UNSUPPORTED",
        `${what}: the token does not support this curve: choose another of ec-p256, ec-p384, ec-p521 (ec-p256k needs a token with secp256k1)`,
        { cause },
      );
    case CKR.KEY_SIZE_RANGE:
      return new TokenError(
        "ERR_PKCS11_KEY_TYPE",
        `${what}: the token cannot generate a key of this size: choose another size`,
        { cause },
      );
    case CKR.MECHANISM_INVALID:
      return new TokenError(
        "ERR_PKCS11_MECHANISM_MISSING",
        `${what}: the token refused the key generation mechanism: choose another key type`,
        { cause },
      );
    case undefined:
    default:
      return callError(
        "C_GenerateKey",
        `generating the ${describeKeySpec(spec)} target key`,
        cause,
      );
  }
}
