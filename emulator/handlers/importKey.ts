/**
 * `PUT /keys/{name}`: import a plain JWK, or a BYOK key transfer package in `key_hsm`
 * (contracts §1.7, §3.2). A top-level `Hsm: true` (the Azure CLI sends it) asks for the -HSM type.
 * Imports into an existing name add a version.
 *
 * @module
 */
import { createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import {
  EC_CURVES,
  isEcCurve,
  isOctKeySize,
  isRsaKeySize,
  NODE_CURVE_NAMES,
} from "../../byok/index.js";
import type { EcCurve } from "../../byok/index.js";
import { unwrapKeyHsm } from "../byokImport.js";
import { curveOf, materialOfPrivateKey, rsaBitsOf } from "../crypto/keyMaterial.js";
import { badParameter } from "../errors.js";
import { renderKeyBundle } from "../keyBundle.js";
import {
  checkKeyType,
  requireKeyName,
  requireNameNotDeleted,
  requireReleasePolicyMatchesExportable,
  resolveKeyOps,
} from "../keyRules.js";
import type { KeyFamily } from "../keyRules.js";
import { buildKeyVersion } from "../keyVersion.js";
import { defineOperation } from "../operation.js";
import type { KeyMaterial, StoredReleasePolicy } from "../store/keyStore.js";
import type { AttributesInput, JsonObject } from "../validation.js";
import {
  optionalAttributes,
  optionalBoolean,
  optionalBytes,
  optionalReleasePolicy,
  optionalString,
  optionalStringArray,
  optionalTags,
  requireObject,
  requireString,
} from "../validation.js";

interface ImportKeyRequest {
  readonly name: string;
  readonly kty: string;
  readonly family: KeyFamily;
  readonly crv?: EcCurve;
  readonly keyOps?: readonly string[];
  /** `key_hsm` bytes (the `.byok` file), or the plain JWK. */
  readonly source: { readonly keyHsm: Buffer } | { readonly jwk: JsonObject };
  readonly attributes: AttributesInput;
  readonly tags: Record<string, string>;
  readonly releasePolicy?: StoredReleasePolicy;
}

const PRIVATE_MEMBERS: Record<KeyFamily, readonly string[]> = {
  RSA: ["n", "e", "d", "p", "q", "dp", "dq", "qi"],
  EC: ["x", "y", "d"],
  oct: ["k"],
};

function materialOfJwk(family: KeyFamily, crv: EcCurve | undefined, jwk: JsonObject): KeyMaterial {
  const missing = PRIVATE_MEMBERS[family].filter((member) => typeof jwk[member] !== "string");
  if (missing.length > 0) {
    throw badParameter(
      `key is missing ${missing.map((m) => `"${m}"`).join(", ")}: importing a ${family} key needs its private members (or key_hsm for BYOK).`,
    );
  }
  if (family === "oct") {
    const bytes = optionalBytes(jwk, "k", "key") ?? Buffer.alloc(0);
    if (!isOctKeySize(bytes.length * 8))
      throw badParameter(
        `key.k is ${bytes.length * 8} bits: oct keys are 128, 192 or 256 bits.`,
        "KeySizeNotSupported",
      );
    return { kind: "oct", bytes };
  }
  let privateKey: KeyObject;
  try {
    const members = Object.fromEntries(PRIVATE_MEMBERS[family].map((m) => [m, jwk[m] as string]));
    privateKey =
      family === "RSA"
        ? createPrivateKey({ key: { kty: "RSA", ...members }, format: "jwk" })
        : createPrivateKey({
            key: { kty: "EC", crv: crv === "P-256K" ? "secp256k1" : (crv ?? ""), ...members },
            format: "jwk",
          });
  } catch {
    throw badParameter(
      `key is not a valid ${family} private key: check its members are base64url and belong together.`,
    );
  }
  const material = materialOfPrivateKey(privateKey);
  if (family === "RSA" && !isRsaKeySize(rsaBitsOf(material))) {
    throw badParameter(
      `key is RSA-${rsaBitsOf(material)}: RSA keys must be 2048, 3072 or 4096 bits.`,
      "KeySizeNotSupported",
    );
  }
  return material;
}

export const importKey = defineOperation<ImportKeyRequest>({
  validate({ params, body }, { vault }) {
    const name = requireKeyName(params.name);
    const json = requireObject(body, "The request body");
    const jwk = requireObject(json.key, "key");
    const hsm = optionalBoolean(json, "Hsm", "body") ?? false;
    const requested = requireString(jwk, "kty", "key");
    const kty = hsm && !requested.endsWith("-HSM") ? `${requested}-HSM` : requested;
    const family = checkKeyType(kty, vault, "key.kty");
    const crvValue = optionalString(jwk, "crv", "key");
    if (crvValue !== undefined && !isEcCurve(crvValue))
      throw badParameter(
        `key.crv "${crvValue}" is not supported: use one of ${EC_CURVES.join(", ")}.`,
        "CurveNotSupported",
      );
    if (crvValue !== undefined && family !== "EC")
      throw badParameter(`key.crv is only for EC keys, but key.kty is ${kty}.`);
    const keyHsm = optionalBytes(jwk, "key_hsm", "key");
    if (keyHsm !== undefined && !kty.endsWith("-HSM")) {
      throw badParameter(
        `key.key_hsm (BYOK) needs key.kty RSA-HSM, EC-HSM or oct-HSM, not ${kty}.`,
      );
    }
    if (keyHsm !== undefined && family === "EC" && crvValue === undefined) {
      throw badParameter(
        "key.crv is required when importing an EC-HSM key with key_hsm: give the target key's curve (P-256, P-256K, P-384 or P-521).",
      );
    }
    if (keyHsm === undefined && family === "EC" && crvValue === undefined)
      throw badParameter("key.crv is required for an EC key.");
    const keyOps = optionalStringArray(jwk, "key_ops", "key");
    if (keyOps?.includes("import") === true)
      throw badParameter(
        'key.key_ops "import" is for KEKs, which are created in the vault, not imported.',
      );
    const attributes = optionalAttributes(json, "body");
    const releasePolicy = optionalReleasePolicy(json, "body");
    requireReleasePolicyMatchesExportable(attributes.exportable, releasePolicy !== undefined);
    return {
      name,
      kty,
      family,
      ...(crvValue === undefined ? {} : { crv: crvValue }),
      ...(keyOps === undefined
        ? {}
        : { keyOps: resolveKeyOps(family, kty, keyOps, "key.key_ops") }),
      source: keyHsm === undefined ? { jwk } : { keyHsm },
      attributes,
      tags: optionalTags(json, "tags", "body") ?? {},
      ...(releasePolicy === undefined ? {} : { releasePolicy }),
    };
  },
  handle(request, context) {
    requireNameNotDeleted(context, request.name);
    let material: KeyMaterial;
    if ("keyHsm" in request.source) {
      const recovered = unwrapKeyHsm(
        request.source.keyHsm,
        { family: request.family, ...(request.crv === undefined ? {} : { crv: request.crv }) },
        context,
      );
      material =
        "octKey" in recovered
          ? { kind: "oct", bytes: recovered.octKey }
          : materialOfPrivateKey(recovered.privateKey);
    } else {
      material = materialOfJwk(request.family, request.crv, request.source.jwk);
    }
    const crv =
      material.kind === "pkcs8" && request.family === "EC" ? curveOf(material) : undefined;
    if (request.family === "EC" && crv === undefined) {
      throw badParameter(
        `the key's curve is not supported: use one of ${EC_CURVES.join(", ")} (${Object.values(NODE_CURVE_NAMES).join(", ")} in OpenSSL's names).`,
      );
    }
    const version = buildKeyVersion({
      kty: request.kty,
      keyOps: request.keyOps ?? resolveKeyOps(request.family, request.kty, undefined),
      ...(crv === undefined ? {} : { crv }),
      ...(material.kind === "oct"
        ? { keySize: material.bytes.length * 8 }
        : request.family === "RSA"
          ? { keySize: rsaBitsOf(material) }
          : {}),
      attributes: request.attributes,
      tags: request.tags,
      ...(request.releasePolicy === undefined ? {} : { releasePolicy: request.releasePolicy }),
      material,
      now: context.now,
    });
    const existing = context.store.getKey(context.vault.name, request.name);
    const key = {
      name: existing?.name ?? request.name,
      versions: [...(existing?.versions ?? []), version],
    };
    return {
      status: 200,
      body: renderKeyBundle(context.vaultUrl, context.vault, key, version),
      mutations: [
        { op: "putVersion", vault: context.vault.name, name: request.name, key: version },
      ],
    };
  },
});
