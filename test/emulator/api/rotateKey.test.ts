/**
 * `POST /keys/{name}/rotate` with the stock SDK (contracts §3.1): a new version with freshly
 * generated material of the same type, size or curve, operations and tags; the old version stays
 * readable and the key's latest version is the new one.
 */
import test from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({ vaults: [{ name: "rotate-hsm", kind: "managedhsm" }] });
});

test.after.always(async () => {
  await env.emulator.stop();
});

/** Rotates, and checks what every rotation keeps: type, operations, tags, the old version. */
async function rotate(name: string, before: KeyVaultKey) {
  const keys = env.keyClient();
  const after = await keys.rotateKey(name);
  const versions: string[] = [];
  for await (const v of keys.listPropertiesOfKeyVersions(name)) versions.push(v.version ?? "");
  return {
    after,
    versions,
    latest: await keys.getKey(name),
    old: await keys.getKey(name, { version: before.properties.version! }),
  };
}

test("an RSA-HSM 3072 key rotates into a new RSA-HSM 3072 version with its operations and tags", async (t) => {
  const before = await env.keyClient().createRsaKey("rotate-rsa", {
    hsm: true,
    keySize: 3072,
    keyOps: ["sign", "verify"],
    tags: { team: "payments" },
  });
  const { after, versions, latest, old } = await rotate("rotate-rsa", before);
  t.not(after.properties.version, before.properties.version);
  t.regex(after.id!, /\/keys\/rotate-rsa\/[0-9a-f]{32}$/);
  t.is(after.keyType, "RSA-HSM");
  t.is(after.key?.n?.length, 384, "3072 bits");
  t.deepEqual(after.key?.e, before.key?.e);
  t.notDeepEqual(after.key?.n, before.key?.n, "new material");
  t.deepEqual(after.keyOperations, ["sign", "verify"]);
  t.deepEqual(after.properties.tags, { team: "payments" });
  t.deepEqual(versions.sort(), [before.properties.version, after.properties.version].sort());
  t.is(latest.properties.version, after.properties.version);
  t.deepEqual(old.key?.n, before.key?.n, "the old version is still there");
});

test("an EC-HSM P-521 key rotates into a new P-521 version", async (t) => {
  const before = await env.keyClient().createEcKey("rotate-ec", { hsm: true, curve: "P-521" });
  const { after, versions } = await rotate("rotate-ec", before);
  t.is(after.keyType, "EC-HSM");
  t.is(after.key?.crv, "P-521");
  t.is(after.key?.x?.length, 66);
  t.notDeepEqual(after.key?.x, before.key?.x);
  t.is(versions.length, 2);
});

test("an oct-HSM 192 key rotates into a new 192-bit version (A192KW works, A256KW does not)", async (t) => {
  const before = await env
    .keyClient()
    .createOctKey("rotate-oct", { hsm: true, keySize: 192, keyOps: ["wrapKey", "unwrapKey"] });
  const secret = Buffer.alloc(32, 7);
  const oldWrap = await env.cryptographyClient(before.id!).wrapKey("A192KW", secret);
  const { after } = await rotate("rotate-oct", before);
  t.is(after.keyType, "oct-HSM");
  t.deepEqual(after.keyOperations, ["wrapKey", "unwrapKey"]);
  const rotated = env.cryptographyClient(after.id!);
  const newWrap = await rotated.wrapKey("A192KW", secret);
  t.notDeepEqual(Buffer.from(newWrap.result), Buffer.from(oldWrap.result), "new material");
  const error = serviceErrorOf(await t.throwsAsync(rotated.wrapKey("A256KW", secret)));
  t.is(error.statusCode, 400, error.message);
  t.regex(error.message, /needs a 256-bit key, but this key is oct-192/);
});

test("a KEK rotates into a new import-only RSA-HSM KEK of the same size", async (t) => {
  const before = await env
    .keyClient()
    .createRsaKey("rotate-kek", { hsm: true, keySize: 2048, keyOps: ["import"] });
  const { after } = await rotate("rotate-kek", before);
  t.is(after.keyType, "RSA-HSM");
  t.deepEqual(after.keyOperations, ["import"]);
  t.is(after.key?.n?.length, 256);
});

test("rotating a key that does not exist is a 404 KeyNotFound", async (t) => {
  const error = serviceErrorOf(await t.throwsAsync(env.keyClient().rotateKey("no-such-key")));
  t.is(error.statusCode, 404);
  t.is(error.code, "KeyNotFound");
});
