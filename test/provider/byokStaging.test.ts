/**
 * The `.byok` content that check keeps in the plugin process for create/update
 * (provider/byokDigest.ts) is let go once the resource's step no longer needs it: a preview or
 * an `up` of unchanged keys ends holding no file, and two resources importing the same file do
 * not take it from each other. In process; the one create runs against the emulator.
 */
import test from "ava";
import { stagedByokCount, takeStagedByok } from "../../provider/byokDigest.js";
import { byokImportedKeyImplementation as key } from "../../provider/runtime.js";
import { HSM_URL, KEK_VERSION, wrappedTarget } from "../harness/byokFixtures.js";
import { createTestKek, startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";

const KEK_KID = `${HSM_URL}/keys/KEKforBYOK/${KEK_VERSION}`;

let emulator: TestEmulator;
test.before(async () => {
  emulator = await startTestEmulator({ vaults: [{ name: "staging-hsm", kind: "managedhsm" }] });
});
test.after.always(async () => {
  await (emulator as TestEmulator | undefined)?.emulator.stop();
});

/** What the engine stores after a create: the checked inputs plus the outputs diff reads. */
function storedAfterCreate(checked: Record<string, unknown>): Record<string, unknown> {
  const digest = String(checked.byok).slice("sha256:".length);
  return {
    ...checked,
    byokSha256: digest,
    kid: `${String(checked.vaultUrl)}/keys/${String(checked.name)}/v1`,
  };
}

test.serial(
  "an unchanged key's diff lets its file go; a second key checked with the same file keeps it until its create ran",
  async (t) => {
    const vaultUrl = emulator.emulator.url("staging-hsm");
    const { kek, publicKeyPem } = await createTestKek(emulator.keyClient(), "staging-kek");
    const kekKid = kek.id!;
    const { text } = await wrappedTarget("rsa-2048", { kekKid, kekPublicKeyPem: publicKeyPem });
    const program = (name: string) => ({ vaultUrl, name, byok: text, keyType: "RSA", kekKid });
    const before = stagedByokCount();
    const unchanged = key.check({}, program("unchanged"));
    const fresh = key.check({}, program("fresh"));
    const digest = String(unchanged.inputs.byok).slice("sha256:".length);
    t.is(stagedByokCount(), before + 1, "one file, staged once for both");

    const same = key.diff("id", storedAfterCreate(unchanged.inputs), unchanged.inputs);
    t.false(same.changes);
    t.is(takeStagedByok(digest), text, "still held for the key that will be created");

    const created = await key.create(fresh.inputs);
    t.is(created.outs.byokSha256, digest);
    t.is(takeStagedByok(digest), undefined, "nothing holds the file any more");
    t.is(stagedByokCount(), before);
  },
);

test.serial("a diff that plans a new version keeps the file for the update", async (t) => {
  const { text } = await wrappedTarget("ec-p256", { kekKid: KEK_KID });
  const { text: older } = await wrappedTarget("ec-p256", { kekKid: KEK_KID });
  const program = {
    vaultUrl: HSM_URL,
    name: "rotated",
    byok: text,
    keyType: "EC",
    curve: "P-256",
    kekKid: KEK_KID,
  };
  const { inputs: previous } = key.check({}, { ...program, byok: older });
  const { inputs } = key.check(previous, program);
  const planned = key.diff("id", storedAfterCreate(previous), inputs);
  t.true(planned.changes);
  t.is(takeStagedByok(String(inputs.byok).slice("sha256:".length)), text);
});
