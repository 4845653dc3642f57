/**
 * The stock `ClientSecretCredential` from `@azure/identity` gets its tokens from the emulator's
 * client-credentials endpoint and a stock `KeyClient` uses them: the token endpoint's port also
 * speaks HTTPS (the credential refuses an `http://` authority host), with the OpenID
 * configuration MSAL reads first. Instance discovery asks login.microsoftonline.com, which is not
 * on loopback, so the credential is built with `disableInstanceDiscovery: true`. The managed
 * identity endpoint on the same port stays plain HTTP.
 */
import test from "ava";
import { ClientSecretCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { DEFAULT_IDENTITY } from "../../../emulator/index.js";
import { startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "csc-hsm", kind: "managedhsm" },
      { name: "csc-vault", kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  await env.emulator.stop();
});

function credential(clientId: string, secret = env.emulator.env.IDENTITY_HEADER ?? "") {
  return new ClientSecretCredential(env.emulator.tenantId, clientId, secret, {
    authorityHost: env.emulator.authorityHost,
    disableInstanceDiscovery: true,
  });
}

function keyClient(vault: string, clientSecretCredential: ClientSecretCredential): KeyClient {
  return new KeyClient(env.emulator.url(vault), clientSecretCredential, {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
}

test("the authority host is the token endpoint's port over HTTPS", (t) => {
  const authority = new URL(env.emulator.authorityHost);
  const identity = new URL(env.emulator.env.IDENTITY_ENDPOINT ?? "");
  t.is(authority.protocol, "https:");
  t.is(identity.protocol, "http:");
  t.is(authority.host, identity.host);
});

for (const vault of ["csc-hsm", "csc-vault"]) {
  test(`ClientSecretCredential + KeyClient create, read and list keys in ${vault}`, async (t) => {
    const keys = keyClient(vault, credential(DEFAULT_IDENTITY.objectId));
    const created = await keys.createEcKey("from-client-secret", { hsm: true, curve: "P-256" });
    t.is(created.keyType, "EC-HSM");
    const read = await keys.getKey("from-client-secret");
    t.is(read.id, created.id);
    const names: string[] = [];
    for await (const key of keys.listPropertiesOfKeys()) names.push(key.name);
    t.true(names.includes("from-client-secret"));
  });
}

test("the identity's name works as the client id, and its token carries the identity's object id", async (t) => {
  const byName = credential(DEFAULT_IDENTITY.name ?? "");
  const token = await byName.getToken("https://managedhsm.azure.net/.default");
  const payload = JSON.parse(
    Buffer.from(token.token.split(".")[1] ?? "", "base64url").toString("utf8"),
  ) as { oid: string; aud: string };
  t.is(payload.oid, DEFAULT_IDENTITY.objectId);
  t.is(payload.aud, "https://managedhsm.azure.net");
  t.true(token.expiresOnTimestamp > Date.now() + 30 * 60_000);
});

test("a wrong client secret is refused by the token endpoint (AADSTS7000215)", async (t) => {
  const keys = keyClient("csc-hsm", credential(DEFAULT_IDENTITY.objectId, "wrong-secret"));
  const error = await t.throwsAsync(keys.getKey("from-client-secret"));
  t.is(error.name, "AuthenticationRequiredError");
  t.regex(error.message, /AADSTS7000215: Invalid client id or secret/);
});
