/**
 * One function per service operation the providers use, over the stock `KeyClient`; wire
 * details (`key_hsm`, `*-HSM` key types, bytes, `Date`s) live only here (STYLE.md rule 9).
 *
 * @module
 * @internal
 */
import type { KeyReleasePolicy } from "@azure/keyvault-keys";
import { hsmKeyType } from "../../byok/index.js";
import type { TargetKeyType } from "../../byok/index.js";
import type { KeyFacts, ReleasePolicy, Tags } from "../types.js";
import { isProviderError } from "../errors.js";
import { mapAzureError } from "./errorMapping.js";
import type { ErrorContext, KeyOperationName } from "./errorMapping.js";
import { getKeyClient } from "./keyClients.js";
import { toKeyFacts } from "./keyBundle.js";

/** Attributes every create, import and update can set; dates are ISO 8601 strings. */
export interface KeyAttributeOptions {
  readonly enabled?: boolean;
  readonly notBefore?: string;
  readonly expiresOn?: string;
  readonly tags?: Tags;
}

/** How often the delete poller asks whether the deletion is done. */
const POLL_INTERVAL_MS = 500;

async function call<T>(
  operation: KeyOperationName,
  vaultUrl: string,
  name: string,
  run: () => Promise<T>,
  extra: Pick<ErrorContext, "keyType"> = {},
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const context: ErrorContext = { operation, vaultUrl, name, ...extra };
    throw mapAzureError(error, context);
  }
}

function dates(options: KeyAttributeOptions): { notBefore?: Date; expiresOn?: Date } {
  return {
    ...(options.notBefore === undefined ? {} : { notBefore: new Date(options.notBefore) }),
    ...(options.expiresOn === undefined ? {} : { expiresOn: new Date(options.expiresOn) }),
  };
}

function releasePolicyOf(policy: ReleasePolicy | undefined): KeyReleasePolicy | undefined {
  return policy === undefined
    ? undefined
    : { encodedPolicy: Buffer.from(policy.policy, "utf8"), immutable: policy.immutable ?? false };
}

/** Options of {@link createKek}. */
export interface CreateKekOptions extends KeyAttributeOptions {
  /** RSA modulus size in bits: 2048, 3072 or 4096. */
  readonly size: number;
}

/**
 * Creates an RSA-HSM KEK whose key operations are exactly `["import"]` (contracts §1.2); on an
 * existing name this makes a new version.
 */
export async function createKek(
  vaultUrl: string,
  name: string,
  options: CreateKekOptions,
): Promise<KeyFacts> {
  const { size, enabled = true, tags } = options;
  const key = await call("create the KEK", vaultUrl, name, () =>
    getKeyClient(vaultUrl).createRsaKey(name, {
      hsm: true,
      keySize: size,
      keyOps: ["import"],
      enabled,
      ...dates(options),
      ...(tags === undefined ? {} : { tags }),
    }),
  );
  return toKeyFacts(key);
}

/** Options of {@link importByokKey}. */
export interface ImportByokKeyOptions extends KeyAttributeOptions {
  /** The `.byok` file's content: sent whole as `key_hsm` (contracts §1.7). */
  readonly byok: string;
  readonly keyType: TargetKeyType;
  readonly curve?: string;
  readonly keyOps?: readonly string[];
  readonly exportable?: boolean;
  readonly releasePolicy?: ReleasePolicy;
}

/** Imports a `.byok` file as a new version of `name` (`PUT /keys/{name}` with `key_hsm`). */
export async function importByokKey(
  vaultUrl: string,
  name: string,
  options: ImportByokKeyOptions,
): Promise<KeyFacts> {
  const { byok, keyType, curve, keyOps, exportable, releasePolicy, enabled = true, tags } = options;
  const policy = releasePolicyOf(releasePolicy);
  const key = await call(
    "import the .byok file",
    vaultUrl,
    name,
    () =>
      getKeyClient(vaultUrl).importKey(
        name,
        {
          kty: hsmKeyType(keyType),
          t: Buffer.from(byok, "utf8"),
          ...(curve === undefined ? {} : { crv: curve }),
          ...(keyOps === undefined ? {} : { keyOps: [...keyOps] }),
        },
        {
          enabled,
          ...dates(options),
          ...(tags === undefined ? {} : { tags }),
          ...(exportable === undefined ? {} : { exportable }),
          ...(policy === undefined ? {} : { releasePolicy: policy }),
        },
      ),
    { keyType },
  );
  return toKeyFacts(key);
}

/** The version ids of a key, newest first as listed; empty when the key does not exist. */
export async function listKeyVersions(vaultUrl: string, name: string): Promise<string[]> {
  try {
    return await call("list the key's versions", vaultUrl, name, async () => {
      const versions: string[] = [];
      for await (const properties of getKeyClient(vaultUrl).listPropertiesOfKeyVersions(name))
        if (properties.version !== undefined) versions.push(properties.version);
      return versions;
    });
  } catch (error) {
    if (isProviderError(error) && error.code === "ERR_KEY_NOT_FOUND") return [];
    throw error;
  }
}

/** Reads one version (default: the latest); `undefined` when the key does not exist. */
export async function readKey(
  vaultUrl: string,
  name: string,
  options: { version?: string } = {},
): Promise<KeyFacts | undefined> {
  const { version } = options;
  try {
    const key = await call("read the key", vaultUrl, name, () =>
      getKeyClient(vaultUrl).getKey(name, version === undefined ? {} : { version }),
    );
    return toKeyFacts(key);
  } catch (error) {
    if (isProviderError(error) && error.code === "ERR_KEY_NOT_FOUND") return undefined;
    throw error;
  }
}

/** Options of {@link updateKeyVersion}. */
export interface UpdateKeyVersionOptions extends KeyAttributeOptions {
  readonly keyOps?: readonly string[];
  readonly releasePolicy?: ReleasePolicy;
}

/** PATCHes one version's attributes, tags, key operations and release policy. */
export async function updateKeyVersion(
  vaultUrl: string,
  name: string,
  version: string,
  options: UpdateKeyVersionOptions,
): Promise<KeyFacts> {
  const { enabled, tags, keyOps, releasePolicy } = options;
  const policy = releasePolicyOf(releasePolicy);
  const key = await call("update the key", vaultUrl, name, () =>
    getKeyClient(vaultUrl).updateKeyProperties(name, version, {
      ...(enabled === undefined ? {} : { enabled }),
      ...dates(options),
      ...(tags === undefined ? {} : { tags }),
      ...(keyOps === undefined ? {} : { keyOps: [...keyOps] }),
      ...(policy === undefined ? {} : { releasePolicy: policy }),
    }),
  );
  return toKeyFacts(key);
}

/**
 * Soft-deletes a key (all its versions) and waits until the service reports it deleted; purges
 * it too when asked. A key that is already gone is not an error.
 */
export async function deleteKey(
  vaultUrl: string,
  name: string,
  options: { purge?: boolean } = {},
): Promise<void> {
  const client = getKeyClient(vaultUrl);
  try {
    await call("delete the key", vaultUrl, name, async () => {
      const poller = await client.beginDeleteKey(name, { intervalInMs: POLL_INTERVAL_MS });
      await poller.pollUntilDone();
    });
  } catch (error) {
    if (!(isProviderError(error) && error.code === "ERR_KEY_NOT_FOUND")) throw error;
    if (options.purge !== true) return;
  }
  if (options.purge === true) {
    try {
      await call("purge the deleted key", vaultUrl, name, () => client.purgeDeletedKey(name));
    } catch (error) {
      // purged already (outside Pulumi): what delete was asked for is done
      if (!(isProviderError(error) && error.code === "ERR_KEY_NOT_FOUND")) throw error;
    }
  }
}
