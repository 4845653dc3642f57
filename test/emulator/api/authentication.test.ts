/**
 * Authentication as the service does it (contracts §3.4): the body-less first request gets the
 * challenge, tokens must verify (signature, audience, expiry), api-version is required.
 */
import test from "ava";
import { rawRequest, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;
let hsmUrl: string;
let vaultUrl: string;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "auth-hsm", kind: "managedhsm" },
      { name: "auth-vault", kind: "vault" },
    ],
    tenantId: "11111111-2222-3333-4444-555555555555",
  });
  hsmUrl = env.emulator.url("auth-hsm");
  vaultUrl = env.emulator.url("auth-vault");
});

test.after.always(async () => {
  await env.emulator.stop();
});

function errorOf(json: unknown): {
  code?: string;
  message?: string;
  innererror?: { code?: string };
} {
  return (
    (json as { error?: { code?: string; message?: string; innererror?: { code?: string } } })
      .error ?? {}
  );
}

test("a request without a token gets 401 Unauthorized and a challenge naming the tenant and resource", async (t) => {
  const response = await rawRequest(`${hsmUrl}/keys/first/create?api-version=7.6`, {
    method: "POST",
  });
  t.is(response.status, 401);
  t.is(errorOf(response.json).code, "Unauthorized");
  t.is(
    response.headers["www-authenticate"],
    'Bearer authorization="https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555", resource="https://managedhsm.azure.net"',
  );
});

test("a vault's challenge names https://vault.azure.net", async (t) => {
  const response = await rawRequest(`${vaultUrl}/keys?api-version=7.0`);
  t.is(response.status, 401);
  t.regex(String(response.headers["www-authenticate"]), /resource="https:\/\/vault\.azure\.net"$/);
});

test("the challenge comes before the body is read: a body that is not JSON still gets 401", async (t) => {
  const response = await rawRequest(`${hsmUrl}/keys/x?api-version=7.6`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: "not json at all",
  });
  t.is(response.status, 401);
});

test("a token with a forged signature is refused (401 Unauthorized)", async (t) => {
  const token = env.emulator.issueToken({});
  const [header, payload] = token.split(".");
  const forged = `${header ?? ""}.${payload ?? ""}.${Buffer.alloc(256, 7).toString("base64url")}`;
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: `Bearer ${forged}` },
  });
  t.is(response.status, 401);
  t.is(errorOf(response.json).code, "Unauthorized");
  t.regex(errorOf(response.json).message ?? "", /signature/);
});

test("a token that is not a JWT is refused (401 Unauthorized)", async (t) => {
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: "Bearer garbage" },
  });
  t.is(response.status, 401);
  t.is(errorOf(response.json).code, "Unauthorized");
});

test("a token for the wrong audience is refused (401 Unauthorized), with the audiences named", async (t) => {
  const token = env.emulator.issueToken({ audience: "https://vault.azure.net" });
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 401);
  t.regex(
    errorOf(response.json).message ?? "",
    /audience 'https:\/\/vault\.azure\.net' is invalid/,
  );
});

test("an expired token is refused (401 Unauthorized)", async (t) => {
  const token = env.emulator.issueToken({ expiresInSeconds: -60 });
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 401);
  t.regex(errorOf(response.json).message ?? "", /expired/);
});

test("a token with a trailing-slash audience is accepted", async (t) => {
  const token = env.emulator.issueToken({ audience: "https://managedhsm.azure.net/" });
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 200);
});

test("a request without api-version is rejected (400 BadParameter)", async (t) => {
  const token = env.emulator.issueToken({});
  const response = await rawRequest(`${hsmUrl}/keys`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 400);
  t.is(errorOf(response.json).code, "BadParameter");
  t.regex(errorOf(response.json).message ?? "", /api-version/);
});

for (const version of ["7.0", "7.3", "7.4-preview.1", "7.6", "2025-07-01"]) {
  test(`api-version ${version} is accepted`, async (t) => {
    const token = env.emulator.issueToken({});
    const response = await rawRequest(`${hsmUrl}/keys?api-version=${version}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.is(response.status, 200);
  });
}

test("an unknown api-version is rejected (400 BadParameter)", async (t) => {
  const token = env.emulator.issueToken({});
  const response = await rawRequest(`${hsmUrl}/keys?api-version=9.9`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 400);
  t.is(errorOf(response.json).code, "BadParameter");
});

test("the Host header routes to a vault by its Azure name, and key ids use the host the client used", async (t) => {
  const token = env.emulator.issueToken({ audience: "https://vault.azure.net" });
  const port = new URL(hsmUrl).port;
  const response = await rawRequest(`${hsmUrl}/keys/by-host/create?api-version=7.6`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, host: `auth-vault.vault.azure.net:${port}` },
    body: { kty: "EC", crv: "P-256" },
  });
  t.is(response.status, 200);
  t.is(
    (response.json as { key: { kid: string } }).key.kid.replace(/[0-9a-f]{32}$/, "V"),
    `https://auth-vault.vault.azure.net:${port}/keys/by-host/V`,
  );
});

test("the client-credentials endpoint issues a token the vault accepts", async (t) => {
  const endpoint = new URL(env.emulator.env.IDENTITY_ENDPOINT ?? "");
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: "00000000-0000-0000-0000-0000000e0001",
    client_secret: env.emulator.env.IDENTITY_HEADER ?? "",
    scope: "https://managedhsm.azure.net/.default",
  });
  const reply = await fetch(
    `${endpoint.origin}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token`,
    { method: "POST", body: form },
  );
  t.is(reply.status, 200);
  const { access_token: token } = (await reply.json()) as { access_token: string };
  const response = await rawRequest(`${hsmUrl}/keys?api-version=7.6`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.is(response.status, 200);
  const bad = await fetch(
    `${endpoint.origin}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token`,
    {
      method: "POST",
      body: new URLSearchParams({ ...Object.fromEntries(form), client_secret: "wrong" }),
    },
  );
  t.is(bad.status, 401);
});
