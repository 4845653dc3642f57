/**
 * What the serialized providers run. The provider objects stored in state (`__provider`) are
 * thin shells that `require("pulumi-azure-byok/provider/runtime")` by package name, so this
 * module is loaded from the program's `node_modules` in the plugin host and an upgraded package
 * fixes old stacks too (pulumi/pulumi#6238).
 *
 * `check` and `diff` are pure (no network, no Azure SDK); create, read, update and delete load
 * the Azure client layer lazily on first use.
 *
 * @module
 * @internal
 */
import { parseByokFile, parseKeyId } from "../byok/index.js";
import type { TargetKeyType } from "../byok/index.js";
import { byokDigestOf, byokHeaderOf, stageByok, takeStagedByok } from "./byokDigest.js";
import { ProviderError } from "./errors.js";
import { decideOnExistingKey, sameSpki } from "./existingKey.js";
import { IMPORT_KEK_CHANGES, IMPORTED_KEY_CHANGES, planKeyChange } from "./keyDiff.js";
import type { KeyChangePlan } from "./keyDiff.js";
import type {
  ByokHeaderOutput,
  ByokImportedKeyInputs,
  ByokImportedKeyOutputs,
  ImportKekInputs,
  ImportKekOutputs,
  KeyFacts,
} from "./types.js";
import type { CheckFailure } from "./validateCommon.js";
import { retryWhileRoleIsPending } from "./roleWait.js";
import { DEFAULT_KEK_SIZE, validateImportKekInputs } from "./validateImportKek.js";
import { validateImportedKeyInputs } from "./validateImportedKey.js";
import type * as AzureModule from "./azure/index.js";

type AzureLayer = typeof AzureModule;

/** Loads the Azure client layer (and so the Azure SDK) on first use only. */
async function azure(): Promise<AzureLayer> {
  return import("./azure/index.js");
}

type Props = Record<string, unknown>;

/** The result of `check`, as the dynamic provider interface wants it. */
export interface CheckResult {
  readonly inputs: Props;
  readonly failures: CheckFailure[];
}

/** The result of `diff`. */
export interface DiffResult {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

/** Drops keys whose value is `undefined`, which `google.protobuf.Struct` refuses (reference §1.5). */
function plain<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toDiff(plan: KeyChangePlan): DiffResult {
  return { changes: plan.changes, replaces: plan.replaces, deleteBeforeReplace: false };
}

function commonOutputs(
  facts: KeyFacts,
  latestVersion: string,
  news: { name: string; purgeOnDelete?: boolean },
) {
  return {
    vaultUrl: facts.vaultUrl,
    name: news.name,
    kid: facts.kid,
    versionlessId: facts.versionlessId,
    version: facts.version,
    latestVersion,
    keyOps: facts.keyOps,
    attributes: facts.attributes,
    tags: facts.tags,
    enabled: facts.attributes.enabled,
    expiresOn: facts.attributes.expiresOn,
    notBefore: facts.attributes.notBefore,
    purgeOnDelete: news.purgeOnDelete ?? false,
  };
}

function dateAndTagOptions(news: {
  enabled?: boolean;
  expiresOn?: string;
  notBefore?: string;
  tags?: Record<string, string>;
}) {
  return plain({
    enabled: news.enabled ?? true,
    expiresOn: news.expiresOn,
    notBefore: news.notBefore,
    tags: news.tags ?? {},
  });
}

/**
 * Runs a create, retrying a refusal for a missing role for `roleWaitSeconds` (default 0: fail
 * at once), since a role granted in the same deployment may not have taken effect yet.
 */
function withRoleWait<T>(
  news: { vaultUrl: string; name: string; roleWaitSeconds?: number },
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const subject = `${what} "${news.name}" in ${news.vaultUrl}`;
  return retryWhileRoleIsPending({ seconds: news.roleWaitSeconds ?? 0, subject }, work);
}

/**
 * Where `read` finds the key: the state when it has one, else the resource id (a versionless or
 * versioned key id). Today's engine never reads without state: `pulumi import` sends no
 * properties, so the plugin host has no `__provider` to run (pulumi/pulumi#16175) and
 * `adoptExisting` is the way to bring a key in. An engine that sends `__provider` alone would
 * reach this; test/provider/lifecycle.test.ts ("Read by key id") drives it through the host.
 */
function locate(id: string, props: Props): { vaultUrl: string; name: string; version?: string } {
  if (typeof props.vaultUrl === "string" && typeof props.name === "string") {
    return plain({
      vaultUrl: props.vaultUrl,
      name: props.name,
      version: typeof props.version === "string" ? props.version : undefined,
    });
  }
  const key = parseKeyId(id, "the resource id");
  return plain({ vaultUrl: key.vaultUrl, name: key.name, version: key.version });
}

/** Reads the managed version and the latest one; `undefined` when the key is gone. */
async function readBoth(
  id: string,
  props: Props,
): Promise<{ ours: KeyFacts; latest: KeyFacts; name: string } | undefined> {
  const { readKey } = await azure();
  const where = locate(id, props);
  const latest = await readKey(where.vaultUrl, where.name);
  if (latest === undefined) return undefined;
  const ours =
    where.version === undefined || where.version === latest.version
      ? latest
      : await readKey(where.vaultUrl, where.name, { version: where.version });
  return { ours: ours ?? latest, latest, name: where.name };
}

// ---------------------------------------------------------------------------------------------
// ImportKek

function kekOutputs(
  facts: KeyFacts,
  latestVersion: string,
  news: ImportKekInputs,
): ImportKekOutputs {
  return plain({
    ...commonOutputs(facts, latestVersion, news),
    publicKeyPem: facts.publicKeyPem ?? "",
    keySize: facts.keySize ?? news.size ?? DEFAULT_KEK_SIZE,
  });
}

/** The implementation behind `ImportKek`'s serialized provider. */
export const importKekImplementation = {
  check(_olds: Props, news: Props): CheckResult {
    return validateImportKekInputs(news);
  },

  diff(_id: string, olds: Props, news: Props): DiffResult {
    return toDiff(
      planKeyChange(olds, news, { table: IMPORT_KEK_CHANGES, restoreLatestVersion: false }),
    );
  },

  async create(inputs: Props): Promise<{ id: string; outs: ImportKekOutputs }> {
    const news = inputs as unknown as ImportKekInputs;
    const { createKek } = await azure();
    const facts = await withRoleWait(news, "KEK", () =>
      createKek(news.vaultUrl, news.name, {
        size: news.size ?? DEFAULT_KEK_SIZE,
        ...dateAndTagOptions(news),
      }),
    );
    return { id: facts.versionlessId, outs: kekOutputs(facts, facts.version, news) };
  },

  async read(id: string, props: Props = {}): Promise<{ id?: string; props?: Props }> {
    const found = await readBoth(id, props);
    if (found === undefined) return {};
    const stored = props as Partial<ImportKekOutputs>;
    const outs = kekOutputs(found.ours, found.latest.version, {
      vaultUrl: found.ours.vaultUrl,
      name: found.name,
      purgeOnDelete: stored.purgeOnDelete ?? false,
    });
    return { id: found.ours.versionlessId, props: { ...outs } };
  },

  async update(_id: string, olds: Props, newsProps: Props): Promise<{ outs: ImportKekOutputs }> {
    const news = newsProps as unknown as ImportKekInputs;
    const stored = olds as unknown as ImportKekOutputs;
    const plan = planKeyChange(olds, newsProps, {
      table: IMPORT_KEK_CHANGES,
      restoreLatestVersion: false,
    });
    const layer = await azure();
    let facts: KeyFacts | undefined;
    if (plan.newVersion.length > 0) {
      // A KEK size change is a new KEK version under the same name; the old version stays, so
      // .byok files wrapped for it still name a key that exists.
      facts = await layer.createKek(news.vaultUrl, news.name, {
        size: news.size ?? DEFAULT_KEK_SIZE,
        ...dateAndTagOptions(news),
      });
      return { outs: kekOutputs(facts, facts.version, news) };
    }
    if (plan.update.some((property) => property !== "purgeOnDelete")) {
      facts = await layer.updateKeyVersion(
        news.vaultUrl,
        news.name,
        stored.version,
        dateAndTagOptions(news),
      );
    } else {
      facts = await layer.readKey(news.vaultUrl, news.name, { version: stored.version });
    }
    if (facts === undefined) {
      throw new ProviderError(
        "ERR_KEY_NOT_FOUND",
        `KEK "${news.name}" in ${news.vaultUrl} no longer exists: run pulumi refresh, then pulumi up to create it again`,
      );
    }
    return { outs: kekOutputs(facts, stored.latestVersion, news) };
  },

  async delete(_id: string, props: Props): Promise<void> {
    const stored = props as unknown as ImportKekOutputs;
    const { deleteKey } = await azure();
    await deleteKey(stored.vaultUrl, stored.name, { purge: stored.purgeOnDelete });
  },
};

// ---------------------------------------------------------------------------------------------
// ByokImportedKey

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

/** The implementation behind `ByokImportedKey`'s serialized provider. */
export const byokImportedKeyImplementation = {
  check(_olds: Props, news: Props): CheckResult {
    const { inputs, failures, byokText } = validateImportedKeyInputs(news);
    if (byokText !== undefined) stageByok(byokText);
    return { inputs, failures };
  },

  diff(_id: string, olds: Props, news: Props): DiffResult {
    return toDiff(planKeyChange(olds, news, { table: IMPORTED_KEY_CHANGES }));
  },

  async create(inputs: Props): Promise<{ id: string; outs: ByokImportedKeyOutputs }> {
    const news = inputs as unknown as ByokImportedKeyInputs;
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
  },

  async delete(_id: string, props: Props): Promise<void> {
    const stored = props as unknown as ByokImportedKeyOutputs;
    const { deleteKey } = await azure();
    await deleteKey(stored.vaultUrl, stored.name, { purge: stored.purgeOnDelete });
  },
};

// ---------------------------------------------------------------------------------------------
// Managed HSM data plane

export { hsmActivationImplementation } from "./hsmActivationRuntime.js";
export { hsmRoleAssignmentImplementation } from "./hsmRoleAssignmentRuntime.js";
