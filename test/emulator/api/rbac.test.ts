/**
 * Managed HSM local RBAC (contracts §4.2) over HTTPS: the role APIs as
 * `KeyVaultAccessControlClient` sends them (raw requests: `@azure/keyvault-admin` is not in this
 * registry), and enforcement per scope through the stock `KeyClient`, one identity per role.
 */
import { randomUUID } from "node:crypto";
import test from "ava";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { DEFAULT_IDENTITY } from "../../../emulator/index.js";
import { rawRequest, serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { RawResponse, TestEmulator } from "../../harness/emulatorHarness.js";

const HSM = "rbac-api-hsm";
/** Crypto User at /keys/rbac-a only. */
const SCOPED = { objectId: "00000000-0000-0000-0000-00000000a0a1", name: "scoped" };
/** No role at all. */
const NOBODY = { objectId: "00000000-0000-0000-0000-00000000a0a2", name: "nobody" };
/** Granted and revoked by the tests. */
const GRANTEE = "00000000-0000-0000-0000-00000000a0a3";
const CRYPTO_USER = "21dbd100-6940-42c2-9190-5d6cb909625b";
const ROLE_ID_PREFIX = "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/";

let emulator: TestEmulator;

test.before(async () => {
  emulator = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    identities: [DEFAULT_IDENTITY, SCOPED, NOBODY],
    roleAssignments: [
      { objectId: DEFAULT_IDENTITY.objectId, roleName: "Managed HSM Crypto User" },
      { objectId: SCOPED.objectId, roleName: "Managed HSM Crypto User", scope: "/keys/rbac-a" },
    ],
  });
});

test.after.always(async () => {
  await (emulator as TestEmulator | undefined)?.emulator.stop();
});

function credentialOf(objectId: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({
        token: emulator.emulator.issueToken({ objectId }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
  };
}

function clientOf(objectId: string): KeyClient {
  return new KeyClient(emulator.emulator.url(HSM), credentialOf(objectId), {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
}

/** A role API call as the administrator (or `objectId`). */
function rbacCall(
  path: string,
  options: { method?: string; body?: unknown; objectId?: string } = {},
): Promise<RawResponse> {
  const token = emulator.emulator.issueToken({
    objectId: options.objectId ?? DEFAULT_IDENTITY.objectId,
  });
  return rawRequest(`${emulator.emulator.url(HSM)}${path}?api-version=7.5`, {
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: { authorization: `Bearer ${token}` },
  });
}

async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return "ok";
  } catch (error) {
    const e = serviceErrorOf(error);
    return `${e.statusCode ?? "?"} ${e.code ?? ""}`;
  }
}

test("the nine built-in roles are listed at / (GET ///providers/...) with their documented ids as AKVBuiltInRole", async (t) => {
  const response = await rbacCall("///providers/Microsoft.Authorization/roleDefinitions");
  t.is(response.status, 200);
  interface WireRole {
    id: string;
    name: string;
    type: string;
    properties: { roleName: string; type: string; permissions: Array<{ dataActions: string[] }> };
  }
  const roles = (response.json as { value: WireRole[] }).value;
  const builtIn = roles.filter((r) => r.properties.type === "AKVBuiltInRole");
  t.deepEqual(Object.fromEntries(builtIn.map((r) => [r.properties.roleName, r.name])), {
    "Managed HSM Administrator": "a290e904-7015-4bba-90c8-60543313cdb4",
    "Managed HSM Crypto Officer": "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
    "Managed HSM Crypto User": CRYPTO_USER,
    "Managed HSM Policy Administrator": "4bd23610-cdcf-4971-bdee-bdc562cc28e4",
    "Managed HSM Crypto Auditor": "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
    "Managed HSM Crypto Service Encryption User": "33413926-3206-4cdd-b39a-83574fe37a17",
    "Managed HSM Crypto Service Release User": "21dbd100-6940-42c2-9190-5d6cb909625c",
    "Managed HSM Backup": "7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8",
    "Managed HSM Restore": "6efe6056-5259-49d2-8b3d-d3d73544b20b",
  });
  const user = builtIn.find((r) => r.name === CRYPTO_USER);
  t.is(user?.id, `${ROLE_ID_PREFIX}${CRYPTO_USER}`);
  t.is(user?.type, "Microsoft.Authorization/roleDefinitions");
  t.true(
    (user?.properties.permissions[0]?.dataActions ?? []).includes(
      "Microsoft.KeyVault/managedHsm/keys/import/action",
    ),
  );
  const filtered = await rawRequest(
    `${emulator.emulator.url(HSM)}/providers/Microsoft.Authorization/roleDefinitions?api-version=7.5&$filter=roleName%20eq%20'Managed%20HSM%20Backup'`,
    { headers: { authorization: `Bearer ${emulator.emulator.issueToken({})}` } },
  );
  t.deepEqual(
    (filtered.json as { value: Array<{ name: string }> }).value.map((r) => r.name),
    ["7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8"],
  );
});

test("a custom role round trips (PUT 201, GET, update 200, DELETE) and may not reuse a built-in name or id", async (t) => {
  const id = randomUUID();
  const path = `/providers/Microsoft.Authorization/roleDefinitions/${id}`;
  const body = {
    properties: {
      roleName: `signer-${id}`,
      type: "CustomRole",
      description: "signs",
      permissions: [{ dataActions: ["Microsoft.KeyVault/managedHsm/keys/sign/action"] }],
      assignableScopes: ["/"],
    },
  };
  const created = await rbacCall(path, { method: "PUT", body });
  t.is(created.status, 201);
  t.like(created.json, {
    id: `${ROLE_ID_PREFIX}${id}`,
    name: id,
    properties: { roleName: `signer-${id}`, type: "CustomRole" },
  });
  t.is((await rbacCall(path)).status, 200);
  t.is((await rbacCall(path, { method: "PUT", body })).status, 200);

  for (const reuse of [
    { at: `/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`, name: "mine" },
    {
      at: `/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`,
      name: "Managed HSM Crypto User",
    },
  ]) {
    const refused = await rbacCall(reuse.at, {
      method: "PUT",
      body: { properties: { ...body.properties, roleName: reuse.name } },
    });
    t.is(refused.status, 400);
    const error = (refused.json as { error: { code: string; message: string } }).error;
    t.is(error.code, "BadParameter");
    t.regex(
      error.message,
      /^Cannot re-use the name\/GUID matching that of a built-in role\. Please use a unique role ID\. \(Activity ID: [0-9a-f-]{36}\)$/,
    );
  }
  t.is((await rbacCall(path, { method: "DELETE" })).status, 200);
  t.is((await rbacCall(path)).status, 404);
});

test("a role assignment round trips: PUT 201 with the service's shape, GET, list by principal and atScope(), DELETE, then 404", async (t) => {
  const name = randomUUID();
  const path = `/keys/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const put = await rbacCall(path, {
    method: "PUT",
    body: {
      properties: { roleDefinitionId: `${ROLE_ID_PREFIX}${CRYPTO_USER}`, principalId: GRANTEE },
    },
  });
  t.is(put.status, 201);
  t.deepEqual(put.json, {
    id: `/keys/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      scope: "/keys",
      roleDefinitionId: `${ROLE_ID_PREFIX}${CRYPTO_USER}`,
      principalId: GRANTEE,
    },
  });
  t.deepEqual((await rbacCall(path)).json, put.json);

  const all = await rbacCall("//providers/Microsoft.Authorization/roleAssignments");
  t.true(
    (all.json as { value: Array<{ name: string }> }).value.some((a) => a.name === name),
    "listing at / without a filter includes assignments below it",
  );
  const filtered = await rawRequest(
    `${emulator.emulator.url(HSM)}/providers/Microsoft.Authorization/roleAssignments?api-version=7.5&$filter=principalId%20eq%20'${GRANTEE}'`,
    { headers: { authorization: `Bearer ${emulator.emulator.issueToken({})}` } },
  );
  t.deepEqual(
    (filtered.json as { value: Array<{ name: string }> }).value.map((a) => a.name),
    [name],
  );
  const atRoot = await rawRequest(
    `${emulator.emulator.url(HSM)}/providers/Microsoft.Authorization/roleAssignments?api-version=7.5&$filter=atScope()`,
    { headers: { authorization: `Bearer ${emulator.emulator.issueToken({})}` } },
  );
  t.false(
    (atRoot.json as { value: Array<{ name: string }> }).value.some((a) => a.name === name),
    "an assignment at /keys is not at or above /",
  );

  t.is((await rbacCall(path, { method: "DELETE" })).status, 200);
  const gone = await rbacCall(path);
  t.is(gone.status, 404);
});

test("an assignment naming an unknown role is refused with 400 BadParameter", async (t) => {
  const response = await rbacCall(
    `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    {
      method: "PUT",
      body: {
        properties: { roleDefinitionId: `${ROLE_ID_PREFIX}${randomUUID()}`, principalId: GRANTEE },
      },
    },
  );
  t.is(response.status, 400);
  t.is((response.json as { error: { code: string } }).error.code, "BadParameter");
});

test("a role at /keys/rbac-a lets its holder create key rbac-a and nothing else (403 AccessDenied naming the action and scope)", async (t) => {
  const client = clientOf(SCOPED.objectId);
  t.is(await outcome(client.createRsaKey("rbac-a", { hsm: true, keySize: 2048 })), "ok");
  t.is(await outcome(client.getKey("rbac-a")), "ok");
  const error: unknown = await t.throwsAsync(
    client.createRsaKey("rbac-b", { hsm: true, keySize: 2048 }),
  );
  const e = serviceErrorOf(error);
  t.is(e.statusCode, 403);
  t.is(e.code, "AccessDenied");
  t.regex(
    e.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/create on \/keys\/rbac-b \(Activity ID: [0-9a-f-]{36}\)$/,
  );
  t.is(
    await outcome(client.listPropertiesOfKeys().next()),
    "403 AccessDenied",
    "listing is at /keys",
  );
});

test("an identity with no role gets 403 AccessDenied on create and on import", async (t) => {
  const client = clientOf(NOBODY.objectId);
  t.is(
    await outcome(client.createRsaKey("rbac-none", { hsm: true, keySize: 2048 })),
    "403 AccessDenied",
  );
  const imported = await t.throwsAsync(
    client.importKey("rbac-none-import", { kty: "RSA-HSM", t: Buffer.from("{}") }),
  );
  const e = serviceErrorOf(imported);
  t.is(e.statusCode, 403);
  t.is(e.code, "AccessDenied");
  t.regex(e.message, /keys\/import\/action on \/keys\/rbac-none-import \(Activity ID: /);
  t.is(
    (
      await rbacCall("/providers/Microsoft.Authorization/roleAssignments", {
        objectId: NOBODY.objectId,
      })
    ).status,
    403,
    "no role, no role assignment listing either",
  );
});

test("granting a role through the API takes effect at once, and revoking it takes it away", async (t) => {
  const name = randomUUID();
  const client = clientOf(NOBODY.objectId);
  const path = `/keys/rbac-granted/providers/Microsoft.Authorization/roleAssignments/${name}`;
  t.is(
    await outcome(client.createRsaKey("rbac-granted", { hsm: true, keySize: 2048 })),
    "403 AccessDenied",
  );
  const put = await rbacCall(path, {
    method: "PUT",
    body: { properties: { roleDefinitionId: CRYPTO_USER, principalId: NOBODY.objectId } },
  });
  t.is(put.status, 201);
  t.is(await outcome(client.createRsaKey("rbac-granted", { hsm: true, keySize: 2048 })), "ok");
  t.is((await rbacCall(path, { method: "DELETE" })).status, 200);
  t.is(await outcome(client.getKey("rbac-granted")), "403 AccessDenied");
});

test("a holder of write at /keys/rbac-a cannot touch an assignment made at / through that scope", async (t) => {
  const admins = emulator.emulator.roleAssignments(HSM).filter((a) => a.scope === "/");
  const first = admins[0];
  if (first === undefined) return t.fail("the administrator's assignment is missing");
  const response = await rbacCall(
    `/keys/rbac-a/providers/Microsoft.Authorization/roleAssignments/${first.name}`,
    { method: "DELETE" },
  );
  t.is(response.status, 404);
  t.true(emulator.emulator.roleAssignments(HSM).some((a) => a.name === first.name));
});

test("with roleAssignmentDelayMs a new assignment is listed at once but counts only after the delay; a repeated PUT does not restart the clock", async (t) => {
  const delayMs = 1200;
  const slow = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    identities: [DEFAULT_IDENTITY, NOBODY],
    roleAssignments: [],
    roleAssignmentDelayMs: delayMs,
  });
  try {
    const call = (method: string, path: string, body?: unknown) =>
      rawRequest(`${slow.emulator.url(HSM)}${path}?api-version=7.5`, {
        method,
        ...(body === undefined ? {} : { body }),
        headers: { authorization: `Bearer ${slow.emulator.issueToken({})}` },
      });
    const client = new KeyClient(
      slow.emulator.url(HSM),
      {
        getToken: (): Promise<AccessToken> =>
          Promise.resolve({
            token: slow.emulator.issueToken({ objectId: NOBODY.objectId }),
            expiresOnTimestamp: Date.now() + 3_600_000,
          }),
      },
      { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    );
    const path = `/keys/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
    const body = { properties: { roleDefinitionId: CRYPTO_USER, principalId: NOBODY.objectId } };
    const granted = Date.now();
    t.is((await call("PUT", path, body)).status, 201);
    t.is((await call("GET", path)).status, 200, "listed at once");
    t.is(await outcome(client.getKey("nothing-here")), "403 AccessDenied");
    await new Promise((resolve) => setTimeout(resolve, delayMs / 2));
    t.is((await call("PUT", path, body)).status, 200, "the same assignment again");
    await new Promise((resolve) => setTimeout(resolve, granted + delayMs + 100 - Date.now()));
    t.is(await outcome(client.getKey("nothing-here")), "404 KeyNotFound", "counts after the delay");
  } finally {
    await slow.emulator.stop();
  }
});
