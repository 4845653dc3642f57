/**
 * Secure key release with the stock KeyClient (issue 3): an exportable key with a release policy
 * is released to an attestation token whose claims satisfy the policy, as a JWS signed under the
 * emulator's certificate whose payload holds the key wrapped (CKM_RSA_AES_KEY_WRAP, or the
 * SHA-256 variant) for the token's runtime key; every refusal has its status and code.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  verify,
  X509Certificate,
} from "node:crypto";
import { readFileSync } from "node:fs";
import test from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { rsaAesKeyUnwrap, unwrapKeyWithPadding } from "../../../byok/index.js";
import { serviceErrorOf, startTestEmulator, TEST_CA_DIR } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

const AUTHORITY = "https://sharedeus.eus.attest.azure.net";

let env: TestEmulator;
const runtime = generateKeyPairSync("rsa", { modulusLength: 2048 });
const runtimeJwk = runtime.publicKey.export({ format: "jwk" });

test.before(async () => {
  env = await startTestEmulator({ vaults: [{ name: "release-hsm", kind: "managedhsm" }] });
});

test.after.always(async () => {
  await env.emulator.stop();
});

/** An attestation token as an attestation service would issue (the emulator checks no signature). */
function attestationToken(
  claims: Record<string, unknown> = {},
  options: { issuer?: string; expiresIn?: number } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: options.issuer ?? AUTHORITY,
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    "x-ms-attestation-type": "sevsnpvm",
    "x-ms-compliance-status": "azure-compliant-uvm",
    "x-ms-sevsnpvm-is-debuggable": false,
    "x-ms-runtime": {
      keys: [{ kid: "TpmEphemeralEncryptionKey", key_ops: ["encrypt"], ...runtimeJwk }],
    },
    ...claims,
  };
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.${Buffer.alloc(64, 1).toString("base64url")}`;
}

const POLICY = {
  version: "1.0.0",
  anyOf: [
    {
      authority: AUTHORITY,
      allOf: [
        { claim: "x-ms-attestation-type", equals: "sevsnpvm" },
        { claim: "x-ms-compliance-status", equals: "azure-compliant-uvm" },
        { claim: "x-ms-sevsnpvm-is-debuggable", equals: "false" },
      ],
    },
  ],
};

function releasePolicy(policy: unknown = POLICY): { encodedPolicy: Uint8Array } {
  return { encodedPolicy: Buffer.from(JSON.stringify(policy)) };
}

interface ReleasedPayload {
  request: { "api-version": string; enc: string; kid: string; nonce?: string };
  response: { key: { key: { kid: string; kty: string; key_hsm: string; n?: string; x?: string } } };
}

/** Checks the JWS against its x5c chain (leaf signed by the test CA) and returns its payload. */
function openJws(
  t: { true: (value: boolean, message?: string) => void },
  jws: string,
): ReleasedPayload {
  const [headerPart = "", payloadPart = "", signaturePart = ""] = jws.split(".");
  const header = JSON.parse(Buffer.from(headerPart, "base64url").toString()) as {
    alg: string;
    x5c: string[];
  };
  t.true(header.alg === "ES256", `alg ${header.alg}`);
  const leaf = new X509Certificate(Buffer.from(header.x5c[0] ?? "", "base64"));
  const ca = new X509Certificate(readFileSync(`${TEST_CA_DIR}/ca.pem`));
  t.true(leaf.verify(ca.publicKey), "the signing certificate is issued by the emulator CA");
  t.true(
    verify(
      "sha256",
      Buffer.from(`${headerPart}.${payloadPart}`),
      { key: leaf.publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signaturePart, "base64url"),
    ),
    "the JWS signature verifies with the x5c leaf",
  );
  return JSON.parse(Buffer.from(payloadPart, "base64url").toString()) as ReleasedPayload;
}

function keyHsmBlob(payload: ReleasedPayload): {
  schema_version: string;
  header: { kid: string; alg: string; enc: string };
  ciphertext: string;
} {
  return JSON.parse(
    Buffer.from(payload.response.key.key.key_hsm, "base64url").toString(),
  ) as ReturnType<typeof keyHsmBlob>;
}

function publicJwkOf(key: KeyVaultKey): { n?: string; x?: string } {
  return {
    ...(key.key?.n === undefined ? {} : { n: Buffer.from(key.key.n).toString("base64url") }),
    ...(key.key?.x === undefined ? {} : { x: Buffer.from(key.key.x).toString("base64url") }),
  };
}

test("an exportable RSA-HSM key is released to an attestation that satisfies its policy: a signed JWS holding the key wrapped for the runtime key", async (t) => {
  const client = env.keyClient();
  const key = await client.createRsaKey("release-rsa", {
    hsm: true,
    keySize: 2048,
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const { value } = await client.releaseKey("release-rsa", attestationToken(), {
    nonce: "nonce-1",
  });
  const payload = openJws(t, value);
  t.is(payload.request.kid, key.id!);
  t.is(payload.request.enc, "CKM_RSA_AES_KEY_WRAP");
  t.is(payload.request.nonce, "nonce-1");
  t.is(payload.response.key.key.kid, key.id!);
  t.is(payload.response.key.key.kty, "RSA-HSM");
  const blob = keyHsmBlob(payload);
  t.is(blob.schema_version, "1.0");
  t.deepEqual(blob.header, {
    kid: "TpmEphemeralEncryptionKey",
    alg: "dir",
    enc: "CKM_RSA_AES_KEY_WRAP",
  });
  const pkcs8 = rsaAesKeyUnwrap(runtime.privateKey, Buffer.from(blob.ciphertext, "base64url"));
  const released = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  t.is(createPublicKey(released).export({ format: "jwk" }).n, publicJwkOf(key).n);
});

test("an EC-HSM key is released with enc RSA_AES_KEY_WRAP_256 (OAEP SHA-256), version given", async (t) => {
  const client = env.keyClient();
  const key = await client.createEcKey("release-ec", {
    hsm: true,
    curve: "P-384",
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const { value } = await client.releaseKey("release-ec", attestationToken(), {
    algorithm: "RSA_AES_KEY_WRAP_256",
    version: key.properties.version!,
  });
  const payload = openJws(t, value);
  t.is(payload.request.enc, "RSA_AES_KEY_WRAP_256");
  const ciphertext = Buffer.from(keyHsmBlob(payload).ciphertext, "base64url");
  const aesKey = privateDecrypt(
    { key: runtime.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    ciphertext.subarray(0, 256),
  );
  const pkcs8 = unwrapKeyWithPadding(aesKey, ciphertext.subarray(256));
  const released = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  t.is(createPublicKey(released).export({ format: "jwk" }).x, publicJwkOf(key).x);
});

test("an oct-HSM key is released as its raw bytes, and they are the key (an AES-KW round trip)", async (t) => {
  const client = env.keyClient();
  const key = await client.createOctKey("release-oct", {
    hsm: true,
    keySize: 256,
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const { value } = await client.releaseKey("release-oct", attestationToken());
  const raw = rsaAesKeyUnwrap(
    runtime.privateKey,
    Buffer.from(keyHsmBlob(openJws(t, value)).ciphertext, "base64url"),
  );
  t.is(raw.length, 32);
  const secret = Buffer.alloc(32, 9);
  const wrapped = await env.cryptographyClient(key.id!).wrapKey("A256KW", secret);
  const { createDecipheriv } = await import("node:crypto");
  const decipher = createDecipheriv("id-aes256-wrap", raw, Buffer.from("A6A6A6A6A6A6A6A6", "hex"));
  t.deepEqual(
    Buffer.concat([decipher.update(Buffer.from(wrapped.result)), decipher.final()]),
    secret,
  );
});

test("a policy with nested anyOf is satisfied by any one branch", async (t) => {
  const client = env.keyClient();
  await client.createEcKey("release-anyof", {
    hsm: true,
    curve: "P-256",
    exportable: true,
    releasePolicy: releasePolicy({
      version: "1.0.0",
      anyOf: [
        { authority: "https://other.attest.azure.net", allOf: [{ claim: "a", equals: "b" }] },
        {
          authority: `${AUTHORITY}/`,
          anyOf: [
            { claim: "x-ms-attestation-type", equals: "tdxvm" },
            { claim: "x-ms-attestation-type", equals: "sevsnpvm" },
          ],
        },
      ],
    }),
  });
  const { value } = await client.releaseKey("release-anyof", attestationToken());
  t.is(value.split(".").length, 3);
});

test("an attestation whose claim differs from the policy is refused (403 ReleasePolicyNotSatisfied, naming the claim)", async (t) => {
  const client = env.keyClient();
  await client.createEcKey("release-claim", {
    hsm: true,
    curve: "P-256",
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const error = serviceErrorOf(
    await t.throwsAsync(
      client.releaseKey("release-claim", attestationToken({ "x-ms-sevsnpvm-is-debuggable": true })),
    ),
  );
  t.is(error.statusCode, 403);
  t.is(error.code, "Forbidden");
  t.is(error.innerCode, "ReleasePolicyNotSatisfied");
  t.regex(error.message, /claim x-ms-sevsnpvm-is-debuggable is true, the policy wants "false"/);
});

test("an attestation from an issuer the policy does not name is refused (403 ReleasePolicyNotSatisfied)", async (t) => {
  const client = env.keyClient();
  await client.createEcKey("release-issuer", {
    hsm: true,
    curve: "P-256",
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const error = serviceErrorOf(
    await t.throwsAsync(
      client.releaseKey(
        "release-issuer",
        attestationToken({}, { issuer: "https://evil.attest.example" }),
      ),
    ),
  );
  t.is(error.statusCode, 403);
  t.is(error.innerCode, "ReleasePolicyNotSatisfied");
  t.regex(
    error.message,
    /issuer https:\/\/evil\.attest\.example is not an authority of the policy/,
  );
});

test("a key that is not exportable cannot be released (400 BadParameter KeyNotExportable), whatever the attestation", async (t) => {
  const client = env.keyClient();
  await client.createRsaKey("release-not-exportable", { hsm: true, keySize: 2048 });
  const error = serviceErrorOf(
    await t.throwsAsync(client.releaseKey("release-not-exportable", attestationToken())),
  );
  t.is(error.statusCode, 400);
  t.is(error.code, "BadParameter");
  t.is(error.innerCode, "KeyNotExportable");
  t.regex(error.message, /Key release-not-exportable cannot be released: it is not exportable/);
});

test("a key that is not exportable cannot be given a release policy afterwards (400 BadParameter, AKV.SKR.1005), and stays unreleasable", async (t) => {
  const client = env.keyClient();
  const key = await client.createEcKey("release-policy-later", { hsm: true, curve: "P-256" });
  const error = serviceErrorOf(
    await t.throwsAsync(
      client.updateKeyProperties("release-policy-later", key.properties.version!, {
        releasePolicy: releasePolicy(),
      }),
    ),
  );
  t.is(error.statusCode, 400);
  t.is(error.code, "BadParameter");
  t.is(error.innerCode, "KeyNotExportable");
  t.regex(
    error.message,
    /^AKV\.SKR\.1005: Non-exportable keys must not have release policy\. Key release-policy-later is not exportable/,
  );
  const after = await client.getKey("release-policy-later");
  t.is(after.properties.releasePolicy, undefined);
  t.false(after.properties.exportable);
  t.deepEqual(after.properties.updatedOn, key.properties.updatedOn);
  const release = serviceErrorOf(
    await t.throwsAsync(client.releaseKey("release-policy-later", attestationToken())),
  );
  t.is(release.innerCode, "KeyNotExportable");
});

test("a key created or imported with a release policy but not exportable is refused (400 BadParameter, AKV.SKR.1005) and not made", async (t) => {
  const client = env.keyClient();
  const created = serviceErrorOf(
    await t.throwsAsync(
      client.createRsaKey("release-born-policy", {
        hsm: true,
        keySize: 2048,
        releasePolicy: releasePolicy(),
      }),
    ),
  );
  t.is(created.statusCode, 400);
  t.is(created.code, "BadParameter");
  t.is(created.innerCode, "KeyNotExportable");
  t.regex(
    created.message,
    /^AKV\.SKR\.1005: .*attributes\.exportable is not set \(false\): set attributes\.exportable true .* or leave release_policy out/,
  );
  const jwk = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({
    format: "jwk",
  });
  const bytes = (member: string | undefined): Uint8Array => Buffer.from(member ?? "", "base64url");
  const imported = serviceErrorOf(
    await t.throwsAsync(
      client.importKey(
        "release-born-import",
        { kty: "EC-HSM", crv: "P-256", x: bytes(jwk.x), y: bytes(jwk.y), d: bytes(jwk.d) },
        { exportable: false, releasePolicy: releasePolicy() },
      ),
    ),
  );
  t.is(imported.statusCode, 400);
  t.is(imported.innerCode, "KeyNotExportable");
  t.regex(imported.message, /attributes\.exportable is false/);
  for (const name of ["release-born-policy", "release-born-import"]) {
    const missing = serviceErrorOf(await t.throwsAsync(client.getKey(name)));
    t.is(missing.statusCode, 404, name);
  }
});

test("a KEK cannot be released (403 KeyOperationForbidden): it can only import", async (t) => {
  const client = env.keyClient();
  await client.createRsaKey("release-kek", { hsm: true, keySize: 2048, keyOps: ["import"] });
  const error = serviceErrorOf(
    await t.throwsAsync(client.releaseKey("release-kek", attestationToken())),
  );
  t.is(error.statusCode, 403);
  t.is(error.innerCode, "KeyOperationForbidden");
});

test("a target that is not a JWT, an expired one, or one without a runtime RSA key is refused (400 InvalidAttestationToken)", async (t) => {
  const client = env.keyClient();
  await client.createEcKey("release-bad-target", {
    hsm: true,
    curve: "P-256",
    exportable: true,
    releasePolicy: releasePolicy(),
  });
  const cases: [string, RegExp][] = [
    ["not-a-token", /not a JWT/],
    [attestationToken({}, { expiresIn: -10 }), /expired/],
    [attestationToken({ "x-ms-runtime": { keys: [] } }), /no RSA key in x-ms-runtime\.keys/],
  ];
  for (const [target, message] of cases) {
    const error = serviceErrorOf(
      await t.throwsAsync(client.releaseKey("release-bad-target", target)),
    );
    t.is(error.statusCode, 400);
    t.is(error.innerCode, "InvalidAttestationToken");
    t.regex(error.message, message);
  }
});
