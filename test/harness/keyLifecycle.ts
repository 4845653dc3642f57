/**
 * The lifecycle scenario of issue 4, through the plugin host, for one vault and one key type:
 *
 * 1. create the KEK, take its public key and kid, wrap a target key with `byok/`, import it;
 * 2. the same inputs give a no-op diff;
 * 3. a tag change updates in place;
 * 4. a new `.byok` imports a new version and the old version is still there;
 * 5. refresh sees a tag changed outside Pulumi, a version disabled outside Pulumi, a newer version
 *    made outside Pulumi, and a key deleted outside Pulumi; the next `up` puts back what the
 *    program declares (tags, enabled, and the declared `.byok` as the current version);
 * 6. delete soft-deletes; `purgeOnDelete` purges.
 *
 * After every step the state snapshot is checked for private key material and `.byok` content.
 * The vault is reached only through the provider (in the plugin host) and through `outside`,
 * which the test implements with the stock `@azure/keyvault-keys` client against the emulator.
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import type { ExecutionContext } from "ava";
import {
  buildByokFile,
  encodeTargetKey,
  generateTargetKey,
  parseKeySpec,
} from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import type { PluginHost, SerializedProviders } from "./pluginHost.js";
import { urnOf } from "./pluginHost.js";
import { ResourceDriver, findLeaks } from "./resourceDriver.js";

/** Changes and look-ups made outside Pulumi, with a stock client. */
export interface OutsideTheProvider {
  setTags(name: string, version: string, tags: Record<string, string>): Promise<void>;
  deleteKey(name: string): Promise<void>;
  disable(name: string, version: string): Promise<void>;
  /** Imports a `.byok` file as a new version, as `az keyvault key import` would; returns the version. */
  importVersion(
    name: string,
    byok: string,
    keyType: "RSA" | "EC" | "oct",
    curve?: string,
  ): Promise<string>;
  /** True when that version of the key can be read. */
  versionExists(name: string, version: string): Promise<boolean>;
  /** True when the key is in the soft-deleted list. */
  isSoftDeleted(name: string): Promise<boolean>;
}

/** What one run covers. */
export interface KeyLifecycleOptions {
  readonly host: PluginHost;
  readonly providers: SerializedProviders;
  readonly vaultUrl: string;
  /** `rsa-2048`, `ec-p256`, `oct-256`, … */
  readonly spec: string;
  /** Makes key names unique per test. */
  readonly prefix: string;
  readonly outside: OutsideTheProvider;
}

function publicPem(target: TargetKey): string | undefined {
  return "privateKey" in target
    ? createPublicKey(target.privateKey).export({ type: "spki", format: "pem" }).toString()
    : undefined;
}

function expected(target: TargetKey): { expectedPublicKeyPem?: string } {
  const pem = publicPem(target);
  return pem === undefined ? {} : { expectedPublicKeyPem: pem };
}

/** Runs steps 1-6 and asserts each. */
export async function runKeyLifecycle(
  t: ExecutionContext,
  options: KeyLifecycleOptions,
): Promise<void> {
  const { host, providers, vaultUrl, spec, prefix, outside } = options;
  const keySpec = parseKeySpec(spec);
  const secrets: Record<string, string | Buffer> = {};
  const clean = (driver: ResourceDriver, step: string): void => {
    t.deepEqual(findLeaks(driver.snapshot(), secrets), [], `state after ${step} leaks`);
  };

  // 1. KEK, wrap, import
  const kek = new ResourceDriver(host, urnOf("ImportKek", `${prefix}-kek`), providers.importKek);
  t.is(await kek.up({ vaultUrl, name: `${prefix}-kek`, size: 2048 }), "create");
  const kekOut = kek.state!.outputs;
  t.deepEqual(kekOut.keyOps, ["import"]);
  t.regex(String(kekOut.publicKeyPem), /^-----BEGIN PUBLIC KEY-----/);
  t.regex(String(kekOut.kid), new RegExp(`/keys/${prefix}-kek/[0-9a-zA-Z]+$`));

  const wrap = async (): Promise<{ text: string; target: TargetKey }> => {
    const target = await generateTargetKey(keySpec);
    const built = buildByokFile(target, {
      kekPublicKey: String(kekOut.publicKeyPem),
      kekKid: String(kekOut.kid),
    });
    secrets[`byok ${Object.keys(secrets).length}`] = built.text;
    secrets[`ciphertext ${Object.keys(secrets).length}`] = built.package.ciphertext;
    secrets[`target key ${Object.keys(secrets).length}`] = encodeTargetKey(target);
    return { text: built.text, target };
  };
  const first = await wrap();
  const name = `${prefix}-key`;
  const program = {
    vaultUrl,
    name,
    byok: first.text,
    keyType: keySpec.kty,
    ...(keySpec.kty === "EC" ? { curve: keySpec.curve } : {}),
    kekKid: kekOut.kid,
    tags: { env: "test" },
    ...expected(first.target),
  };
  const key = new ResourceDriver(host, urnOf("ByokImportedKey", name), providers.byokImportedKey);
  t.is(await key.up(program), "create");
  clean(key, "import");
  clean(kek, "KEK creation");
  const v1 = String(key.state!.outputs.version);
  t.is(key.state!.inputs.byok, `sha256:${String(key.state!.outputs.byokSha256)}`);
  t.is(key.state!.outputs.byokKekKid, kekOut.kid);
  if (publicPem(first.target) !== undefined)
    t.is(key.state!.outputs.publicKeyPem, publicPem(first.target));

  // 2. same inputs: no-op
  t.like(await key.preview(program), { changes: "none", replaces: [] });
  t.is(await key.up(program), "same");

  // 3. tag change: update in place, same version
  t.is(await key.up({ ...program, tags: { env: "prod" } }), "update");
  t.deepEqual(key.state!.outputs.tags, { env: "prod" });
  t.is(key.state!.outputs.version, v1);
  clean(key, "tag update");

  // 4. new .byok: new version in place; the old version stays
  const second = await wrap();
  const rotated = {
    ...program,
    tags: { env: "prod" },
    byok: second.text,
    ...expected(second.target),
  };
  t.like(await key.preview(rotated), { changes: "some", replaces: [] });
  t.is(await key.up(rotated), "update");
  const v2 = String(key.state!.outputs.version);
  t.not(v2, v1);
  t.true(await outside.versionExists(name, v1), "the old version must still exist");
  clean(key, "rotation");

  // 5a. a tag changed outside Pulumi shows on refresh, and the next up puts it back
  await outside.setTags(name, v2, { env: "tampered" });
  t.true(await key.refresh());
  t.deepEqual(key.state!.outputs.tags, { env: "tampered" });
  t.is(await key.up(rotated), "update");
  t.deepEqual(key.state!.outputs.tags, { env: "prod" });

  // 5b. a version disabled outside Pulumi shows on refresh, and the next up enables it again
  await outside.disable(name, v2);
  t.true(await key.refresh());
  t.is(key.state!.outputs.enabled, false);
  t.like(await key.preview(rotated), { changes: "some", replaces: [] });
  t.is(await key.up(rotated), "update");
  t.is(key.state!.outputs.enabled, true);
  t.is(key.state!.outputs.version, v2, "re-enabling PATCHes the same version");

  // 5c. a newer version made outside Pulumi shows on refresh (latestVersion); the next up imports
  // the declared .byok again so the declared key material is the current version, and keeps both
  const intruder = await wrap();
  const v3 = await outside.importVersion(
    name,
    intruder.text,
    keySpec.kty,
    keySpec.kty === "EC" ? keySpec.curve : undefined,
  );
  t.true(await key.refresh());
  t.is(key.state!.outputs.version, v2, "state still manages its own version");
  t.is(key.state!.outputs.latestVersion, v3, "refresh shows the newer version");
  t.like(await key.preview(rotated), { changes: "some", replaces: [] });
  t.is(await key.up(rotated), "update");
  const v4 = String(key.state!.outputs.version);
  t.false([v1, v2, v3].includes(v4), "the declared .byok is imported as a new version");
  t.is(key.state!.outputs.latestVersion, v4);
  t.is(key.state!.inputs.byok, `sha256:${String(key.state!.outputs.byokSha256)}`);
  if (publicPem(second.target) !== undefined)
    t.is(key.state!.outputs.publicKeyPem, publicPem(second.target));
  t.true(await outside.versionExists(name, v3), "the version made outside Pulumi stays");
  t.is(await key.up(rotated), "same");
  clean(key, "drift repair");

  // 6a. delete soft-deletes
  await key.destroy();
  t.true(await outside.isSoftDeleted(name));

  // 5d. deleted outside Pulumi: refresh drops it; 6b. purgeOnDelete purges
  const purged = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", `${name}-p`),
    providers.byokImportedKey,
  );
  const third = await wrap();
  const purgeProgram = {
    ...program,
    name: `${name}-p`,
    byok: third.text,
    purgeOnDelete: true,
    ...expected(third.target),
  };
  t.is(await purged.up(purgeProgram), "create");
  await purged.destroy();
  t.false(await outside.isSoftDeleted(`${name}-p`), "purgeOnDelete must purge");

  const gone = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", `${name}-g`),
    providers.byokImportedKey,
  );
  const fourth = await wrap();
  t.is(
    await gone.up({ ...program, name: `${name}-g`, byok: fourth.text, ...expected(fourth.target) }),
    "create",
  );
  await outside.deleteKey(`${name}-g`);
  t.false(await gone.refresh(), "a key deleted outside Pulumi must be gone after refresh");

  await kek.destroy();
  t.true(await outside.isSoftDeleted(`${prefix}-kek`));
}
