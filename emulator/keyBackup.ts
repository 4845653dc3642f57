/**
 * The backup blob (contracts §3.1 BackupKey/RestoreKey): opaque to clients, like the service's.
 * All versions of a key, serialized and sealed with AES-256-GCM under the store's key, so a blob
 * restores into the emulator (data dir) that made it and nowhere else, and never shows material.
 *
 * @module
 */
import type { KeyMaterial, Sealer, StoredKeyVersion } from "./store/keyStore.js";

const MAGIC = "AZBYOKEMU1";
const CONTEXT = "azure-byok-emulator key backup";

interface EncodedVersion extends Omit<StoredKeyVersion, "material" | "releasePolicy"> {
  readonly material: { readonly kind: KeyMaterial["kind"]; readonly bytes: string };
  readonly releasePolicy?: {
    readonly contentType: string;
    readonly immutable: boolean;
    readonly data: string;
  };
}

/** Seals a key's versions into a blob. */
export function sealBackup(
  name: string,
  versions: readonly StoredKeyVersion[],
  sealer: Sealer,
): Buffer {
  const encoded: EncodedVersion[] = versions.map((v) => {
    const { material, releasePolicy, ...rest } = v;
    return {
      ...rest,
      material: {
        kind: material.kind,
        bytes: (material.kind === "pkcs8" ? material.der : material.bytes).toString("base64"),
      },
      ...(releasePolicy === undefined
        ? {}
        : { releasePolicy: { ...releasePolicy, data: releasePolicy.data.toString("base64") } }),
    };
  });
  const sealed = sealer.seal(Buffer.from(JSON.stringify({ name, versions: encoded })), CONTEXT);
  return Buffer.concat([Buffer.from(MAGIC), sealed]);
}

/** Opens a blob; `undefined` when it is not one of ours or was changed. */
export function openBackup(
  blob: Buffer,
  sealer: Sealer,
): { name: string; versions: StoredKeyVersion[] } | undefined {
  if (blob.subarray(0, MAGIC.length).toString() !== MAGIC) return undefined;
  let parsed: { name: string; versions: EncodedVersion[] };
  try {
    parsed = JSON.parse(
      sealer.open(blob.subarray(MAGIC.length), CONTEXT).toString("utf8"),
    ) as typeof parsed;
  } catch {
    return undefined;
  }
  const versions = parsed.versions.map((v): StoredKeyVersion => {
    const { material, releasePolicy, ...rest } = v;
    const bytes = Buffer.from(material.bytes, "base64");
    return {
      ...rest,
      material: material.kind === "pkcs8" ? { kind: "pkcs8", der: bytes } : { kind: "oct", bytes },
      ...(releasePolicy === undefined
        ? {}
        : { releasePolicy: { ...releasePolicy, data: Buffer.from(releasePolicy.data, "base64") } }),
    };
  });
  return { name: parsed.name, versions };
}
