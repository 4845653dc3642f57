/**
 * PS256/384/512 as Key Vault does them (contracts §3.2): RSASSA-PSS with MGF1 of the same hash
 * and a salt as long as the digest. Signed through the real CryptographyClient, the signatures
 * verify with Node under exactly that salt length (and not under another), with the emulator's
 * own verify through the same client, and the emulator verifies PSS signatures Node made.
 *
 * Note on the report that "CryptographyClient says the emulator's PS256 signatures are invalid":
 * `verifyData` in the `@azure/keyvault-keys` 4.10.2 package verifies RSA locally once it has the public key, with
 * `createVerify(hash).verify(pem, signature)` and no padding option, which is PKCS#1 v1.5: every
 * PS* signature, the service's included, reads as invalid there. `verify` (a digest) goes to the
 * service and is what these tests use.
 */
import { constants, createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import test from "ava";
import { startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({ vaults: [{ name: "pss-hsm", kind: "managedhsm" }] });
});

test.after.always(async () => {
  await env.emulator.stop();
});

const CASES = [
  { alg: "PS256", hash: "sha256", bytes: 32 },
  { alg: "PS384", hash: "sha384", bytes: 48 },
  { alg: "PS512", hash: "sha512", bytes: 64 },
] as const;

const pairs = new Map<number, { publicKey: KeyObject; privateKey: KeyObject }>();
function pairOf(size: number): { publicKey: KeyObject; privateKey: KeyObject } {
  let pair = pairs.get(size);
  if (pair === undefined) {
    pair = generateKeyPairSync("rsa", { modulusLength: size });
    pairs.set(size, pair);
  }
  return pair;
}

for (const size of [2048, 3072] as const) {
  for (const { alg, hash, bytes } of CASES) {
    test(`${alg} with an RSA-${size} key: salt length = digest length (${bytes} bytes), both ways, through the real CryptographyClient`, async (t) => {
      const { publicKey, privateKey } = pairOf(size);
      const jwk = privateKey.export({ format: "jwk" });
      const bytesOf = (value: string | undefined): Uint8Array =>
        Buffer.from(value ?? "", "base64url");
      const key = await env.keyClient().importKey(`pss-${alg}-${size}`, {
        kty: "RSA-HSM",
        keyOps: ["sign", "verify"],
        n: bytesOf(jwk.n),
        e: bytesOf(jwk.e),
        d: bytesOf(jwk.d),
        p: bytesOf(jwk.p),
        q: bytesOf(jwk.q),
        dp: bytesOf(jwk.dp),
        dq: bytesOf(jwk.dq),
        qi: bytesOf(jwk.qi),
      });
      const crypto = env.cryptographyClient(key.id!);
      const message = Buffer.from(`a message signed with ${alg}`);
      const digest = createHash(hash).update(message).digest();

      const { result: signature } = await crypto.sign(alg, digest);
      const pss = (saltLength: number): boolean =>
        verify(
          hash,
          message,
          { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
          Buffer.from(signature),
        );
      t.true(pss(constants.RSA_PSS_SALTLEN_DIGEST), "salt length = digest length");
      t.true(pss(bytes));
      t.false(
        pss(size / 8 - bytes - 2),
        "not the maximum salt length (Node's default for signing)",
      );
      t.true((await crypto.verify(alg, digest, signature)).result);

      // The other way: the emulator verifies what Node signs with the digest-length salt.
      const nodeSignature = sign(hash, message, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
      t.true((await crypto.verify(alg, digest, nodeSignature)).result);
      const tampered = Buffer.from(nodeSignature);
      tampered[10] = (tampered[10] ?? 0) ^ 1;
      t.false((await crypto.verify(alg, digest, tampered)).result);
    });
  }
}
