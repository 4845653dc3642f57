/**
 * The token-made file imports through the emulator (issue 5): the stock KeyClient creates an
 * import-only RSA-HSM KEK, `azure-byok pkcs11 wrap` makes the .byok file in SoftHSM2 for it, and
 * the imported key is the token's key, for every size and curve Azure imports: the imported
 * public key is the token's CKA_MODULUS and CKA_PUBLIC_EXPONENT (RSA) or CKA_EC_POINT (EC), and
 * the emulator signs what the token's public key verifies; or the emulator's AES-CBC of one block
 * under a zero IV equals the token's AES-ECB of it (oct).
 */
import { constants, createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { findObjects, CKA } from "../../../cli/pkcs11/index.js";
import type { TokenSession } from "../../../cli/pkcs11/index.js";
import { startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";
import {
  createSoftHsmToken,
  inTokenSession,
  PIN_ENV,
  runAzureByok,
  writeKekPem,
} from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

const CKO_PUBLIC_KEY = 0x2;
const CKM_AES_ECB = 0x1081;

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
  kekPemPath = join(token.dir, "kek.pem");
  writeKekPem(kek, kekPemPath);
});

function inToken<T>(fn: (ts: TokenSession) => T): T {
  return inTokenSession(token.modulePath, token.label, fn);
}

/** One attribute of the token's public key object labelled `label`. */
function publicAttribute(ts: TokenSession, label: string, type: number): Buffer {
  const [publicObject] = findObjects(ts, [
    { type: CKA.LABEL, value: label },
    { type: CKA.CLASS, value: CKO_PUBLIC_KEY },
  ]);
  const [attribute] = ts.library.C_GetAttributeValue(ts.session, publicObject!, [{ type }]);
  return attribute!.value;
}

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
  { spec: "rsa-3072", kty: "RSA-HSM", alg: "PS384", hash: "sha384" },
  { spec: "rsa-4096", kty: "RSA-HSM", alg: "RS512", hash: "sha512" },
  { spec: "ec-p256", kty: "EC-HSM", crv: "P-256", alg: "ES256", hash: "sha256" },
  { spec: "ec-p256k", kty: "EC-HSM", crv: "P-256K", alg: "ES256K", hash: "sha256" },
  { spec: "ec-p384", kty: "EC-HSM", crv: "P-384", alg: "ES384", hash: "sha384" },
  { spec: "ec-p521", kty: "EC-HSM", crv: "P-521", alg: "ES512", hash: "sha512" },
] as const;

for (const { spec, kty, alg, hash, ...rest } of SIGNING) {
  test(`a ${spec} key made in SoftHSM2 imports into the emulator as the token's public key, and the emulator signs what that key verifies`, async (t) => {
    const name = `pkcs11-${spec}`;
    const { byok, publicPem } = await wrapInSoftHsm(spec, name);
    const imported = await env.keyClient().importKey(name, {
      kty,
      ...("crv" in rest ? { crv: rest.crv } : {}),
      keyOps: ["sign", "verify"],
      t: byok,
    });
    t.is(imported.keyType, kty);
    const jwk = imported.key!;
    inToken((ts) => {
      if (kty === "RSA-HSM") {
        t.deepEqual(Buffer.from(jwk.n!), publicAttribute(ts, name, CKA.MODULUS));
        t.deepEqual(Buffer.from(jwk.e!), publicAttribute(ts, name, CKA.PUBLIC_EXPONENT));
      } else {
        // CKA_EC_POINT is DER: OCTET STRING (04), its length, then 04 || x || y.
        const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!), Buffer.from(jwk.y!)]);
        const header = point.length < 128 ? [0x04, point.length] : [0x04, 0x81, point.length];
        t.deepEqual(
          publicAttribute(ts, name, CKA.EC_POINT),
          Buffer.concat([Buffer.from(header), point]),
        );
      }
    });
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
          ...(alg.startsWith("PS")
            ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }
            : {}),
        },
        Buffer.from(result),
      ),
    );
  });
}

for (const size of [128, 192, 256] as const) {
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
    const byToken = inToken((ts) => {
      const [key] = findObjects(ts, [{ type: CKA.LABEL, value: name }]);
      ts.library.C_EncryptInit(ts.session, { mechanism: CKM_AES_ECB }, key!);
      return ts.library.C_Encrypt(ts.session, block, Buffer.alloc(16));
    });
    t.deepEqual(Buffer.from(result), byToken);
  });
}
