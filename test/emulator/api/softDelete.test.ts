/**
 * Soft delete through the SDK's pollers (contracts §3.5, §4.4): delete, get and list deleted,
 * recover, purge; a soft-deleted name cannot be reused; purge protection refuses purge.
 */
import test from "ava";
import { serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "sd-hsm", kind: "managedhsm", softDeleteRetentionDays: 7 },
      { name: "sd-protected", kind: "vault", purgeProtection: true },
    ],
  });
});

test.after.always(async () => {
  await env.emulator.stop();
});

const POLL = { intervalInMs: 20 };

test("delete returns a recoverable key with its purge date; recover brings back every version", async (t) => {
  const client = env.keyClient();
  const first = await client.createEcKey("sd-recover", { hsm: true, curve: "P-384" });
  await client.createEcKey("sd-recover", { hsm: true, curve: "P-384" });
  const deleted = await (await client.beginDeleteKey("sd-recover", POLL)).pollUntilDone();
  t.is(deleted.properties.recoveryLevel, "CustomizedRecoverable+Purgeable");
  t.is(deleted.properties.recoverableDays, 7);
  const days =
    ((deleted.properties.scheduledPurgeDate?.getTime() ?? 0) -
      (deleted.properties.deletedOn?.getTime() ?? 0)) /
    86_400_000;
  t.is(days, 7);
  t.truthy(deleted.properties.recoveryId?.endsWith("/deletedkeys/sd-recover"));
  const error = serviceErrorOf(await t.throwsAsync(client.getKey("sd-recover")));
  t.is(error.statusCode, 404);
  t.is(error.code, "KeyNotFound");
  const listed: string[] = [];
  for await (const item of client.listDeletedKeys()) listed.push(item.name);
  t.true(listed.includes("sd-recover"));
  const recovered = await (await client.beginRecoverDeletedKey("sd-recover", POLL)).pollUntilDone();
  t.is(recovered.name, "sd-recover");
  const versions: string[] = [];
  for await (const version of client.listPropertiesOfKeyVersions("sd-recover"))
    versions.push(version.version ?? "");
  t.is(versions.length, 2);
  t.true(versions.includes(first.properties.version ?? ""));
});

test("reusing a soft-deleted name is refused (409 Conflict, ObjectIsDeletedButRecoverable)", async (t) => {
  const client = env.keyClient();
  await client.createRsaKey("sd-reuse", { hsm: true, keySize: 2048 });
  await (await client.beginDeleteKey("sd-reuse", POLL)).pollUntilDone();
  const error = serviceErrorOf(
    await t.throwsAsync(client.createRsaKey("sd-reuse", { hsm: true, keySize: 2048 })),
  );
  t.is(error.statusCode, 409);
  t.is(error.code, "Conflict");
  t.is(error.innerCode, "ObjectIsDeletedButRecoverable");
});

test("purge answers 204 and frees the name", async (t) => {
  const client = env.keyClient();
  await client.createKey("sd-purge", "oct-HSM", { keySize: 128 });
  await (await client.beginDeleteKey("sd-purge", POLL)).pollUntilDone();
  await client.purgeDeletedKey("sd-purge");
  const error = serviceErrorOf(await t.throwsAsync(client.getDeletedKey("sd-purge")));
  t.is(error.statusCode, 404);
  const again = await client.createKey("sd-purge", "oct-HSM", { keySize: 128 });
  t.is(again.name, "sd-purge");
});

test("purge under purge protection is refused (403 Forbidden)", async (t) => {
  const client = env.keyClient("sd-protected");
  await client.createRsaKey("sd-protected-key", { keySize: 2048 });
  const deleted = await (await client.beginDeleteKey("sd-protected-key", POLL)).pollUntilDone();
  t.is(deleted.properties.recoveryLevel, "Recoverable");
  const error = serviceErrorOf(await t.throwsAsync(client.purgeDeletedKey("sd-protected-key")));
  t.is(error.statusCode, 403);
  t.is(error.code, "Forbidden");
  t.regex(error.message, /purge protection/);
});

test("lists page with maxresults and nextLink", async (t) => {
  const client = env.keyClient();
  for (let i = 0; i < 3; i++) await client.createKey(`sd-page-${i}`, "oct-HSM", { keySize: 256 });
  const pages: number[] = [];
  for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 2 }))
    pages.push(page.length);
  t.true(pages.length >= 2);
  t.true(pages.every((n) => n <= 2));
});

test("PATCH updates tags and enabled; a disabled key cannot be used (403)", async (t) => {
  const client = env.keyClient();
  const key = await client.createKey("sd-update", "oct-HSM", { keySize: 256 });
  const updated = await client.updateKeyProperties("sd-update", {
    tags: { env: "test" },
    enabled: false,
  });
  t.deepEqual(updated.properties.tags, { env: "test" });
  t.false(updated.properties.enabled);
  const error = serviceErrorOf(
    await t.throwsAsync(
      env
        .cryptographyClient(key.id ?? "")
        .encrypt({ algorithm: "A256GCM", plaintext: Buffer.from("x") }),
    ),
  );
  t.is(error.statusCode, 403);
});

test("backup and restore round-trip a key under its name", async (t) => {
  const client = env.keyClient();
  await client.createEcKey("sd-backup", { hsm: true, curve: "P-256K" });
  const blob = await client.backupKey("sd-backup");
  t.truthy(blob);
  await (await client.beginDeleteKey("sd-backup", POLL)).pollUntilDone();
  await client.purgeDeletedKey("sd-backup");
  const restored = await client.restoreKeyBackup(blob ?? new Uint8Array());
  t.is(restored.name, "sd-backup");
  t.is(restored.key?.crv, "P-256K");
});
