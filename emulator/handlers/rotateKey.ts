/**
 * `POST /keys/{name}/rotate`: a new version of the same type, size, curve and operations.
 * KEKs and imported keys rotate into freshly generated material, as in the service.
 *
 * @module
 */
import type { EcCurve } from "../../byok/index.js";
import { generateKeyMaterial } from "../crypto/keyMaterial.js";
import type { GenerateSpec } from "../crypto/keyMaterial.js";
import { renderKeyBundle } from "../keyBundle.js";
import { latestVersion, requireKeyName, requireLiveKey } from "../keyRules.js";
import { buildKeyVersion } from "../keyVersion.js";
import { defineOperation } from "../operation.js";

export const rotateKey = defineOperation<{ name: string }>({
  validate: ({ params }) => ({ name: requireKeyName(params.name) }),
  async handle(request, context) {
    const key = requireLiveKey(context, request.name);
    const latest = latestVersion(key);
    const family = latest.kty.replace(/-HSM$/, "");
    const spec: GenerateSpec =
      family === "EC"
        ? { family: "EC", curve: latest.crv as EcCurve }
        : family === "RSA"
          ? { family: "RSA", size: latest.keySize ?? 2048, publicExponent: 65537 }
          : { family: "oct", size: latest.keySize ?? 256 };
    const version = buildKeyVersion({
      kty: latest.kty,
      keyOps: latest.keyOps,
      ...(latest.crv === undefined ? {} : { crv: latest.crv }),
      ...(latest.keySize === undefined ? {} : { keySize: latest.keySize }),
      attributes: { enabled: true, exportable: latest.exportable },
      tags: latest.tags,
      ...(latest.releasePolicy === undefined ? {} : { releasePolicy: latest.releasePolicy }),
      material: await generateKeyMaterial(spec),
      now: context.now,
    });
    return {
      status: 200,
      body: renderKeyBundle(
        context.vaultUrl,
        context.vault,
        { ...key, versions: [...key.versions, version] },
        version,
      ),
      mutations: [{ op: "putVersion", vault: context.vault.name, name: key.name, key: version }],
    };
  },
});
