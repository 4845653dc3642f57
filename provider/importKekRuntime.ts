/**
 * What `ImportKek`'s serialized provider runs (re-exported by `runtime.ts`): create makes an
 * import-only RSA-HSM key, update PATCHes it or (for a size change) makes a new version, read
 * reports drift, delete soft-deletes or purges.
 *
 * @module
 * @internal
 */
import { ProviderError } from "./errors.js";
import { IMPORT_KEK_CHANGES, planKeyChange } from "./keyDiff.js";
import {
  azure,
  commonOutputs,
  dateAndTagOptions,
  readBoth,
  toDiff,
  withRoleWait,
  plain,
} from "./keyRuntimeCommon.js";
import type { CheckResult, DiffResult, Props } from "./keyRuntimeCommon.js";
import type { ImportKekInputs, ImportKekOutputs, KeyFacts } from "./types.js";
import { DEFAULT_KEK_SIZE, validateImportKekInputs } from "./validateImportKek.js";

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
