/**
 * `PATCH /keys/{name}[/{version}]`: key_ops, attributes, tags and release policy of a version
 * (the latest when none is given). An immutable release policy cannot change, exportability
 * cannot change at all, and a key that is not exportable cannot be given a release policy: a
 * PATCH never makes a key releasable (keyRules.ts).
 *
 * @module
 */
import { badParameter } from "../errors.js";
import { renderKeyBundle } from "../keyBundle.js";
import {
  requireExportabilityUnchanged,
  requireKeyName,
  requireVersion,
  resolveKeyOps,
} from "../keyRules.js";
import type { KeyFamily } from "../keyRules.js";
import { defineOperation } from "../operation.js";
import type {
  KeyVersionChanges,
  StoredKeyVersion,
  StoredReleasePolicy,
} from "../store/keyStore.js";
import type { AttributesInput } from "../validation.js";
import {
  optionalAttributes,
  optionalReleasePolicy,
  optionalStringArray,
  optionalTags,
  requireObject,
} from "../validation.js";

interface UpdateKeyRequest {
  readonly name: string;
  readonly version?: string;
  readonly keyOps?: readonly string[];
  readonly attributes: AttributesInput;
  readonly tags?: Record<string, string>;
  readonly releasePolicy?: StoredReleasePolicy;
}

export const updateKey = defineOperation<UpdateKeyRequest>({
  validate({ params, body }) {
    const json = requireObject(body ?? {}, "The request body");
    const keyOps = optionalStringArray(json, "key_ops", "body");
    const tags = optionalTags(json, "tags", "body");
    const releasePolicy = optionalReleasePolicy(json, "body");
    return {
      name: requireKeyName(params.name),
      ...(params.version === undefined ? {} : { version: params.version }),
      ...(keyOps === undefined ? {} : { keyOps }),
      attributes: optionalAttributes(json, "body"),
      ...(tags === undefined ? {} : { tags }),
      ...(releasePolicy === undefined ? {} : { releasePolicy }),
    };
  },
  handle(request, context) {
    const { key, version } = requireVersion(context, request.name, request.version);
    const family = version.kty.replace(/-HSM$/, "") as KeyFamily;
    if (request.keyOps !== undefined) {
      const wasKek = version.keyOps.includes("import");
      const becomesKek = request.keyOps.includes("import");
      if (wasKek !== becomesKek) {
        throw badParameter(
          'key_ops cannot add or remove "import": a KEK stays import-only, and other keys cannot become KEKs. Create a new key instead.',
        );
      }
    }
    if (request.releasePolicy !== undefined && version.releasePolicy?.immutable === true) {
      throw badParameter("release_policy is immutable on this key and cannot be changed.");
    }
    const { nbf, exp } = request.attributes;
    const effectiveNbf = nbf ?? version.nbf;
    const effectiveExp = exp ?? version.exp;
    if (effectiveNbf !== undefined && effectiveExp !== undefined && effectiveExp <= effectiveNbf) {
      throw badParameter("attributes.exp must be after attributes.nbf.");
    }
    requireExportabilityUnchanged(
      key.name,
      version,
      request.attributes.exportable,
      request.releasePolicy !== undefined,
    );
    const changes: KeyVersionChanges = {
      updated: context.now,
      ...(request.keyOps === undefined
        ? {}
        : { keyOps: resolveKeyOps(family, version.kty, request.keyOps) }),
      ...(request.attributes.enabled === undefined ? {} : { enabled: request.attributes.enabled }),
      ...(nbf === undefined ? {} : { nbf }),
      ...(exp === undefined ? {} : { exp }),
      ...(request.tags === undefined ? {} : { tags: request.tags }),
      ...(request.releasePolicy === undefined ? {} : { releasePolicy: request.releasePolicy }),
    };
    const updated: StoredKeyVersion = {
      ...version,
      keyOps: changes.keyOps ?? version.keyOps,
      enabled: changes.enabled ?? version.enabled,
      tags: changes.tags ?? version.tags,
      updated: context.now,
      ...(nbf === undefined ? {} : { nbf }),
      ...(exp === undefined ? {} : { exp }),
      ...(changes.releasePolicy === undefined ? {} : { releasePolicy: changes.releasePolicy }),
    };
    return {
      status: 200,
      body: renderKeyBundle(context.vaultUrl, context.vault, key, updated),
      mutations: [
        {
          op: "updateVersion",
          vault: context.vault.name,
          name: key.name,
          version: version.version,
          changes,
        },
      ],
    };
  },
});
