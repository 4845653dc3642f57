/**
 * What `ByokImportedKey`'s serialized provider runs (re-exported by `runtime.ts`): check stages
 * the `.byok` content in this process and stores its digest, create imports it (or adopts a key
 * that is already there), update imports a new version or PATCHes the current one, read reports
 * drift, delete soft-deletes or purges.
 *
 * @module
 * @internal
 */
import { parseByokFile } from "../byok/index.js";
import type { TargetKeyType } from "../byok/index.js";
import {
  byokDigestOf,
  byokHeaderOf,
  releaseStagedByok,
  stageByok,
  takeStagedByok,
} from "./byokDigest.js";
import { ProviderError } from "./errors.js";
import { decideOnExistingKey, sameSpki } from "./existingKey.js";
import { IMPORTED_KEY_CHANGES, planKeyChange } from "./keyDiff.js";
import {
  azure,
  commonOutputs,
  dateAndTagOptions,
  plain,
  readBoth,
  toDiff,
  withRoleWait,
} from "./keyRuntimeCommon.js";
import type { AzureLayer, CheckResult, DiffResult, Props } from "./keyRuntimeCommon.js";
import type {
  ByokHeaderOutput,
  ByokImportedKeyInputs,
  ByokImportedKeyOutputs,
  KeyFacts,
} from "./types.js";
import { validateImportedKeyInputs } from "./validateImportedKey.js";

/** The `.byok` content `check` staged for this digest, or a message saying how to get it there. */
function stagedByok(news: ByokImportedKeyInputs): { text: string; digest: string } {
  const digest = byokDigestOf(news.byok);
  const text = takeStagedByok(digest);
  if (text === undefined) {
    throw new ProviderError(
      "ERR_BYOK_NOT_STAGED",
      `the .byok content with SHA-256 ${digest} did not pass through check in this plugin process, so it cannot be imported: run pulumi up (which checks the program's inputs first) rather than replaying stored inputs`,
    );
  }
  return { text, digest };
}

function importedKeyOutputs(
  facts: KeyFacts,
  latestVersion: string,
  news: ByokImportedKeyInputs,
  extra: {
    byokSha256: string;
    byokKekKid: string;
    byokHeader: ByokHeaderOutput | undefined;
    adopted: boolean;
    note?: string;
  },
): ByokImportedKeyOutputs {
  return plain({
    ...commonOutputs(facts, latestVersion, news),
    keyType: news.keyType,
    curve: facts.curve ?? news.curve,
    keySize: facts.keySize,
    publicKeyPem: facts.publicKeyPem,
    byokSha256: extra.byokSha256,
    byokKekKid: extra.byokKekKid,
    byokHeader: extra.byokHeader,
    exportable: facts.attributes.exportable ?? news.exportable ?? false,
    releasePolicy: facts.releasePolicy ?? news.releasePolicy,
    expectedPublicKeyPem: news.expectedPublicKeyPem,
    adopted: extra.adopted,
    note: extra.note,
  });
}

function importOptions(news: ByokImportedKeyInputs, byok: string) {
  return plain({
    byok,
    keyType: news.keyType as TargetKeyType,
    curve: news.curve,
    keyOps: news.keyOps,
    exportable: news.exportable,
    releasePolicy: news.releasePolicy,
    ...dateAndTagOptions(news),
  });
}

/**
 * Imports the `.byok` file and returns the version it made, with exactly one enabled version
 * coming of it. A connection reset after the service committed an import makes the SDK send the
 * import again, which makes a second version of the same key material: the versions that did not
 * exist before the import and hold the same material as the returned one (same public key; for
 * oct, same type and size) are disabled, and `note` says so. Best effort: when the versions cannot
 * be listed, the import stands and `note` says the check was not done.
 */
async function importOnce(
  layer: AzureLayer,
  news: ByokImportedKeyInputs,
  text: string,
): Promise<{ facts: KeyFacts; note?: string }> {
  const before = new Set(await layer.listKeyVersions(news.vaultUrl, news.name));
  const facts = await layer.importByokKey(news.vaultUrl, news.name, importOptions(news, text));
  try {
    const disabled: string[] = [];
    for (const version of await layer.listKeyVersions(news.vaultUrl, news.name)) {
      if (before.has(version) || version === facts.version) continue;
      const other = await layer.readKey(news.vaultUrl, news.name, { version });
      const same =
        other !== undefined &&
        other.kty === facts.kty &&
        other.keySize === facts.keySize &&
        other.publicKeyPem === facts.publicKeyPem;
      if (!same || !other.attributes.enabled) continue;
      await layer.updateKeyVersion(news.vaultUrl, news.name, version, { enabled: false });
      disabled.push(version);
    }
    if (disabled.length === 0) return { facts };
    const note = `a retried import request made ${disabled.length} extra version(s) of the same key material (${disabled.join(", ")}); they are disabled, and version ${facts.version} is the one in state`;
    process.stderr.write(`azure-byok: key "${news.name}" in ${news.vaultUrl}: ${note}\n`);
    return { facts, note };
  } catch (error) {
    return {
      facts,
      note: `imported version ${facts.version}; could not check for duplicate versions a retried request may have made: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function updateOptions(news: ByokImportedKeyInputs) {
  return plain({
    ...dateAndTagOptions(news),
    keyOps: news.keyOps,
    releasePolicy: news.releasePolicy,
  });
}

/**
 * When `expectedPublicKeyPem` is set, proves the vault now holds that key. When it does not, and
 * the version was just imported, disables that version and fails, saying how to recover.
 *
 * Why disable: Key Vault cannot delete one version, only the whole key (every version, and for a
 * new key a soft-deleted name that blocks the next import until it is purged), while leaving the
 * version enabled lets everything that uses the versionless id encrypt or sign with a key nobody
 * meant. A disabled version fails closed, keeps every other version as it was, and is undone by
 * the next successful import, which becomes the current version. The cost, stated in the
 * message: until then, calls through the versionless id fail.
 */
async function verifyExpectedKey(
  news: ByokImportedKeyInputs,
  facts: KeyFacts,
  justImported: boolean,
): Promise<void> {
  const expected = news.expectedPublicKeyPem;
  if (expected === undefined || facts.publicKeyPem === undefined) return;
  if (sameSpki(expected, facts.publicKeyPem)) return;
  let disabled = "";
  if (justImported) {
    try {
      const { updateKeyVersion } = await azure();
      await updateKeyVersion(news.vaultUrl, news.name, facts.version, { enabled: false });
      disabled =
        ` That version has been disabled (Key Vault cannot delete a single version), so nothing can use it;` +
        ` until a good version is imported, calls through the versionless id ${facts.versionlessId} fail, and earlier versions are untouched.`;
    } catch (error) {
      const why = error instanceof Error ? error.message.split(":")[0] : "an error";
      disabled =
        ` Disabling that version failed too (${why ?? "an error"}), so it is the current version and usable:` +
        ` disable it now: az keyvault key set-attributes --id ${facts.kid} --enabled false.`;
    }
  }
  throw new ProviderError(
    "ERR_PUBLIC_KEY_MISMATCH",
    `the public key of ${facts.kid} differs from expectedPublicKeyPem: the .byok file holds another target key than the one you meant.` +
      disabled +
      ` To recover: wrap the intended key again for the KEK, point byok at the new file and run pulumi up (it imports a new, enabled version that becomes the current one);` +
      ` or, if expectedPublicKeyPem is what is wrong, fix it and run pulumi up (the file is imported again as a new version).` +
      (justImported
        ? ` Each failed attempt leaves one disabled version behind. To drop the key with all its versions instead (only if no version is in use): az keyvault key delete --id ${facts.versionlessId}.`
        : ""),
  );
}

/** Create: import the staged file, or adopt the key of that name (see existingKey.ts). */
async function createImportedKey(
  news: ByokImportedKeyInputs,
): Promise<{ id: string; outs: ByokImportedKeyOutputs }> {
  const { text, digest } = stagedByok(news);
  const pkg = parseByokFile(text);
  const layer = await azure();
  const extra = { byokSha256: digest, byokKekKid: pkg.header.kid, byokHeader: byokHeaderOf(pkg) };
  // Safe to run again after a refusal: the refused call changed nothing, and a key a previous
  // try did import is found and adopted below.
  return withRoleWait(news, "key", async () => {
    // The resource is not in state; a key of its name may still exist (made outside Pulumi, or
    // imported by a deploy interrupted before it recorded it): see existingKey.ts.
    const existing =
      news.adoptExisting === false ? undefined : await layer.readKey(news.vaultUrl, news.name);
    const decision = decideOnExistingKey(news, existing, pkg.ciphertext.length);
    if (existing !== undefined && decision.action === "adopt") {
      const facts = await layer.updateKeyVersion(
        news.vaultUrl,
        news.name,
        existing.version,
        updateOptions(news),
      );
      const adopted = { ...extra, adopted: true, note: decision.note };
      return {
        id: facts.versionlessId,
        outs: importedKeyOutputs(facts, facts.version, news, adopted),
      };
    }
    const { facts, note } = await importOnce(layer, news, text);
    await verifyExpectedKey(news, facts, true);
    return {
      id: facts.versionlessId,
      outs: importedKeyOutputs(facts, facts.version, news, { ...extra, adopted: false, note }),
    };
  });
}

/** Update: a new version from the staged file, or the attributes PATCHed in place. */
async function updateImportedKey(
  olds: Props,
  newsProps: Props,
): Promise<{ outs: ByokImportedKeyOutputs }> {
  const news = newsProps as unknown as ByokImportedKeyInputs;
  const stored = olds as unknown as ByokImportedKeyOutputs;
  const plan = planKeyChange(olds, newsProps, { table: IMPORTED_KEY_CHANGES });
  const layer = await azure();
  if (plan.newVersion.length > 0) {
    // Rotation: import the new file as a new version of the same key; the old version stays.
    const { text, digest } = stagedByok(news);
    const pkg = parseByokFile(text);
    const { facts, note } = await importOnce(layer, news, text);
    await verifyExpectedKey(news, facts, true);
    return {
      outs: importedKeyOutputs(facts, facts.version, news, {
        byokSha256: digest,
        byokKekKid: pkg.header.kid,
        byokHeader: byokHeaderOf(pkg),
        adopted: false,
        note,
      }),
    };
  }
  const patch = plan.update.some((p) => p !== "purgeOnDelete" && p !== "expectedPublicKeyPem");
  const facts = patch
    ? await layer.updateKeyVersion(news.vaultUrl, news.name, stored.version, updateOptions(news))
    : await layer.readKey(news.vaultUrl, news.name, { version: stored.version });
  if (facts === undefined) {
    throw new ProviderError(
      "ERR_KEY_NOT_FOUND",
      `key "${news.name}" in ${news.vaultUrl} no longer exists: run pulumi refresh, then pulumi up to import it again`,
    );
  }
  await verifyExpectedKey(news, facts, false);
  return {
    outs: importedKeyOutputs(facts, stored.latestVersion, news, {
      byokSha256: stored.byokSha256,
      byokKekKid: stored.byokKekKid,
      byokHeader: stored.byokHeader,
      adopted: stored.adopted,
    }),
  };
}

/** Lets go of the file staged for these inputs' `byok` digest (byokDigest.ts). */
function releaseByokOf(inputs: Props): void {
  if (typeof inputs.byok === "string") releaseStagedByok(byokDigestOf(inputs.byok));
}

/** The implementation behind `ByokImportedKey`'s serialized provider. */
export const byokImportedKeyImplementation = {
  check(_olds: Props, news: Props): CheckResult {
    const { inputs, failures, byokText } = validateImportedKeyInputs(news);
    if (byokText !== undefined) stageByok(byokText);
    return { inputs, failures };
  },

  diff(_id: string, olds: Props, news: Props): DiffResult {
    const result = toDiff(planKeyChange(olds, news, { table: IMPORTED_KEY_CHANGES }));
    // No create or update follows for this resource in this run: its check's file is not needed.
    if (!result.changes) releaseByokOf(news);
    return result;
  },

  async create(inputs: Props): Promise<{ id: string; outs: ByokImportedKeyOutputs }> {
    try {
      return await createImportedKey(inputs as unknown as ByokImportedKeyInputs);
    } finally {
      releaseByokOf(inputs);
    }
  },

  async read(id: string, props: Props = {}): Promise<{ id?: string; props?: Props }> {
    const found = await readBoth(id, props);
    if (found === undefined) return {};
    const stored = props as Partial<ByokImportedKeyOutputs>;
    const news = plain({
      vaultUrl: found.ours.vaultUrl,
      name: found.name,
      byok: "",
      keyType: stored.keyType ?? found.ours.kty.replace(/-HSM$/, ""),
      curve: stored.curve,
      purgeOnDelete: stored.purgeOnDelete ?? false,
      expectedPublicKeyPem: stored.expectedPublicKeyPem,
    }) as ByokImportedKeyInputs;
    const outs = importedKeyOutputs(found.ours, found.latest.version, news, {
      byokSha256: stored.byokSha256 ?? "",
      byokKekKid: stored.byokKekKid ?? "",
      byokHeader: stored.byokHeader,
      adopted: stored.adopted ?? false,
    });
    return { id: found.ours.versionlessId, props: { ...outs } };
  },

  async update(
    _id: string,
    olds: Props,
    newsProps: Props,
  ): Promise<{ outs: ByokImportedKeyOutputs }> {
    try {
      return await updateImportedKey(olds, newsProps);
    } finally {
      releaseByokOf(newsProps);
    }
  },

  async delete(_id: string, props: Props): Promise<void> {
    const stored = props as unknown as ByokImportedKeyOutputs;
    const { deleteKey } = await azure();
    await deleteKey(stored.vaultUrl, stored.name, { purge: stored.purgeOnDelete });
  },
};
