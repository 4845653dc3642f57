/**
 * What the `ImportKek` and `ByokImportedKey` runtimes share: the lazily loaded Azure client layer,
 * the plain-JSON result shapes, the outputs both keep, and `read`'s lookup of the managed and the
 * latest version.
 *
 * @module
 * @internal
 */
import { parseKeyId } from "../byok/index.js";
import type { KeyChangePlan } from "./keyDiff.js";
import type { KeyFacts } from "./types.js";
import type { CheckFailure } from "./validateCommon.js";
import { retryWhileRoleIsPending } from "./roleWait.js";
import type * as AzureModule from "./azure/index.js";

/** The Azure client layer (`provider/azure/`), as {@link azure} loads it. */
export type AzureLayer = typeof AzureModule;

/** Loads the Azure client layer (and so the Azure SDK) on first use only. */
export async function azure(): Promise<AzureLayer> {
  return import("./azure/index.js");
}

/** Inputs or outputs as the plugin host passes them: plain JSON. */
export type Props = Record<string, unknown>;

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
export function plain<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A plan in the shape `diff` returns; never delete-before-replace (a replace is another key, in
 * another vault or under another name, so both can exist at once).
 */
export function toDiff(plan: KeyChangePlan): DiffResult {
  return { changes: plan.changes, replaces: plan.replaces, deleteBeforeReplace: false };
}

/** The outputs both resources keep, from what the vault says about the managed version. */
export function commonOutputs(
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

/** The attributes and tags create and PATCH send: `enabled` defaults to true, tags to none. */
export function dateAndTagOptions(news: {
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
export function withRoleWait<T>(
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
export async function readBoth(
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
