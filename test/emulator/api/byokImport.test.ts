/**
 * The seed's flow with the stock SDK (issue 3): create an RSA-HSM 4096 import-only KEK, read its
 * public key as PEM, wrap a target key with byok/, import it with `t` = the file's bytes, then
 * use it: sign with the imported key and verify with the original public key (RSA, EC on every
 * curve), or a wrap/unwrap round trip (oct). Then every way an import must fail.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { buildByokFile, curveFromNodeName, EC_CURVES } from "../../../byok/index.js";
import type { EcCurve } from "../../../byok/index.js";
import {
  createTestKek,
  memoizedTargetKey,
  rawRequest,
  serviceErrorOf,
  startTestEmulator,
} from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;
let kek: KeyVaultKey;
let kekPem: string;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "byok-hsm", kind: "managedhsm" },
      { name: "byok-vault", kind: "vault" },
    ],
  });
  kek = await env
    .keyClient()
    .createRsaKey("KEKforBYOK", { hsm: true, keySize: 4096, keyOps: ["import"] });
  kekPem = publicPemOf(kek);
});

test.after.always(async () => {
  await env.emulator.stop();
});

function publicPemOf(key: KeyVaultKey): string {
  const jwk = key.key!;
  return createPublicKey({
    key: {
      kty: "RSA",
      n: Buffer.from(jwk.n!).toString("base64url"),
      e: Buffer.from(jwk.e!).toString("base64url"),
    },
    format: "jwk",
  })
    .export({ type: "spki", format: "pem" })
    .toString();
}

function byokBytes(
  target: Parameters<typeof buildByokFile>[0],
  kekKid = kek.id!,
  pem = kekPem,
): Uint8Array {
  return Buffer.from(buildByokFile(target, { kekPublicKey: pem, kekKid }).text, "utf8");
}

test("the KEK is RSA-HSM 4096 with key_ops exactly [import] and its public key reads as SPKI PEM", (t) => {
  t.is(kek.keyType, "RSA-HSM");
  t.deepEqual(kek.keyOperations, ["import"]);
  t.is(createPublicKey(kekPem).asymmetricKeyDetails?.modulusLength, 4096);
  t.regex(kekPem, /^-----BEGIN PUBLIC KEY-----/);
});

test("an RSA-2048 key imported from a .byok file signs, and the original public key verifies", async (t) => {
  const target = await memoizedTargetKey("rsa-2048");
  if (!("privateKey" in target)) return t.fail();
  const imported = await env
    .keyClient()
    .importKey("seed-rsa", { kty: "RSA-HSM", keyOps: ["sign", "verify"], t: byokBytes(target) });
  t.is(imported.keyType, "RSA-HSM");
  t.deepEqual(imported.keyOperations, ["sign", "verify"]);
  const message = Buffer.from("the seed's flow, RSA");
  const { result } = await env
    .cryptographyClient(imported.id!)
    .sign("RS256", createHash("sha256").update(message).digest());
  t.true(verify("sha256", message, createPublicKey(target.privateKey), Buffer.from(result)));
  const n = Buffer.from(imported.key!.n!).toString("base64url");
  t.is(n, createPublicKey(target.privateKey).export({ format: "jwk" }).n ?? "");
});

const HASH_OF: Record<EcCurve, { alg: "ES256" | "ES256K" | "ES384" | "ES512"; hash: string }> = {
  "P-256": { alg: "ES256", hash: "sha256" },
  "P-256K": { alg: "ES256K", hash: "sha256" },
  "P-384": { alg: "ES384", hash: "sha384" },
  "P-521": { alg: "ES512", hash: "sha512" },
};

for (const curve of EC_CURVES) {
  test(`an EC ${curve} key imported from a .byok file signs, and the original public key verifies`, async (t) => {
    const spec = `ec-${curve.toLowerCase().replace("-", "")}`;
    const target = await memoizedTargetKey(spec);
    if (!("privateKey" in target)) return t.fail();
    const name = `seed-ec-${curve.replace("-", "").toLowerCase()}`;
    const imported = await env
      .keyClient()
      .importKey(name, { kty: "EC-HSM", crv: curve, t: byokBytes(target) });
    t.is(imported.keyType, "EC-HSM");
    t.is(imported.key?.crv, curve);
    t.deepEqual(imported.keyOperations, ["sign", "verify"]);
    const message = Buffer.from(`the seed's flow, ${curve}`);
    const { alg, hash } = HASH_OF[curve];
    const { result } = await env
      .cryptographyClient(imported.id!)
      .sign(alg, createHash(hash).update(message).digest());
    const publicKey = createPublicKey(target.privateKey);
    t.is(curveFromNodeName(publicKey.asymmetricKeyDetails?.namedCurve ?? ""), curve);
    t.true(
      verify(hash, message, { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(result)),
    );
  });
}

test("an oct-256 key imported from a .byok file wraps and unwraps a key (A256KW) the original AES key also unwraps", async (t) => {
  const target = await memoizedTargetKey("oct-256");
  if (!("octKey" in target)) return t.fail();
  const imported = await env.keyClient().importKey("seed-oct", {
    kty: "oct-HSM",
    keyOps: ["wrapKey", "unwrapKey"],
    t: byokBytes(target),
  });
  t.is(imported.keyType, "oct-HSM");
  t.is(imported.key?.k, undefined);
  const crypto = env.cryptographyClient(imported.id!);
  const secret = Buffer.from("0123456789abcdef0123456789abcdef");
  const wrapped = await crypto.wrapKey("A256KW", secret);
  const { createDecipheriv } = await import("node:crypto");
  const decipher = createDecipheriv(
    "id-aes256-wrap",
    target.octKey,
    Buffer.from("A6A6A6A6A6A6A6A6", "hex"),
  );
  t.deepEqual(Buffer.concat([decipher.update(wrapped.result), decipher.final()]), secret);
  const unwrapped = await crypto.unwrapKey("A256KW", wrapped.result);
  t.deepEqual(Buffer.from(unwrapped.result), secret);
});

test("the Azure CLI's top-level Hsm field and api-version 7.4-preview.1 are accepted on import", async (t) => {
  const target = await memoizedTargetKey("ec-p256");
  const token = (await env.credential.getToken("https://managedhsm.azure.net/.default"))!.token;
  const response = await rawRequest(
    `${env.emulator.url("byok-hsm")}/keys/cli-import?api-version=7.4-preview.1`,
    {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
      body: {
        Hsm: true,
        key: {
          kty: "EC-HSM",
          crv: "P-256",
          key_hsm: Buffer.from(byokBytes(target)).toString("base64url"),
        },
        attributes: { enabled: true },
      },
    },
  );
  t.is(response.status, 200);
  t.is((response.json as { key: { kty: string } }).key.kty, "EC-HSM");
});

test("no response ever carries private key material", async (t) => {
  const target = await memoizedTargetKey("rsa-2048");
  await env.keyClient().importKey("no-private-members", { kty: "RSA-HSM", t: byokBytes(target) });
  const key = await env.keyClient().getKey("no-private-members");
  const jwk = key.key as Record<string, unknown>;
  t.truthy(jwk.n);
  for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) t.is(jwk[member], undefined, member);
});

// --- failures -----------------------------------------------------------------------------

async function expectImportFailure(
  t: ExecutionContext,
  promise: Promise<unknown>,
  status: number,
  code: string,
  innerCode: string,
) {
  const error = serviceErrorOf(await t.throwsAsync(promise));
  t.is(error.statusCode, status, error.message);
  t.is(error.code, code);
  t.is(error.innerCode, innerCode);
  return error;
}

test("a KEK whose key_ops are not exactly [import] is refused (400 KekNotImportOnly)", async (t) => {
  const other = await env.keyClient().createRsaKey("kek-with-other-ops", {
    hsm: true,
    keySize: 2048,
    keyOps: ["wrapKey", "unwrapKey"],
  });
  const target = await memoizedTargetKey("ec-p384");
  const error = await expectImportFailure(
    t,
    env.keyClient().importKey("bad-kek-ops", {
      kty: "EC-HSM",
      crv: "P-384",
      t: byokBytes(target, other.id ?? "", publicPemOf(other)),
    }),
    400,
    "BadParameter",
    "KekNotImportOnly",
  );
  t.regex(error.message, /key_ops exactly \["import"\]/);
});

test("a disabled KEK is refused (400 KekNotUsable)", async (t) => {
  const keys = env.keyClient();
  const { kek: disabled, publicKeyPem } = await createTestKek(keys, "kek-disabled");
  const target = await memoizedTargetKey("ec-p256");
  const file = byokBytes(target, disabled.id ?? "", publicKeyPem);
  await keys.updateKeyProperties("kek-disabled", disabled.properties.version!, { enabled: false });
  const error = await expectImportFailure(
    t,
    keys.importKey("with-disabled-kek", { kty: "EC-HSM", crv: "P-256", t: file }),
    400,
    "BadParameter",
    "KekNotUsable",
  );
  t.regex(error.message, /is disabled: enable it first/);
});

test("an expired KEK is refused (400 KekNotUsable)", async (t) => {
  const keys = env.keyClient();
  const { kek: expiring, publicKeyPem } = await createTestKek(keys, "kek-expired");
  const target = await memoizedTargetKey("ec-p256");
  const file = byokBytes(target, expiring.id ?? "", publicKeyPem);
  await keys.updateKeyProperties("kek-expired", expiring.properties.version!, {
    expiresOn: new Date(Date.now() - 60_000),
  });
  const error = await expectImportFailure(
    t,
    keys.importKey("with-expired-kek", { kty: "EC-HSM", crv: "P-256", t: file }),
    400,
    "BadParameter",
    "KekNotUsable",
  );
  t.regex(error.message, /expired: create a new KEK and wrap the key again/);
});

test("a .byok header kid naming no KEK in this vault is refused (400 KekNotFound)", async (t) => {
  const target = await memoizedTargetKey("ec-p256");
  const wrongKid = kek.id!.replace(/\/[0-9a-f]{32}$/, "/0123456789abcdef0123456789abcdef");
  await expectImportFailure(
    t,
    env
      .keyClient()
      .importKey("wrong-kid", { kty: "EC-HSM", crv: "P-256", t: byokBytes(target, wrongKid) }),
    400,
    "BadParameter",
    "KekNotFound",
  );
});

test("a tampered ciphertext is refused (400 UnwrapFailed)", async (t) => {
  const target = await memoizedTargetKey("ec-p256");
  const file = JSON.parse(Buffer.from(byokBytes(target)).toString("utf8")) as {
    ciphertext: string;
  };
  const bytes = Buffer.from(file.ciphertext, "base64url");
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x01;
  const tampered = Buffer.from(
    JSON.stringify({ ...file, ciphertext: bytes.toString("base64url") }),
  );
  await expectImportFailure(
    t,
    env.keyClient().importKey("tampered", { kty: "EC-HSM", crv: "P-256", t: tampered }),
    400,
    "BadParameter",
    "UnwrapFailed",
  );
});

test("a file holding an RSA key imported as EC-HSM is refused (400 TargetKeyTypeMismatch)", async (t) => {
  const target = await memoizedTargetKey("rsa-2048");
  await expectImportFailure(
    t,
    env
      .keyClient()
      .importKey("kty-mismatch", { kty: "EC-HSM", crv: "P-256", t: byokBytes(target) }),
    400,
    "BadParameter",
    "TargetKeyTypeMismatch",
  );
});

test("a P-384 key imported as P-256 is refused (400 TargetKeyTypeMismatch)", async (t) => {
  const target = await memoizedTargetKey("ec-p384");
  await expectImportFailure(
    t,
    env
      .keyClient()
      .importKey("crv-mismatch", { kty: "EC-HSM", crv: "P-256", t: byokBytes(target) }),
    400,
    "BadParameter",
    "TargetKeyTypeMismatch",
  );
});

test("an RSA-1024 target key is refused (400 TargetKeyNotSupported)", async (t) => {
  const { generateKeyPairSync, publicEncrypt, constants, randomBytes, createCipheriv } =
    await import("node:crypto");
  // buildByokFile refuses RSA-1024 itself, so wrap it by hand, as another tool could.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const aesKey = randomBytes(32);
  const cipher = createCipheriv("id-aes256-wrap-pad", aesKey, Buffer.from("A65959A6", "hex"));
  const wrapped = Buffer.concat([
    cipher.update(privateKey.export({ type: "pkcs8", format: "der" })),
    cipher.final(),
  ]);
  const rsaBlock = publicEncrypt(
    { key: kekPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    aesKey,
  );
  const file = {
    schema_version: "1.0.0",
    header: { kid: kek.id!, alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" },
    ciphertext: Buffer.concat([rsaBlock, wrapped]).toString("base64url"),
    generator: "test",
  };
  const error = await expectImportFailure(
    t,
    env.keyClient().importKey("rsa-1024", { kty: "RSA-HSM", t: Buffer.from(JSON.stringify(file)) }),
    400,
    "BadParameter",
    "TargetKeyNotSupported",
  );
  t.regex(error.message, /RSA-1024/);
});

test("an oct-HSM key in a Key Vault Premium vault is refused (400 KeyTypeNotSupported)", async (t) => {
  await expectImportFailure(
    t,
    env.keyClient("byok-vault").createKey("oct-in-vault", "oct-HSM", { keySize: 256 }),
    400,
    "BadParameter",
    "KeyTypeNotSupported",
  );
});

test("an oct-HSM key imported from a .byok file into a Key Vault Premium vault is refused (400 KeyTypeNotSupported)", async (t) => {
  const vaultKeys = env.keyClient("byok-vault");
  const { kek: vaultKek, publicKeyPem } = await createTestKek(vaultKeys, "vault-kek-oct");
  const target = await memoizedTargetKey("oct-256");
  const error = await expectImportFailure(
    t,
    vaultKeys.importKey("oct-byok-in-vault", {
      kty: "oct-HSM",
      t: byokBytes(target, vaultKek.id ?? "", publicKeyPem),
    }),
    400,
    "BadParameter",
    "KeyTypeNotSupported",
  );
  t.regex(error.message, /oct-HSM keys exist only in a Managed HSM/);
  const missing = serviceErrorOf(await t.throwsAsync(vaultKeys.getKey("oct-byok-in-vault")));
  t.is(missing.statusCode, 404);
});

test("a KEK can only import: signing with it is refused (403 KeyOperationForbidden)", async (t) => {
  // The SDK refuses locally once it has read key_ops, so ask the service directly.
  const token = (await env.credential.getToken("https://managedhsm.azure.net/.default"))!.token;
  const response = await rawRequest(`${kek.id!}/sign?api-version=7.6`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: { alg: "RS256", value: Buffer.alloc(32, 1).toString("base64url") },
  });
  t.is(response.status, 403);
  const body = response.json as { error: { code: string; innererror: { code: string } } };
  t.is(body.error.code, "Forbidden");
  t.is(body.error.innererror.code, "KeyOperationForbidden");
});

test("Managed HSM errors end with an Activity ID", async (t) => {
  const error = serviceErrorOf(await t.throwsAsync(env.keyClient().getKey("no-such-key")));
  t.is(error.statusCode, 404);
  t.is(error.code, "KeyNotFound");
  t.regex(error.message, /\(Activity ID: [0-9a-f-]{36}\)$/);
});
