/**
 * `ManagedHsmRoleAssignment` through the real plugin host against the emulator's Managed HSM
 * local RBAC. The emulator starts with only the deploying identity's Administrator role, so no one
 * can use keys until the resource grants it: the deployer's KEK, and a second identity's KEK and
 * import with the stock `@azure/keyvault-keys` client, work only after their grants; delete takes
 * a grant away; refresh notices one deleted outside Pulumi; a caller without Administrator is told
 * how to get it.
 */
import { createPublicKey } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { hsmKeyType } from "../../byok/index.js";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { wrappedTarget } from "../harness/byokFixtures.js";
import { rawRequest, serviceErrorOf } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { startProviderTestBed } from "../harness/providerTestBed.js";
import type { ProviderTestBed } from "../harness/providerTestBed.js";
import { ResourceDriver } from "../harness/resourceDriver.js";

const HSM = "rbac-hsm";
/** An application that holds no role until a test grants one. */
const APP = { objectId: "00000000-0000-0000-0000-0000000a0002", name: "rbac-app" };

let bed: ProviderTestBed | undefined;
let emulator: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  bed = await startProviderTestBed({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    identities: [DEFAULT_IDENTITY, APP],
    // given (even empty): the first identity is only the HSM's Administrator at "/"
    roleAssignments: [],
  });
  ({ emulator, host, providers } = bed);
});

test.after.always(async () => {
  await bed?.stop();
});

function hsmUri(): string {
  return emulator.emulator.url(HSM);
}

function assignment(name: string, on: PluginHost = host): ResourceDriver {
  return new ResourceDriver(
    on,
    urnOf("ManagedHsmRoleAssignment", name),
    providers.hsmRoleAssignment,
  );
}

/** A credential for another identity: tokens from the emulator's issuer. */
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
  return new KeyClient(hsmUri(), credentialOf(objectId), {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
}

/** Creates a KEK as `objectId` and imports a key wrapped for it: "ok" or "refused <status>". */
async function kekAndImportAs(objectId: string, prefix: string): Promise<string> {
  const client = clientOf(objectId);
  try {
    const kek = await client.createRsaKey(`${prefix}-kek`, {
      hsm: true,
      keySize: 2048,
      keyOps: ["import"],
    });
    const kekPublicKeyPem = createPublicKey({
      key: { kty: "RSA", n: Buffer.from(kek.key!.n!).toString("base64url"), e: "AQAB" },
      format: "jwk",
    })
      .export({ type: "spki", format: "pem" })
      .toString();
    const { text } = await wrappedTarget("ec-p256", { kekKid: kek.id!, kekPublicKeyPem });
    await client.importKey(`${prefix}-key`, {
      kty: hsmKeyType("EC"),
      crv: "P-256",
      t: Buffer.from(text, "utf8"),
    });
    return "ok";
  } catch (error) {
    // the refusal, whatever code the service words it with (Forbidden, AccessDenied)
    return `refused ${serviceErrorOf(error).statusCode ?? "?"}`;
  }
}

async function failureOf(t: ExecutionContext, run: Promise<unknown>): Promise<string> {
  const error: unknown = await t.throwsAsync(run);
  return error instanceof Error ? error.message : "";
}

test.serial(
  "the deploying identity, only Administrator, cannot create a KEK until it grants itself Crypto User at /keys",
  async (t) => {
    const kek = new ResourceDriver(
      host,
      urnOf("ImportKek", "rbac-deployer-kek"),
      providers.importKek,
    );
    const program = { vaultUrl: hsmUri(), name: "rbac-deployer-kek", size: 2048 };
    t.regex(await failureOf(t, kek.up(program)), /ERR_ACCESS_DENIED/);

    const grant = assignment("deployer-crypto-user");
    t.is(
      await grant.up({
        hsmUri: hsmUri(),
        scope: "/keys",
        role: "Managed HSM Crypto User",
        principalId: DEFAULT_IDENTITY.objectId,
      }),
      "create",
    );
    t.like(grant.state!.outputs, {
      scope: "/keys",
      roleName: "Managed HSM Crypto User",
      roleDefinitionId:
        "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b",
      principalId: DEFAULT_IDENTITY.objectId,
    });
    t.is(await kek.up(program), "create");
    t.regex(String(kek.state!.outputs.kid), /\/keys\/rbac-deployer-kek\/[0-9a-f]{32}$/);
  },
);

test("a second identity gets Crypto User: its KEK creation and import then succeed; deleting the grant takes it away, and deleting again is fine", async (t) => {
  t.is(await kekAndImportAs(APP.objectId, "app-before"), "refused 403");
  const grant = assignment("app-crypto-user");
  const program = {
    hsmUri: hsmUri(),
    scope: "/keys",
    role: "Managed HSM Crypto User",
    principalId: APP.objectId,
  };
  t.is(await grant.up(program), "create");
  t.is(await kekAndImportAs(APP.objectId, "app-granted"), "ok");
  t.is(await grant.up({ ...program, role: "21DBD100-6940-42C2-9190-5D6CB909625B" }), "update");

  const stored = grant.state!;
  await grant.destroy();
  t.is(await kekAndImportAs(APP.objectId, "app-revoked"), "refused 403");
  // the engine may retry a delete whose answer was lost: the assignment is gone, which is done
  await host.delete(stored.id, stored.urn, stored.outputs);
});

test("refresh notices an assignment deleted outside Pulumi; the next up grants it again", async (t) => {
  const grant = assignment("app-auditor");
  const program = {
    hsmUri: hsmUri(),
    scope: "/",
    role: "Managed HSM Crypto Auditor",
    principalId: APP.objectId,
  };
  t.is(await grant.up(program), "create");
  const name = String(grant.state!.outputs.assignmentName);
  const path = `${hsmUri()}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=7.5`;
  const token = emulator.emulator.issueToken({ objectId: DEFAULT_IDENTITY.objectId });
  const headers = { authorization: `Bearer ${token}` };
  t.is((await rawRequest(path, { headers })).status, 200);
  const removed = await rawRequest(path, { method: "DELETE", headers });
  t.true(removed.status === 200 || removed.status === 204, `DELETE answered ${removed.status}`);

  t.false(await grant.refresh(), "the assignment is gone from state");
  t.is(await grant.up(program), "create");
  t.is(String(grant.state!.outputs.assignmentName), name, "the same deterministic name");
  t.is((await rawRequest(path, { headers })).status, 200);
});

test("running the same grant again without state converges on the same assignment", async (t) => {
  const program = {
    hsmUri: hsmUri(),
    scope: "/keys/rbac-one-key",
    role: "Managed HSM Crypto Service Encryption User",
    principalId: APP.objectId,
  };
  const first = assignment("converge-1");
  const second = assignment("converge-2");
  t.is(await first.up(program), "create");
  t.is(await second.up(program), "create", "the PUT of an existing assignment succeeds");
  t.is(second.state!.outputs.assignmentName, first.state!.outputs.assignmentName);
  t.is(second.state!.outputs.assignmentId, first.state!.outputs.assignmentId);
});

test("a caller without the Administrator role is told which role it needs and the az command to grant it", async (t) => {
  const asApp = await startPluginHost({
    env: { ...emulator.emulator.env, AZURE_CLIENT_ID: APP.objectId },
  });
  t.teardown(() => asApp.close());
  await asApp.configure();
  const grant = assignment("app-grants-itself", asApp);
  const message = await failureOf(
    t,
    grant.up({
      hsmUri: hsmUri(),
      scope: "/",
      role: "Managed HSM Administrator",
      principalId: APP.objectId,
    }),
  );
  t.regex(
    message,
    /ERR_ACCESS_DENIED: could not create the role assignment of https:\/\/127\.0\.0\.1:\d+/,
  );
  t.regex(message, new RegExp(`object id ${APP.objectId} is not allowed \\(HTTP 403`));
  t.regex(message, /needs the "Managed HSM Administrator" role/);
  t.true(
    message.includes(
      `az keyvault role assignment create --id ${hsmUri()} --role "Managed HSM Administrator" --assignee-object-id ${APP.objectId} --scope /`,
    ),
  );
  t.is(grant.state, undefined);
});
