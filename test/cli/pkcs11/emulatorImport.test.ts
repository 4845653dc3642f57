/**
 * The token-made file imports through the emulator (issue 5): the stock KeyClient creates an
 * import-only RSA-HSM KEK, `azure-byok pkcs11 wrap` makes the .byok file in SoftHSM2 for it, and
 * the imported key is the token's key: the emulator signs and the token's public key verifies
 * (RSA, EC on every curve), or the emulator's AES-CBC of one block under a zero IV equals the
 * token's AES-ECB of it (oct).
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import {
  openModule,
  openSession,
  listSlots,
  selectSlot,
  findObjects,
  CKA,
} from "../../../cli/pkcs11/index.js";
import { startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";
import { createSoftHsmToken, PIN_ENV, runAzureByok, TEST_PIN } from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

let env: TestEmulator;
let kek: KeyVaultKey;
let token: SoftHsmToken;
let kekPemPath: string;

test.before(async () => {
  token = createSoftHsmToken({ label: "emulator-import" });
  env = await startTestEmulator({ vaults: [{ name: "pkcs11-hsm", kind: "managedhsm" }] });
  kek = await env
    .keyClient()
    .createRsaKey("KEKforPkcs11", { hsm: true, keySize: 2048, keyOps: ["import"] });
  const jwk = kek.key!;
  kekPemPath = join(token.dir, "kek.pem");
  writeFileSync(
    kekPemPath,
    createPublicKey({
      key: {
        kty: "RSA",
        n: Buffer.from(jwk.n!).toString("base64url"),
        e: Buffer.from(jwk.e!).toString("base64url"),
      },
      format: "jwk",
    }).export({ type: "spki", format: "pem" }),
  );
});

test.after.always(async () => {
  await env.emulator.stop();
  token.remove();
});

/** Makes a key in the token and its .byok file for the emulator's KEK; returns the file's bytes. */
async function wrapInSoftHsm(
  spec: string,
  label: string,
): Promise<{ byok: Uint8Array; publicPem?: string }> {
  const out = join(token.dir, `${label}.byok`);
  const publicOut = join(token.dir, `${label}.pem`);
  const run = await runAzureByok(
    [
      "pkcs11",
      "wrap",
      "--module",
      token.modulePath,
      "--token-label",
      token.label,
      "--pin-env",
      PIN_ENV,
      "--kek-pem",
      kekPemPath,
      "--kek-kid",
      kek.id!,
      "--generate",
      spec,
      "--key-label",
      label,
      "--out",
      out,
      ...(spec.startsWith("oct") ? [] : ["--public-key-out", publicOut]),
    ],
    { cwd: token.dir },
  );
  if (run.code !== 0) throw new Error(`pkcs11 wrap failed: ${run.stderr}`);
  return {
    byok: readFileSync(out),
    ...(spec.startsWith("oct") ? {} : { publicPem: readFileSync(publicOut, "utf8") }),
  };
}

const SIGNING = [
  { spec: "rsa-2048", kty: "RSA-HSM", alg: "RS256", hash: "sha256" },
  { spec: "ec-p256", kty: "EC-HSM", crv: "P-256", alg: "ES256", hash: "sha256" },
  { spec: "ec-p256k", kty: "EC-HSM", crv: "P-256K", alg: "ES256K", hash: "sha256" },
  { spec: "ec-p384", kty: "EC-HSM", crv: "P-384", alg: "ES384", hash: "sha384" },
  { spec: "ec-p521", kty: "EC-HSM", crv: "P-521", alg: "ES512", hash: "sha512" },
] as const;

for (const { spec, kty, alg, hash, ...rest } of SIGNING) {
  test(`a ${spec} key made in SoftHSM2 imports into the emulator, which signs what the token's public key verifies`, async (t) => {
    const name = `pkcs11-${spec}`;
    const { byok, publicPem } = await wrapInSoftHsm(spec, name);
    const imported = await env.keyClient().importKey(name, {
      kty,
      ...("crv" in rest ? { crv: rest.crv } : {}),
      keyOps: ["sign", "verify"],
      t: byok,
    });
    t.is(imported.keyType, kty);
    const message = Buffer.from(`made in a PKCS#11 token: ${spec}`);
    const { result } = await env
      .cryptographyClient(imported.id!)
      .sign(alg, createHash(hash).update(message).digest());
    t.true(
      verify(
        hash,
        message,
        {
          key: createPublicKey(publicPem!),
          ...(kty === "EC-HSM" ? { dsaEncoding: "ieee-p1363" as const } : {}),
        },
        Buffer.from(result),
      ),
    );
  });
}

for (const size of [128, 256] as const) {
  test(`an oct-${size} key made in SoftHSM2 imports into the emulator and encrypts a block as the token does`, async (t) => {
    const name = `pkcs11-oct-${size}`;
    const { byok } = await wrapInSoftHsm(`oct-${size}`, name);
    const imported = await env.keyClient().importKey(name, {
      kty: "oct-HSM",
      keyOps: ["encrypt", "decrypt"],
      t: byok,
    });
    t.is(imported.keyType, "oct-HSM");
    const block = Buffer.from("one AES block!!!");
    // CBC of one block under a zero IV is ECB of that block.
    const { result } = await env
      .cryptographyClient(imported.id!)
      .encrypt({ algorithm: `A${size}CBC`, plaintext: block, iv: Buffer.alloc(16) });
    const module = openModule(token.modulePath);
    let byToken: Buffer;
    try {
      const ts = openSession(
        module,
        selectSlot(listSlots(module), { tokenLabel: token.label }),
        TEST_PIN,
      );
      try {
        const [key] = findObjects(ts, [{ type: CKA.LABEL, value: name }]);
        ts.library.C_EncryptInit(ts.session, { mechanism: 0x1081 }, key!);
        byToken = ts.library.C_Encrypt(ts.session, block, Buffer.alloc(16));
      } finally {
        ts.close();
      }
    } finally {
      module.close();
    }
    t.deepEqual(Buffer.from(result), byToken);
  });
}
