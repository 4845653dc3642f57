/**
 * Key operations are enforced on every key, not only on KEKs: a key whose `key_ops` leave out
 * `sign` cannot sign, versionless or versioned, and the refusal is the service's 403 Forbidden
 * with inner code KeyOperationForbidden, naming the key_ops. Asked over raw HTTPS, because the
 * SDK refuses locally once it has read the key's operations.
 */
import test from "ava";
import { rawRequest, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "sign-hsm", kind: "managedhsm" },
      { name: "sign-vault", kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  await env.emulator.stop();
});

async function post(path: string, resource: string, body: unknown) {
  const token = (await env.credential.getToken(`${resource}/.default`))!.token;
  return rawRequest(`${path}?api-version=7.6`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });
}

const DIGEST = Buffer.alloc(32, 1).toString("base64url");

for (const [vault, resource] of [
  ["sign-hsm", "https://managedhsm.azure.net"],
  ["sign-vault", "https://vault.azure.net"],
] as const) {
  test(`${vault}: an RSA key with key_ops [encrypt, decrypt] cannot sign (403 KeyOperationForbidden)`, async (t) => {
    const key = await env
      .keyClient(vault)
      .createRsaKey("encrypt-only", { hsm: true, keySize: 2048, keyOps: ["encrypt", "decrypt"] });
    for (const path of [`${key.id!}/sign`, `${env.emulator.url(vault)}/keys/encrypt-only/sign`]) {
      const response = await post(path, resource, { alg: "RS256", value: DIGEST });
      t.is(response.status, 403, path);
      t.like(response.json, {
        error: { code: "Forbidden", innererror: { code: "KeyOperationForbidden" } },
      });
      t.regex(
        (response.json as { error: { message: string } }).error.message,
        /Operation sign is not allowed on key encrypt-only: its key_ops are \["encrypt", "decrypt"\]/,
      );
    }
  });
}

test("an EC key with key_ops [verify] cannot sign but verifies", async (t) => {
  const key = await env
    .keyClient("sign-hsm")
    .createEcKey("verify-only", { hsm: true, curve: "P-256", keyOps: ["verify"] });
  const signed = await post(`${key.id!}/sign`, "https://managedhsm.azure.net", {
    alg: "ES256",
    value: DIGEST,
  });
  t.is(signed.status, 403);
  t.like(signed.json, { error: { innererror: { code: "KeyOperationForbidden" } } });
  const verified = await post(`${key.id!}/verify`, "https://managedhsm.azure.net", {
    alg: "ES256",
    digest: DIGEST,
    value: Buffer.alloc(64, 2).toString("base64url"),
  });
  t.is(verified.status, 200, verified.body);
  t.deepEqual(verified.json, { value: false });
});
