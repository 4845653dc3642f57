/**
 * The lifecycle scenario of issue 4, through the plugin host, for one vault and one key type:
 *
 * 1. create the KEK, take its public key and kid, wrap a target key with `byok/`, import it;
 *    state records the file by digest and header (`byokHeader`), never its ciphertext;
 * 2. the same inputs give a no-op diff;
 * 3. a tag change updates in place, and so do dates (`notBefore`, `expiresOn`) and `keyOps`;
 * 4. a new `.byok` imports a new version and the old version is still there;
 * 5. refresh sees a tag changed outside Pulumi, a date changed outside Pulumi, a version disabled
 *    outside Pulumi, a newer version made outside Pulumi, and a key deleted outside Pulumi; the
 *    next `up` puts back what the program declares (tags, dates, enabled, and the declared `.byok`
 *    as the current version);
 * 6. delete soft-deletes; `purgeOnDelete` purges.
 *
 * The state is scanned for private key material, `.byok` content and ciphertext right after every
 * `up` and every refresh of every resource, the KEK's included.
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
import type { PluginHost, PropertyMap, SerializedProviders } from "./pluginHost.js";
import { urnOf } from "./pluginHost.js";
import { ResourceDriver, findLeaks } from "./resourceDriver.js";
import type { UpAction } from "./resourceDriver.js";

/** A key version's dates and operations as the vault holds them (ISO 8601 dates). */
export interface VersionProperties {
  readonly notBefore?: string;
  readonly expiresOn?: string;
  readonly keyOps: string[];
}

/** Changes and look-ups made outside Pulumi, with a stock client. */
export interface OutsideTheProvider {
  setTags(name: string, version: string, tags: Record<string, string>): Promise<void>;
  /** Sets a version's dates, as `az keyvault key set-attributes --expires/--not-before` would. */
  setDates(
    name: string,
    version: string,
    dates: { notBefore?: string; expiresOn?: string },
  ): Promise<void>;
  /** A version's dates and key operations, read with the stock client. */
  propertiesOf(name: string, version: string): Promise<VersionProperties>;
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

/** Key operations a key of each type can be narrowed to, different from the service's default. */
const NARROWED_OPS: Readonly<Record<"RSA" | "EC" | "oct", string[]>> = {
  RSA: ["sign", "verify"],
  EC: ["sign", "verify"],
  oct: ["unwrapKey", "wrapKey"],
};

/**
 * Dates a program declares, and the one an operator sets outside Pulumi (before 2038-01-19: the
 * Azure SDK sends dates as 32-bit seconds, and check refuses later ones).
 */
const NOT_BEFORE = "2024-01-01T00:00:00.000Z";
const EXPIRES_ON = "2037-12-31T00:00:00.000Z";
const TAMPERED_EXPIRY = "2037-06-30T12:00:00.000Z";

/**
 * A driver whose state is scanned for leaks right after every `up` and refresh, whatever the
 * step (a failed step is scanned too: the state it leaves is what the engine would keep).
 */
class ScannedDriver extends ResourceDriver {
  readonly #scan: (driver: ResourceDriver, step: string) => void;
  #steps = 0;

  constructor(
    host: PluginHost,
    urn: string,
    provider: string,
    scan: (driver: ResourceDriver, step: string) => void,
  ) {
    super(host, urn, provider);
    this.#scan = scan;
  }

  override async up(program: PropertyMap): Promise<UpAction> {
    try {
      return await super.up(program);
    } finally {
      this.#scan(this, `up #${++this.#steps}`);
    }
  }

  override async refresh(): Promise<boolean> {
    try {
      return await super.refresh();
    } finally {
      this.#scan(this, `refresh #${++this.#steps}`);
    }
  }
}

/** What state should record of a `.byok` file: its header, schema version and generator. */
function headerOf(byok: string): Record<string, string> {
  const file = JSON.parse(byok) as {
    schema_version: string;
    header: { kid: string; alg: string; enc: string };
    generator?: string;
  };
  return {
    ...file.header,
    schemaVersion: file.schema_version,
    ...(file.generator === undefined ? {} : { generator: file.generator }),
  };
}

/** Runs steps 1-6 and asserts each. */
export async function runKeyLifecycle(
  t: ExecutionContext,
  options: KeyLifecycleOptions,
): Promise<void> {
  const { host, providers, vaultUrl, spec, prefix, outside } = options;
  const keySpec = parseKeySpec(spec);
  const secrets: Record<string, string | Buffer> = {};
  const scan = (driver: ResourceDriver, step: string): void => {
    const leaks = findLeaks(driver.snapshot(), secrets);
    t.deepEqual(leaks, [], `state of ${driver.state?.urn ?? "a deleted resource"} after ${step}`);
  };
  const driver = (type: "ImportKek" | "ByokImportedKey", name: string): ResourceDriver =>
    new ScannedDriver(
      host,
      urnOf(type, name),
      type === "ImportKek" ? providers.importKek : providers.byokImportedKey,
      scan,
    );

  // 1. KEK, wrap, import
  const kek = driver("ImportKek", `${prefix}-kek`);
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
  const key = driver("ByokImportedKey", name);
  t.is(await key.up(program), "create");
  const v1 = String(key.state!.outputs.version);
  t.is(key.state!.inputs.byok, `sha256:${String(key.state!.outputs.byokSha256)}`);
  t.is(key.state!.outputs.byokKekKid, kekOut.kid);
  const header = headerOf(first.text);
  t.deepEqual(key.state!.outputs.byokHeader, header, "state records the file's header");
  if (publicPem(first.target) !== undefined)
    t.is(key.state!.outputs.publicKeyPem, publicPem(first.target));

  // 2. same inputs: no-op
  t.like(await key.preview(program), { changes: "none", replaces: [] });
  t.is(await key.up(program), "same");

  // 3. tag change: update in place, same version
  t.is(await key.up({ ...program, tags: { env: "prod" } }), "update");
  t.deepEqual(key.state!.outputs.tags, { env: "prod" });
  t.is(key.state!.outputs.version, v1);

  // 3b. dates and key operations: PATCHed in place on the same version
  const ops = NARROWED_OPS[keySpec.kty];
  const dated = {
    ...program,
    tags: { env: "prod" },
    notBefore: NOT_BEFORE,
    expiresOn: EXPIRES_ON,
    keyOps: ops,
  };
  t.like(await key.preview(dated), { changes: "some", replaces: [] });
  t.is(await key.up(dated), "update");
  t.is(key.state!.outputs.version, v1, "dates and keyOps change the same version");
  t.like(key.state!.outputs, { notBefore: NOT_BEFORE, expiresOn: EXPIRES_ON });
  t.deepEqual([...(key.state!.outputs.keyOps as string[])].sort(), ops);
  t.deepEqual(await outside.propertiesOf(name, v1), {
    notBefore: NOT_BEFORE,
    expiresOn: EXPIRES_ON,
    keyOps: ops,
  });
  t.deepEqual(key.state!.outputs.byokHeader, header, "a PATCH keeps the header");
  t.is(await key.up(dated), "same");

  // 4. new .byok: new version in place; the old version stays
  const second = await wrap();
  const rotated = { ...dated, byok: second.text, ...expected(second.target) };
  t.like(await key.preview(rotated), { changes: "some", replaces: [] });
  t.is(await key.up(rotated), "update");
  const v2 = String(key.state!.outputs.version);
  t.not(v2, v1);
  t.true(await outside.versionExists(name, v1), "the old version must still exist");
  t.deepEqual(key.state!.outputs.byokHeader, headerOf(second.text));

  // 5a. a tag changed outside Pulumi shows on refresh, and the next up puts it back
  await outside.setTags(name, v2, { env: "tampered" });
  t.true(await key.refresh());
  t.deepEqual(key.state!.outputs.tags, { env: "tampered" });
  t.deepEqual(key.state!.outputs.byokHeader, headerOf(second.text), "refresh keeps the header");
  t.is(await key.up(rotated), "update");
  t.deepEqual(key.state!.outputs.tags, { env: "prod" });

  // 5a'. a date changed outside Pulumi shows on refresh, and the next up puts it back in place
  await outside.setDates(name, v2, { expiresOn: TAMPERED_EXPIRY });
  t.true(await key.refresh());
  t.is(key.state!.outputs.expiresOn, TAMPERED_EXPIRY, "refresh records the date in the vault");
  t.like(await key.preview(rotated), { changes: "some", replaces: [] });
  t.is(await key.up(rotated), "update");
  t.is(key.state!.outputs.expiresOn, EXPIRES_ON);
  t.is(key.state!.outputs.version, v2, "restoring a date PATCHes the same version");
  t.is((await outside.propertiesOf(name, v2)).expiresOn, EXPIRES_ON);

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

  // 6a. delete soft-deletes
  await key.destroy();
  t.true(await outside.isSoftDeleted(name));

  // 5d. deleted outside Pulumi: refresh drops it; 6b. purgeOnDelete purges
  const purged = driver("ByokImportedKey", `${name}-p`);
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

  const gone = driver("ByokImportedKey", `${name}-g`);
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
