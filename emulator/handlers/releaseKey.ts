/**
 * `POST /keys/{name}[/{version}]/release`: secure key release (contracts §3.1, §3.2
 * KeyReleaseParameters `{ target, nonce?, enc? }`). Only an exportable key with a release policy
 * is released, to an attestation token (`target`) whose claims satisfy the policy; the answer is
 * `{ value: <JWS> }` whose payload carries the key wrapped for the RSA key in the token's runtime
 * data (releasePolicy.ts, keyRelease.ts).
 *
 * Refusals: a key that is not exportable (or has no release policy) is a 400 BadParameter with
 * inner code KeyNotExportable: the service reports the release-policy and exportability rules as
 * 400 BadParameter (its AKV.SKR.1001/1004/1005 errors), keeping 403 for what the caller may do.
 * A KEK (key_ops ["import"]) is a 403 KeyOperationForbidden before anything else, like every
 * other operation on it; a disabled or out-of-date key a 403 KeyDisabled; an attestation that does
 * not satisfy the policy a 403 ReleasePolicyNotSatisfied; a bad token a 400 InvalidAttestationToken.
 *
 * @module
 */
import { formatKeyId } from "../../byok/index.js";
import { badParameter, keyNotUsable, operationNotAllowed } from "../errors.js";
import { renderKeyBundle } from "../keyBundle.js";
import { RELEASE_ENCRYPTIONS, runtimePublicKey, wrapForRelease } from "../keyRelease.js";
import type { ReleaseEncryption } from "../keyRelease.js";
import { requireKeyName, requireVersion } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import { checkReleasePolicy, readAttestationToken } from "../releasePolicy.js";
import { optionalString, requireObject, requireString } from "../validation.js";

interface ReleaseRequest {
  readonly name: string;
  readonly version?: string;
  readonly target: string;
  readonly nonce?: string;
  readonly enc: ReleaseEncryption;
}

export const releaseKey = defineOperation<ReleaseRequest>({
  validate({ params, body }) {
    const json = requireObject(body, "The request body");
    const enc = optionalString(json, "enc", "body") ?? "CKM_RSA_AES_KEY_WRAP";
    if (!Object.hasOwn(RELEASE_ENCRYPTIONS, enc)) {
      throw badParameter(
        `body.enc "${enc}" is not a key release algorithm: use ${Object.keys(RELEASE_ENCRYPTIONS).join(", ")}.`,
      );
    }
    const nonce = optionalString(json, "nonce", "body");
    return {
      name: requireKeyName(params.name),
      ...(params.version === undefined ? {} : { version: params.version }),
      target: requireString(json, "target", "body"),
      ...(nonce === undefined ? {} : { nonce }),
      enc: enc as ReleaseEncryption,
    };
  },
  handle(request, context) {
    const { key, version } = requireVersion(context, request.name, request.version);
    if (version.keyOps.includes("import"))
      throw operationNotAllowed("release", key.name, version.keyOps);
    if (!version.enabled)
      throw keyNotUsable(key.name, "the key is disabled; enable it with an update");
    if (version.nbf !== undefined && version.nbf > context.now)
      throw keyNotUsable(key.name, "the key is not yet valid (nbf)");
    if (version.exp !== undefined && version.exp <= context.now)
      throw keyNotUsable(key.name, "the key has expired (exp)");
    if (!version.exportable || version.releasePolicy === undefined) {
      throw badParameter(
        `Key ${key.name} cannot be released: it is not exportable. Only keys created or imported with attributes.exportable true and a release_policy can be released.`,
        "KeyNotExportable",
      );
    }
    const attestation = readAttestationToken(request.target, context.now);
    checkReleasePolicy(key.name, version.releasePolicy.data, attestation);
    const wrappingKey = runtimePublicKey(attestation.runtimeKey);
    if (wrappingKey === undefined) {
      throw badParameter(
        "target is not a usable attestation token: its runtime key is not an RSA key of 2048 bits or more.",
        "InvalidAttestationToken",
      );
    }
    const kid = formatKeyId(context.vaultUrl, key.name, version.version);
    const bundle = renderKeyBundle(context.vaultUrl, context.vault, key, version);
    const payload = {
      request: {
        "api-version": context.apiVersion,
        enc: request.enc,
        kid,
        ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      },
      response: {
        key: {
          ...bundle,
          key: {
            ...(bundle.key as Record<string, unknown>),
            key_hsm: wrapForRelease(
              version.material,
              wrappingKey,
              attestation.runtimeKey.kid,
              request.enc,
            ),
          },
        },
      },
      iat: context.now,
    };
    return { status: 200, body: { value: context.releaseSigner.sign(payload) } };
  },
});
