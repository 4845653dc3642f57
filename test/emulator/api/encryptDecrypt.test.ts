/**
 * AES encrypt and decrypt with an oct-HSM key through the stock `CryptographyClient`, checked
 * against `node:crypto` with the same key bytes (contracts §3.2 JsonWebKeyEncryptionAlgorithm):
 * A128/192/256GCM (the service picks the IV; the tag and AAD come back), A…CBC (no padding, the
 * caller's IV) and A…CBCPAD (PKCS#7). Each direction is checked: what the emulator encrypts,
 * Node decrypts, and what Node encrypts, the emulator decrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import test from "ava";
import type { CryptographyClient } from "@azure/keyvault-keys";
import { serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({ vaults: [{ name: "aes-hsm", kind: "managedhsm" }] });
});

test.after.always(async () => {
  await env.emulator.stop();
});

type Bits = 128 | 192 | 256;

/** An oct-HSM key whose bytes the test knows (a plain JWK import), and a client for it. */
async function knownAesKey(
  bits: Bits,
  name: string,
): Promise<{ k: Buffer; crypto: CryptographyClient }> {
  const k = randomBytes(bits / 8);
  const key = await env.keyClient().importKey(name, {
    kty: "oct-HSM",
    k,
    keyOps: ["encrypt", "decrypt"],
  });
  return { k, crypto: env.cryptographyClient(key.id!) };
}

for (const bits of [128, 192, 256] as const) {
  test(`A${bits}GCM: the emulator's ciphertext, IV and tag decrypt in Node, and Node's decrypt in the emulator`, async (t) => {
    const { k, crypto } = await knownAesKey(bits, `aes-gcm-${bits}`);
    const algorithm = `A${bits}GCM` as const;
    const plaintext = Buffer.from(`a secret for AES-${bits}-GCM, any length`);
    const aad = Buffer.from("additional data");
    const sealed = await crypto.encrypt({
      algorithm,
      plaintext,
      additionalAuthenticatedData: aad,
    });
    t.is(sealed.iv?.length, 12);
    t.is(sealed.authenticationTag?.length, 16);
    const decipher = createDecipheriv(`aes-${bits}-gcm`, k, sealed.iv!);
    decipher.setAuthTag(sealed.authenticationTag!);
    decipher.setAAD(aad);
    t.deepEqual(Buffer.concat([decipher.update(sealed.result), decipher.final()]), plaintext);

    const iv = randomBytes(12);
    const cipher = createCipheriv(`aes-${bits}-gcm`, k, iv);
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const opened = await crypto.decrypt({
      algorithm,
      ciphertext,
      iv,
      authenticationTag: tag,
      additionalAuthenticatedData: aad,
    });
    t.deepEqual(Buffer.from(opened.result), plaintext);

    const badTag = Buffer.from(tag);
    badTag[0] = (badTag[0] ?? 0) ^ 1;
    const refused = serviceErrorOf(
      await t.throwsAsync(
        crypto.decrypt({
          algorithm,
          ciphertext,
          iv,
          authenticationTag: badTag,
          additionalAuthenticatedData: aad,
        }),
      ),
    );
    t.is(refused.statusCode, 400, refused.message);
    t.is(refused.code, "BadParameter");
  });

  test(`A${bits}CBC: the same ciphertext as Node's AES-${bits}-CBC without padding, both ways`, async (t) => {
    const { k, crypto } = await knownAesKey(bits, `aes-cbc-${bits}`);
    const algorithm = `A${bits}CBC` as const;
    const plaintext = randomBytes(48);
    const iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${bits}-cbc`, k, iv).setAutoPadding(false);
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const sealed = await crypto.encrypt({ algorithm, plaintext, iv });
    t.deepEqual(Buffer.from(sealed.result), expected);
    const opened = await crypto.decrypt({ algorithm, ciphertext: expected, iv });
    t.deepEqual(Buffer.from(opened.result), plaintext);
  });

  test(`A${bits}CBCPAD: the same ciphertext as Node's AES-${bits}-CBC with PKCS#7 padding, both ways`, async (t) => {
    const { k, crypto } = await knownAesKey(bits, `aes-cbcpad-${bits}`);
    const algorithm = `A${bits}CBCPAD` as const;
    const plaintext = Buffer.from("21 bytes, not a block");
    const iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${bits}-cbc`, k, iv);
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    t.is(expected.length, 32);
    const sealed = await crypto.encrypt({ algorithm, plaintext, iv });
    t.deepEqual(Buffer.from(sealed.result), expected);
    const opened = await crypto.decrypt({ algorithm, ciphertext: expected, iv });
    t.deepEqual(Buffer.from(opened.result), plaintext);
  });
}

test("A256CBC refuses a plaintext that is not a whole number of blocks (400 BadParameter)", async (t) => {
  const { crypto } = await knownAesKey(256, "aes-cbc-partial");
  const error = serviceErrorOf(
    await t.throwsAsync(
      crypto.encrypt({ algorithm: "A256CBC", plaintext: randomBytes(20), iv: randomBytes(16) }),
    ),
  );
  t.is(error.statusCode, 400, error.message);
  t.is(error.code, "BadParameter");
  t.regex(error.message, /multiple of 16 bytes/);
});

test("an algorithm for another key size is refused (400 BadParameter naming the right one)", async (t) => {
  const { crypto } = await knownAesKey(128, "aes-wrong-size");
  const error = serviceErrorOf(
    await t.throwsAsync(crypto.encrypt({ algorithm: "A256GCM", plaintext: Buffer.from("x") })),
  );
  t.is(error.statusCode, 400, error.message);
  t.regex(error.message, /A128GCM/);
});
