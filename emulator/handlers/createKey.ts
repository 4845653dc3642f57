/**
 * `POST /keys/{name}/create`: a new key, or a new version of an existing one (contracts §3.1).
 * Generation runs off the event loop, so an RSA-4096 create does not stall other requests.
 *
 * @module
 */
import { EC_CURVES, isEcCurve } from "../../byok/index.js";
import type { EcCurve } from "../../byok/index.js";
import { generateKeyMaterial } from "../crypto/keyMaterial.js";
import type { GenerateSpec } from "../crypto/keyMaterial.js";
import { badParameter } from "../errors.js";
import { renderKeyBundle } from "../keyBundle.js";
import {
  checkKeyType,
  newVersionId,
  requireKeyName,
  requireNameNotDeleted,
  requireReleasePolicyMatchesExportable,
  resolveKeyOps,
} from "../keyRules.js";
import { defineOperation } from "../operation.js";
import type { StoredKeyVersion, StoredReleasePolicy } from "../store/keyStore.js";
import type { AttributesInput } from "../validation.js";
import {
  optionalAttributes,
  optionalInteger,
  optionalReleasePolicy,
  optionalString,
  optionalStringArray,
  optionalTags,
  requireObject,
  requireString,
} from "../validation.js";

interface CreateKeyRequest {
  readonly name: string;
  readonly kty: string;
  readonly spec: GenerateSpec;
  readonly crv?: EcCurve;
  readonly keyOps: readonly string[];
  readonly attributes: AttributesInput;
  readonly tags: Record<string, string>;
  readonly releasePolicy?: StoredReleasePolicy;
}

export const createKey = defineOperation<CreateKeyRequest>({
  validate({ params, body }, { vault }) {
    const name = requireKeyName(params.name);
    const json = requireObject(body, "The request body");
    const kty = requireString(json, "kty", "body");
    const family = checkKeyType(kty, vault);
    const size = optionalInteger(json, "key_size", "body");
    let spec: GenerateSpec;
    let crv: EcCurve | undefined;
    if (family === "RSA") {
      const bits = size ?? 2048;
      if (![2048, 3072, 4096].includes(bits))
        throw badParameter(
          `key_size ${bits} is not supported for ${kty}: use 2048, 3072 or 4096.`,
          "KeySizeNotSupported",
        );
      const publicExponent = optionalInteger(json, "public_exponent", "body") ?? 65537;
      if (publicExponent !== 65537 && publicExponent !== 3)
        throw badParameter(`public_exponent ${publicExponent} is not supported: use 65537.`);
      spec = { family, size: bits, publicExponent };
    } else if (family === "EC") {
      const curve = optionalString(json, "crv", "body") ?? "P-256";
      if (!isEcCurve(curve))
        throw badParameter(
          `crv "${curve}" is not supported: use one of ${EC_CURVES.join(", ")}.`,
          "CurveNotSupported",
        );
      if (size !== undefined)
        throw badParameter("key_size is not used for EC keys: give crv instead.");
      crv = curve;
      spec = { family, curve };
    } else {
      const bits = size ?? 256;
      if (![128, 192, 256].includes(bits))
        throw badParameter(
          `key_size ${bits} is not supported for ${kty}: use 128, 192 or 256.`,
          "KeySizeNotSupported",
        );
      spec = { family, size: bits };
    }
    const attributes = optionalAttributes(json, "body");
    const releasePolicy = optionalReleasePolicy(json, "body");
    requireReleasePolicyMatchesExportable(attributes.exportable, releasePolicy !== undefined);
    return {
      name,
      kty,
      spec,
      ...(crv === undefined ? {} : { crv }),
      keyOps: resolveKeyOps(family, kty, optionalStringArray(json, "key_ops", "body")),
      attributes,
      tags: optionalTags(json, "tags", "body") ?? {},
      ...(releasePolicy === undefined ? {} : { releasePolicy }),
    };
  },
  async handle(request, context) {
    requireNameNotDeleted(context, request.name);
    const material = await generateKeyMaterial(request.spec);
    const version: StoredKeyVersion = {
      version: newVersionId(),
      kty: request.kty,
      keyOps: request.keyOps,
      ...(request.crv === undefined ? {} : { crv: request.crv }),
      ...(request.spec.family === "EC" ? {} : { keySize: request.spec.size }),
      enabled: request.attributes.enabled ?? true,
      ...(request.attributes.nbf === undefined ? {} : { nbf: request.attributes.nbf }),
      ...(request.attributes.exp === undefined ? {} : { exp: request.attributes.exp }),
      created: context.now,
      updated: context.now,
      exportable: request.attributes.exportable ?? false,
      tags: request.tags,
      ...(request.releasePolicy === undefined ? {} : { releasePolicy: request.releasePolicy }),
      material,
    };
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
