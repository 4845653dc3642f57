/**
 * `POST /keys/restore` with the stock SDK keeps each vault's key-type rules, as create does
 * (contracts §4.5): a backup of an oct-HSM key made in a Managed HSM does not restore into a
 * Key Vault Premium vault, nor a software RSA key made in a vault into a Managed HSM. Each is a
 * 400 KeyTypeNotSupported that restores nothing; a backup of a type the vault holds restores.
 */
import test from "ava";
import { serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

const HSM = "restore-hsm";
const VAULT = "restore-vault";
let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  await env.emulator.stop();
});

test("an oct-HSM backup from a Managed HSM is refused by a Premium vault (400 KeyTypeNotSupported) and restores nothing", async (t) => {
  await env.keyClient(HSM).createKey("aes-backup", "oct-HSM", { keySize: 256 });
  const backup = await env.keyClient(HSM).backupKey("aes-backup");
  const error = serviceErrorOf(await t.throwsAsync(env.keyClient(VAULT).restoreKeyBackup(backup!)));
  t.is(error.statusCode, 400, error.message);
  t.is(error.code, "BadParameter");
  t.is(error.innerCode, "KeyTypeNotSupported");
  t.regex(error.message, /key aes-backup whose version [0-9a-f]{32} is oct-HSM/);
  t.regex(error.message, /restore it into a Managed HSM/);
  const missing = serviceErrorOf(await t.throwsAsync(env.keyClient(VAULT).getKey("aes-backup")));
  t.is(missing.statusCode, 404);
});

test("a software RSA backup from a vault is refused by a Managed HSM (400 KeyTypeNotSupported) and restores nothing", async (t) => {
  await env.keyClient(VAULT).createRsaKey("soft-rsa", { keySize: 2048 });
  const backup = await env.keyClient(VAULT).backupKey("soft-rsa");
  const error = serviceErrorOf(await t.throwsAsync(env.keyClient(HSM).restoreKeyBackup(backup!)));
  t.is(error.statusCode, 400, error.message);
  t.is(error.innerCode, "KeyTypeNotSupported");
  t.regex(error.message, /is RSA, a key type a Managed HSM does not hold/);
  const missing = serviceErrorOf(await t.throwsAsync(env.keyClient(HSM).getKey("soft-rsa")));
  t.is(missing.statusCode, 404);
});

test("a backup of a type the vault holds restores with every version", async (t) => {
  const keys = env.keyClient(HSM);
  await keys.createEcKey("ec-backup", { hsm: true, curve: "P-384" });
  await keys.rotateKey("ec-backup");
  const backup = await keys.backupKey("ec-backup");
  await (await keys.beginDeleteKey("ec-backup", { intervalInMs: 10 })).pollUntilDone();
  await keys.purgeDeletedKey("ec-backup");
  const restored = await keys.restoreKeyBackup(backup!);
  t.is(restored.keyType, "EC-HSM");
  t.is(restored.key?.crv, "P-384");
  const versions: string[] = [];
  for await (const version of keys.listPropertiesOfKeyVersions("ec-backup"))
    versions.push(version.version ?? "");
  t.is(versions.length, 2);
});
