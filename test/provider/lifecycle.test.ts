/**
 * The provider's create, read, update and delete through the real plugin host against the
 * emulator (one per file, a Managed HSM and a Premium vault on 127.0.0.1 port 0): the issue-4
 * lifecycle for RSA, EC and oct where each applies, and the failures a platform engineer meets
 * (oct on a vault, a soft-deleted name, a missing role, the wrong key, a KEK size change,
 * adopting a key that exists). Changes "outside Pulumi" use the stock `@azure/keyvault-keys`.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { KeyClient } from "@azure/keyvault-keys";
import test from "ava";
import type { ExecutionContext } from "ava";
import {
  buildByokFile,
  encodeTargetKey,
  generateTargetKey,
  hsmKeyType,
  parseKeySpec,
} from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { memoizedTargetKey } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { runKeyLifecycle } from "../harness/keyLifecycle.js";
import type { OutsideTheProvider } from "../harness/keyLifecycle.js";
import { startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { startProviderTestBed } from "../harness/providerTestBed.js";
import type { ProviderTestBed } from "../harness/providerTestBed.js";
import { ResourceDriver, findLeaks } from "../harness/resourceDriver.js";

const HSM = "lifecycle-hsm";
const VAULT = "lifecycle-vault";
/** A Managed HSM whose security domain was never downloaded. */
const INACTIVE = "lifecycle-inactive";
/** A second managed identity that holds no role on the Managed HSM. */
const NO_ROLE = { objectId: "00000000-0000-0000-0000-0000000e0bad", name: "no-crypto-user" };
const POLL = { intervalInMs: 50 };

let bed: ProviderTestBed | undefined;
let emulator: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  bed = await startProviderTestBed({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
      { name: INACTIVE, kind: "managedhsm", activated: false },
    ],
    identities: [DEFAULT_IDENTITY, NO_ROLE],
    // Managed HSM local RBAC: Crypto User creates and imports, Crypto Officer purges.
    roleAssignments: [
      { objectId: DEFAULT_IDENTITY.objectId, roleName: "Managed HSM Crypto User", scope: "/" },
      { objectId: DEFAULT_IDENTITY.objectId, roleName: "Managed HSM Crypto Officer", scope: "/" },
    ],
  });
  ({ emulator, host, providers } = bed);
});

test.after.always(async () => {
  await bed?.stop();
});

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/**
 * A stock client of one vault that opens a new connection per request. The test's own calls
 * come seconds apart while the plugin host works; a kept-alive connection's idle close could cross
 * the next request on the socket (ECONNRESET or "socket hang up"; this client does not retry, so
 * the first failure would show). The emulator now keeps idle connections for minutes, as Azure
 * does, which removes the race; a fresh connection per call keeps this test independent of it.
 */
function stockClient(vault: string): KeyClient {
  return new KeyClient(emulator.emulator.url(vault), emulator.credential, {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      {
        position: "perCall",
        policy: {
          name: "newConnectionPerRequest",
          sendRequest: (request, next) => {
            request.disableKeepAlive = true;
            return next(request);
          },
        },
      },
    ],
  });
}

/** What the test does to a vault outside Pulumi, with the stock client. */
function outsideOf(vault: string): OutsideTheProvider {
  const client = stockClient(vault);
  return {
    async setTags(name, version, tags) {
      await client.updateKeyProperties(name, version, { tags });
    },
    async setDates(name, version, dates) {
      await client.updateKeyProperties(name, version, {
        ...(dates.notBefore === undefined ? {} : { notBefore: new Date(dates.notBefore) }),
        ...(dates.expiresOn === undefined ? {} : { expiresOn: new Date(dates.expiresOn) }),
      });
    },
    async propertiesOf(name, version) {
      const key = await client.getKey(name, { version });
      const { notBefore, expiresOn } = key.properties;
      return {
        ...(notBefore === undefined ? {} : { notBefore: notBefore.toISOString() }),
        ...(expiresOn === undefined ? {} : { expiresOn: expiresOn.toISOString() }),
        keyOps: [...(key.keyOperations ?? [])].sort(),
      };
    },
    async disable(name, version) {
      await client.updateKeyProperties(name, version, { enabled: false });
    },
    async importVersion(name, byok, keyType, curve) {
      const key = await client.importKey(name, {
        kty: hsmKeyType(keyType),
        t: Buffer.from(byok, "utf8"),
        ...(curve === undefined ? {} : { crv: curve }),
      });
      return key.properties.version ?? "";
    },
    async deleteKey(name) {
      await (await client.beginDeleteKey(name, POLL)).pollUntilDone();
    },
    async versionExists(name, version) {
      try {
        await client.getKey(name, { version });
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    async isSoftDeleted(name) {
      try {
        await client.getDeletedKey(name);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
  };
}

const LIFECYCLES: ReadonlyArray<readonly [vault: string, spec: string]> = [
  [HSM, "rsa-2048"],
  [HSM, "ec-p256"],
  [HSM, "ec-p256k"],
  [HSM, "oct-256"],
  [VAULT, "rsa-2048"],
  [VAULT, "ec-p256"],
  [VAULT, "ec-p384"],
];

for (const [vault, spec] of LIFECYCLES) {
  test(`${spec} on ${vault === HSM ? "a Managed HSM" : "a Premium vault"}: import, no-op, tags, dates and keyOps in place, rotation keeps the old version, refresh sees drift, soft delete and purge`, async (t) => {
    await runKeyLifecycle(t, {
      host,
      providers,
      vaultUrl: emulator.emulator.url(vault),
      spec,
      prefix: `lc-${vault === HSM ? "h" : "v"}-${spec}`,
      outside: outsideOf(vault),
    });
  });
}

/** A KEK made through the provider, and a helper that wraps target keys for it. */
async function kekIn(
  vault: string,
  name: string,
): Promise<{
  kek: ResourceDriver;
  kid: string;
  wrap: (target: TargetKey) => string;
}> {
  const kek = new ResourceDriver(host, urnOf("ImportKek", name), providers.importKek);
  await kek.up({ vaultUrl: emulator.emulator.url(vault), name, size: 2048 });
  const kid = String(kek.state!.outputs.kid);
  const publicKeyPem = String(kek.state!.outputs.publicKeyPem);
  return {
    kek,
    kid,
    wrap: (target) => buildByokFile(target, { kekPublicKey: publicKeyPem, kekKid: kid }).text,
  };
}

function spkiOf(target: TargetKey): string {
  if (!("privateKey" in target)) throw new Error("an oct key has no public key");
  return createPublicKey(target.privateKey).export({ type: "spki", format: "pem" }).toString();
}

/** The message a failed gRPC call carries (the provider's error message). */
async function failureOf(t: ExecutionContext, run: Promise<unknown>): Promise<string> {
  const error: unknown = await t.throwsAsync(run);
  return error instanceof Error ? error.message : "";
}

test("oct on a Premium vault is refused by the service, and the error says oct keys need a Managed HSM", async (t) => {
  const { kid, wrap } = await kekIn(VAULT, "oct-vault-kek");
  const key = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "oct-vault"),
    providers.byokImportedKey,
  );
  const program = {
    vaultUrl: emulator.emulator.url(VAULT),
    name: "oct-vault",
    byok: wrap(await memoizedTargetKey("oct-256")),
    keyType: "oct",
    kekKid: kid,
  };
  const message = await failureOf(t, key.up(program));
  t.regex(message, /ERR_KEY_TYPE_NOT_SUPPORTED/);
  t.regex(message, /oct.*only in a Managed HSM/);
  t.regex(message, /RSA or EC/);
  t.is(key.state, undefined, "nothing is recorded");
  t.false(await outsideOf(VAULT).versionExists("oct-vault", ""), "nothing is imported");
});

test("a KEK in a Managed HSM that is not activated fails saying to download the security domain, not to grant a role", async (t) => {
  const kek = new ResourceDriver(host, urnOf("ImportKek", "inactive-kek"), providers.importKek);
  const message = await failureOf(
    t,
    kek.up({ vaultUrl: emulator.emulator.url(INACTIVE), name: "inactive-kek", size: 2048 }),
  );
  t.regex(message, /ERR_HSM_NOT_ACTIVATED/);
  t.true(
    message.includes(
      `az keyvault security-domain download --id ${emulator.emulator.url(INACTIVE)}`,
    ),
  );
  t.notRegex(message, /role/);
  t.is(kek.state, undefined);
});

test("re-creating a name held by a soft-deleted key says to recover or purge it, with the commands", async (t) => {
  const { kid, wrap } = await kekIn(HSM, "soft-kek");
  const vaultUrl = emulator.emulator.url(HSM);
  const program = {
    vaultUrl,
    name: "soft-deleted",
    byok: wrap(await memoizedTargetKey("ec-p256")),
    keyType: "EC",
    curve: "P-256",
    kekKid: kid,
  };
  const first = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "soft-1"),
    providers.byokImportedKey,
  );
  t.is(await first.up(program), "create");
  await first.destroy();
  const again = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "soft-2"),
    providers.byokImportedKey,
  );
  const message = await failureOf(t, again.up(program));
  t.regex(message, /^.*ERR_KEY_SOFT_DELETED/);
  t.true(message.includes(`az keyvault key recover --id ${vaultUrl}/deletedkeys/soft-deleted`));
  t.true(message.includes(`az keyvault key purge --id ${vaultUrl}/deletedkeys/soft-deleted`));
  t.is(again.state, undefined);
});

test("destroy with purgeOnDelete purges a key deleted outside Pulumi, and succeeds when it was purged too", async (t) => {
  const { kid, wrap } = await kekIn(HSM, "gone-kek");
  const client = emulator.keyClient(HSM);
  const outside = outsideOf(HSM);
  const drivers = [];
  for (const name of ["gone-soft", "gone-purged"]) {
    const key = new ResourceDriver(host, urnOf("ByokImportedKey", name), providers.byokImportedKey);
    await key.up({
      vaultUrl: emulator.emulator.url(HSM),
      name,
      byok: wrap(await memoizedTargetKey("ec-p256")),
      keyType: "EC",
      curve: "P-256",
      kekKid: kid,
      purgeOnDelete: true,
    });
    await outside.deleteKey(name);
    drivers.push(key);
  }
  await client.purgeDeletedKey("gone-purged");
  for (const key of drivers) await key.destroy();
  t.false(await outside.isSoftDeleted("gone-soft"), "the soft-deleted key is purged");
  t.false(await outside.isSoftDeleted("gone-purged"));
});

test("an expectedPublicKeyPem mismatch fails, disables the wrong version, says how to recover, and the recovery works", async (t) => {
  const { kid, wrap } = await kekIn(HSM, "mismatch-kek");
  const vaultUrl = emulator.emulator.url(HSM);
  const meant = await memoizedTargetKey("rsa-2048");
  const otherRsa = await generateTargetKey(parseKeySpec("rsa-2048"));
  const key = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "mismatch"),
    providers.byokImportedKey,
  );
  const program = {
    vaultUrl,
    name: "mismatch",
    keyType: "RSA",
    kekKid: kid,
    expectedPublicKeyPem: spkiOf(meant),
  };
  const message = await failureOf(t, key.up({ ...program, byok: wrap(otherRsa) }));
  t.regex(message, /ERR_PUBLIC_KEY_MISMATCH/);
  t.regex(message, /has been disabled \(Key Vault cannot delete a single version\)/);
  t.true(message.includes(`calls through the versionless id ${vaultUrl}/keys/mismatch fail`));
  t.regex(message, /wrap the intended key again for the KEK, point byok at the new file/);
  t.regex(message, /az keyvault key delete --id/);
  t.is(key.state, undefined, "a failed create records nothing");
  const client = emulator.keyClient(HSM);
  const wrong = await client.getKey("mismatch");
  t.false(wrong.properties.enabled, "the wrong version is disabled, so nothing can use it");

  // the recovery the message gives: wrap the intended key and run up again
  t.is(await key.up({ ...program, byok: wrap(meant) }), "create");
  t.is(key.state!.outputs.publicKeyPem, spkiOf(meant));
  t.true(key.state!.outputs.enabled);
  const good = String(key.state!.outputs.version);
  const current = await client.getKey("mismatch");
  t.is(current.properties.version, good);
  t.true(current.properties.enabled);

  // a rotation to the wrong file fails the same way and leaves the state on the good version
  const rotation = await failureOf(t, key.up({ ...program, byok: wrap(otherRsa) }));
  t.regex(rotation, /ERR_PUBLIC_KEY_MISMATCH/);
  t.is(key.state!.outputs.version, good);
  t.false((await client.getKey("mismatch")).properties.enabled, "the latest version is disabled");
  t.true((await client.getKey("mismatch", { version: good })).properties.enabled);
  t.is(await key.up({ ...program, byok: wrap(meant) }), "update");
  t.true((await client.getKey("mismatch")).properties.enabled, "a good version is current again");
  t.deepEqual(findLeaks(key.snapshot(), { wrong: encodeTargetKey(otherRsa) }), []);
});

test("an ImportKek size change creates a new KEK version in place and keeps the old one", async (t) => {
  const vaultUrl = emulator.emulator.url(HSM);
  const kek = new ResourceDriver(host, urnOf("ImportKek", "resize-kek"), providers.importKek);
  t.is(await kek.up({ vaultUrl, name: "resize-kek", size: 2048 }), "create");
  const v1 = String(kek.state!.outputs.version);
  t.like(await kek.preview({ vaultUrl, name: "resize-kek", size: 3072 }), {
    changes: "some",
    replaces: [],
  });
  t.is(await kek.up({ vaultUrl, name: "resize-kek", size: 3072 }), "update");
  t.is(kek.state!.outputs.keySize, 3072);
  t.not(kek.state!.outputs.version, v1);
  t.deepEqual(kek.state!.outputs.keyOps, ["import"]);
  t.true(await outsideOf(HSM).versionExists("resize-kek", v1), "the 2048-bit version stays");
  t.is(await kek.up({ vaultUrl, name: "resize-kek", size: 3072 }), "same");
});

test("a KEK version made outside Pulumi shows on refresh and changes nothing: kid stays the one .byok files name", async (t) => {
  const vaultUrl = emulator.emulator.url(VAULT);
  const program = { vaultUrl, name: "drift-kek", size: 2048 };
  const kek = new ResourceDriver(host, urnOf("ImportKek", "drift-kek"), providers.importKek);
  t.is(await kek.up(program), "create");
  const kid = String(kek.state!.outputs.kid);
  const outside = await emulator
    .keyClient(VAULT)
    .createRsaKey("drift-kek", { hsm: true, keySize: 2048, keyOps: ["import"] });
  t.true(await kek.refresh());
  t.is(kek.state!.outputs.latestVersion, outside.properties.version);
  t.is(kek.state!.outputs.kid, kid);
  t.like(await kek.preview(program), { changes: "none" });
  t.is(await kek.up(program), "same");
});

test("adoptExisting binds to a key that already exists and imports nothing; another key is refused", async (t) => {
  const { kid, wrap } = await kekIn(VAULT, "adopt-kek");
  const vaultUrl = emulator.emulator.url(VAULT);
  const target = await memoizedTargetKey("ec-p256");
  const byok = wrap(target);
  const existing = await outsideOf(VAULT).importVersion("adopted", byok, "EC", "P-256");

  const key = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "adopted"),
    providers.byokImportedKey,
  );
  const program = {
    vaultUrl,
    name: "adopted",
    byok,
    keyType: "EC",
    curve: "P-256",
    kekKid: kid,
    adoptExisting: true,
    expectedPublicKeyPem: spkiOf(target),
    tags: { owner: "platform" },
  };
  t.is(await key.up(program), "create");
  t.is(key.state!.outputs.version, existing, "bound to the existing version");
  t.true(key.state!.outputs.adopted);
  t.deepEqual(key.state!.outputs.tags, { owner: "platform" });
  const versions = [];
  for await (const v of emulator.keyClient(VAULT).listPropertiesOfKeyVersions("adopted")) {
    versions.push(v.version);
  }
  t.deepEqual(versions, [existing], "no new version was imported");
  t.deepEqual(findLeaks(key.snapshot(), { byok }), []);
  t.is(await key.up(program), "same");

  const stranger = new ResourceDriver(
    host,
    urnOf("ByokImportedKey", "adopt-wrong"),
    providers.byokImportedKey,
  );
  const otherTarget = await memoizedTargetKey("ec-p384");
  const message = await failureOf(
    t,
    stranger.up({
      ...program,
      byok: wrap(otherTarget),
      curve: "P-384",
      expectedPublicKeyPem: spkiOf(otherTarget),
    }),
  );
  t.regex(message, /ERR_ADOPT_MISMATCH/);
  t.regex(message, /its curve is P-256, not P-384/);
});

test("an identity without Managed HSM Crypto User gets a 403 that names the role and the identity", async (t) => {
  const denied = await startPluginHost({
    env: { ...emulator.emulator.env, AZURE_CLIENT_ID: NO_ROLE.objectId },
  });
  t.teardown(() => denied.close());
  await denied.configure();
  const kek = new ResourceDriver(denied, urnOf("ImportKek", "denied-kek"), providers.importKek);
  const message = await failureOf(
    t,
    kek.up({ vaultUrl: emulator.emulator.url(HSM), name: "denied-kek", size: 2048 }),
  );
  t.regex(message, /ERR_ACCESS_DENIED/);
  t.regex(message, /"Managed HSM Crypto User"/);
  t.true(message.includes(NO_ROLE.objectId), "the message names the refused identity");
  t.true(
    message.includes(
      `az keyvault role assignment create --id ${emulator.emulator.url(HSM)} --role "Managed HSM Crypto User" --assignee-object-id ${NO_ROLE.objectId}`,
    ),
  );
});

for (const vault of [HSM, VAULT]) {
  test(`a .byok that names this KEK but was wrapped with another KEK's public key passes preview, then fails with ERR_BYOK_REJECTED and its likely causes; nothing is recorded or imported (${vault})`, async (t) => {
    const name = `rejected-${vault}`;
    const { kid } = await kekIn(vault, `${name}-kek`);
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const target = await memoizedTargetKey("ec-p256");
    const built = buildByokFile(target, { kekPublicKey: stranger, kekKid: kid });
    const key = new ResourceDriver(host, urnOf("ByokImportedKey", name), providers.byokImportedKey);
    const program = {
      vaultUrl: emulator.emulator.url(vault),
      name,
      byok: built.text,
      keyType: "EC",
      curve: "P-256",
      kekKid: kid,
    };
    t.like(await key.preview(program), { changes: "some", replaces: [] }, "offline, it fits");
    const message = await failureOf(t, key.up(program));
    t.regex(message, /ERR_BYOK_REJECTED: the service rejected the \.byok file for/);
    t.regex(
      message,
      /Likely causes: the file was wrapped for another KEK, or for a KEK version that was rotated, disabled or deleted \(compare byok\.header\.kid with the KEK's current kid\)/,
    );
    t.regex(message, /Wrap the target key again with the current KEK's public key and retry\.$/);
    t.deepEqual(findLeaks(message, { byok: built.text, ciphertext: built.package.ciphertext }), []);
    t.is(key.state, undefined, "a failed create records nothing");
    t.false(await outsideOf(vault).versionExists(name, ""), "nothing was imported");
  });
}

test("Read by key id with only __provider (what pulumi import would send, pulumi/pulumi#16175) finds the key; an unknown key is gone; no __provider fails in the host", async (t) => {
  const vaultUrl = emulator.emulator.url(HSM);
  const { kek, kid, wrap } = await kekIn(HSM, "byid-kek");
  const target = await memoizedTargetKey("ec-p384");
  const key = new ResourceDriver(host, urnOf("ByokImportedKey", "byid"), providers.byokImportedKey);
  await key.up({
    vaultUrl,
    name: "byid",
    byok: wrap(target),
    keyType: "EC",
    curve: "P-384",
    kekKid: kid,
    tags: { owner: "platform" },
  });
  const versionlessId = `${vaultUrl}/keys/byid`;
  const urn = urnOf("ByokImportedKey", "byid-import");
  const read = await host.read(versionlessId, urn, { __provider: providers.byokImportedKey });
  t.is(read.id, versionlessId);
  t.like(read.properties, {
    vaultUrl,
    name: "byid",
    kid: key.state!.outputs.kid,
    version: key.state!.outputs.version,
    keyType: "EC",
    curve: "P-384",
    publicKeyPem: spkiOf(target),
    tags: { owner: "platform" },
    byokSha256: "",
    adopted: false,
  });
  t.false("byokHeader" in read.properties, "no file is known to a read by id");

  // a versioned id reads that version: the KEK by its kid
  const kekRead = await host.read(kid, urnOf("ImportKek", "byid-kek-import"), {
    __provider: providers.importKek,
  });
  t.is(kekRead.id, `${vaultUrl}/keys/byid-kek`);
  t.like(kekRead.properties, {
    kid,
    version: kek.state!.outputs.version,
    keyOps: ["import"],
    publicKeyPem: kek.state!.outputs.publicKeyPem,
  });

  const missing = await host.read(`${vaultUrl}/keys/never-made`, urn, {
    __provider: providers.byokImportedKey,
  });
  t.is(missing.id, "", "a key that does not exist reads as gone");
  const notAnId = await failureOf(
    t,
    host.read("byid", urn, { __provider: providers.byokImportedKey }),
  );
  t.regex(notAnId, /the resource id/);
  // What today's engine sends for pulumi import: no properties, so no provider to run; hence
  // adoptExisting (README, "Bringing existing keys under Pulumi").
  const today = await failureOf(t, host.read(versionlessId, urn, {}));
  t.regex(today, /code must be a string/);
});
