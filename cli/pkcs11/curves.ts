/**
 * EC curves as PKCS#11 names them: `CKA_EC_PARAMS` holds the DER of the curve's OID (a
 * namedCurve, X9.62 §C.3.5), and `CKA_EC_POINT` a DER OCTET STRING around the uncompressed point.
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { EcCurve } from "../../byok/index.js";

/** DER of each curve's OID, as `CKA_EC_PARAMS` takes it. */
const EC_PARAMS_HEX: Readonly<Record<EcCurve, string>> = {
  "P-256": "06082a8648ce3d030107", // 1.2.840.10045.3.1.7 prime256v1
  "P-256K": "06052b8104000a", // 1.3.132.0.10 secp256k1
  "P-384": "06052b81040022", // 1.3.132.0.34 secp384r1
  "P-521": "06052b81040023", // 1.3.132.0.35 secp521r1
};

/** The field size in bytes of each curve: the length of x and of y in an uncompressed point. */
const FIELD_BYTES: Readonly<Record<EcCurve, number>> = {
  "P-256": 32,
  "P-256K": 32,
  "P-384": 48,
  "P-521": 66,
};

/** JWK `crv` of each curve (RFC 7518 §6.2.1.1; `secp256k1` per RFC 8812). */
const JWK_CURVES: Readonly<Record<EcCurve, string>> = {
  "P-256": "P-256",
  "P-256K": "secp256k1",
  "P-384": "P-384",
  "P-521": "P-521",
};

/** `CKA_EC_PARAMS` for a curve. */
export function ecParamsOf(curve: EcCurve): Buffer {
  return Buffer.from(EC_PARAMS_HEX[curve], "hex");
}

/** The curve a `CKA_EC_PARAMS` value names, or undefined for a curve Azure does not import. */
export function curveOfEcParams(params: Uint8Array): EcCurve | undefined {
  const hex = Buffer.from(params).toString("hex");
  const entry = Object.entries(EC_PARAMS_HEX).find(([, value]) => value === hex);
  return entry?.[0] as EcCurve | undefined;
}

/**
 * The public key from `CKA_EC_POINT`. PKCS#11 says DER OCTET STRING, but some tokens return the
 * bare point; both start with 0x04, so the DER reading is taken only when its length fits exactly.
 */
export function ecPublicKeyOf(curve: EcCurve, ecPoint: Uint8Array): KeyObject | undefined {
  const n = FIELD_BYTES[curve];
  const pointLength = 1 + 2 * n;
  let point: Buffer = Buffer.from(ecPoint);
  if (point.length !== pointLength || point[0] !== 0x04) {
    const inner = derOctetString(point);
    if (inner === undefined) return undefined;
    point = inner;
  }
  if (point.length !== pointLength || point[0] !== 0x04) return undefined;
  return createPublicKey({
    key: {
      kty: "EC",
      crv: JWK_CURVES[curve],
      x: point.subarray(1, 1 + n).toString("base64url"),
      y: point.subarray(1 + n).toString("base64url"),
    },
    format: "jwk",
  });
}

function derOctetString(der: Buffer): Buffer | undefined {
  if (der[0] !== 0x04 || der.length < 2) return undefined;
  const first = der[1] ?? 0;
  let length = first;
  let offset = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 2) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[2 + i] ?? 0);
    offset = 2 + count;
  }
  return offset + length === der.length ? der.subarray(offset) : undefined;
}
