import { constants, createPrivateKey, privateDecrypt } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import test from "ava";
import {
  EPHEMERAL_AES_KEY_BYTES,
  oaepDecryptAesKey,
  oaepEncryptAesKey,
  rsaAesKeyUnwrap,
  rsaAesKeyWrap,
  unwrapKeyWithPadding,
  wrappedLength,
} from "../../byok/index.js";
import { throwsByok } from "../harness/assertByok.js";
import { rsaPair } from "../harness/keys.js";
import { hex, readVectors } from "../harness/vectors.js";

interface OaepCase {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  ct: string;
  label: string;
  result: "valid" | "invalid" | "acceptable";
}

const oaep = readVectors("wycheproof/rsa_oaep_2048_sha1_mgf1sha1_test.json") as {
  numberOfTests: number;
  testGroups: { privateKeyJwk: JsonWebKey; tests: OaepCase[] }[];
};

test("Wycheproof RSA-OAEP-SHA1: the vendored file is whole (every tcId once, as many as it declares)", (t) => {
  const ids = oaep.testGroups.flatMap((group) => group.tests.map((vector) => vector.tcId));
  t.is(ids.length, oaep.numberOfTests);
  t.is(new Set(ids).size, ids.length);
});

const REFUSED =
  /^the RSA-OAEP block does not decrypt with this KEK: the file was wrapped for another KEK, or altered$/;

for (const group of oaep.testGroups) {
  const privateKey = createPrivateKey({ key: group.privateKeyJwk, format: "jwk" });
  for (const vector of group.tests) {
    const what = `Wycheproof RSA-OAEP-SHA1 tcId ${vector.tcId} (${vector.comment || vector.flags.join(", ") || "normal"})`;
    if (vector.result === "valid" && vector.label === "") {
      test(`${what}: valid, decrypts to the message`, (t) => {
        t.is(oaepDecryptAesKey(privateKey, hex(vector.ct)).toString("hex"), vector.msg);
      });
    } else if (vector.result === "valid") {
      // Valid under its label; Azure's CKM_RSA_AES_KEY_WRAP fixes an empty label, so the same
      // block is refused like a bad padding, with the same code and words (no padding oracle).
      test(`${what}: valid with its label, refused with ERR_BYOK_OAEP under the mechanism's empty label`, (t) => {
        const withItsLabel = privateDecrypt(
          {
            key: privateKey,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: "sha1",
            oaepLabel: hex(vector.label),
          },
          hex(vector.ct),
        );
        t.is(withItsLabel.toString("hex"), vector.msg);
        throwsByok(
          t,
          () => oaepDecryptAesKey(privateKey, hex(vector.ct)),
          "ERR_BYOK_OAEP",
          REFUSED,
        );
      });
    } else if (vector.result === "invalid") {
      test(`${what}: invalid, refused with ERR_BYOK_OAEP`, (t) => {
        throwsByok(
          t,
          () => oaepDecryptAesKey(privateKey, hex(vector.ct)),
          "ERR_BYOK_OAEP",
          REFUSED,
        );
      });
    } else {
      // "acceptable": either outcome, but a decryption must give the message.
      test(`${what}: acceptable, refused or decrypted to the message`, (t) => {
        try {
          t.is(oaepDecryptAesKey(privateKey, hex(vector.ct)).toString("hex"), vector.msg);
        } catch (error) {
          t.is((error as { code?: string }).code, "ERR_BYOK_OAEP");
        }
      });
    }
  }
}

test("the RSA block is the KEK's modulus size and the rest is RFC 5649 under the AES key", async (t) => {
  const kek = await rsaPair(2048);
  const aesKey = Buffer.alloc(EPHEMERAL_AES_KEY_BYTES, 7);
  const target = Buffer.from("some target key bytes");
  const ciphertext = rsaAesKeyWrap(kek.publicKey, target, { aesKey });
  t.is(ciphertext.length, 256 + wrappedLength(target.length));
  t.deepEqual(oaepDecryptAesKey(kek.privateKey, ciphertext.subarray(0, 256)), aesKey);
  t.deepEqual(unwrapKeyWithPadding(aesKey, ciphertext.subarray(256)), target);
  t.deepEqual(rsaAesKeyUnwrap(kek.privateKey, ciphertext), target);
});

test("each wrap uses a fresh AES key, so the same target wraps to different bytes", async (t) => {
  const kek = await rsaPair(2048);
  const target = Buffer.alloc(32, 9);
  t.notDeepEqual(rsaAesKeyWrap(kek.publicKey, target), rsaAesKeyWrap(kek.publicKey, target));
});

test("unwrapping with another KEK fails the OAEP step", async (t) => {
  const [kek, other] = await Promise.all([rsaPair(2048), rsaPair(3072)]);
  const ciphertext = rsaAesKeyWrap(other.publicKey, Buffer.alloc(32, 1));
  // A 3072-bit ciphertext read with a 2048-bit KEK: the first 256 bytes are not its RSA block.
  throwsByok(t, () => rsaAesKeyUnwrap(kek.privateKey, ciphertext), "ERR_BYOK_OAEP", /another KEK/);
});

test("an OAEP block holding something other than an AES key is refused", async (t) => {
  const kek = await rsaPair(2048);
  const ciphertext = Buffer.concat([
    oaepEncryptAesKey(kek.publicKey, Buffer.alloc(20)),
    Buffer.alloc(24),
  ]);
  throwsByok(
    t,
    () => rsaAesKeyUnwrap(kek.privateKey, ciphertext),
    "ERR_BYOK_OAEP",
    /holds 20 bytes: an AES key of 16, 24 or 32 bytes was expected/,
  );
});

test("a ciphertext shorter than the RSA block and a minimal wrapped key is refused for its length", async (t) => {
  const kek = await rsaPair(2048);
  throwsByok(
    t,
    () => rsaAesKeyUnwrap(kek.privateKey, Buffer.alloc(256 + 8)),
    "ERR_BYOK_CIPHERTEXT_LENGTH",
    /is 264 bytes: with a 2048-bit KEK it must hold a 256-byte RSA block and at least 16 bytes/,
  );
});
