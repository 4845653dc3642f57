/**
 * The Azure CLI's BYOK import, byte for byte as `az keyvault key import --byok-file` sends it
 * through the Python SDK (contracts §2.3, §2.4): api-version 7.0 (the BYOK docs' example) or a
 * preview version such as 7.4-preview.1. First a body-less PUT with no token, answered with the
 * challenge (`authorization` and `resource`, which the Python client needs); then a body with a
 * top-level `Hsm: false`, the key's kty with `-HSM` appended, `key_ops`, `crv` and `key_hsm` (the
 * file's bytes, base64url), `attributes.enabled` and `tags`. `Hsm` is false because the CLI
 * passes `hardware_protected=(--protection == 'hsm')` and `--protection` is usually left out; the
 * `-HSM` kty and `key_hsm` are what make the key an HSM key.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { buildByokFile } from "../../../byok/index.js";
import {
  createTestKek,
  memoizedTargetKey,
  rawRequest,
  startTestEmulator,
} from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

const HSM = "azcli-hsm";
const VAULT = "azcli-vault";
const RESOURCE = { [HSM]: "https://managedhsm.azure.net", [VAULT]: "https://vault.azure.net" };

let env: TestEmulator;
const keks = new Map<string, { kek: KeyVaultKey; publicKeyPem: string }>();

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
    ],
  });
  for (const vault of [HSM, VAULT])
    keks.set(vault, await createTestKek(env.keyClient(vault), "KEKforBYOK"));
});

test.after.always(async () => {
  await env.emulator.stop();
});

/** What `az keyvault key import` does: challenge first, then the import with a token. */
async function importAsAzCli(
  t: ExecutionContext,
  vault: typeof HSM | typeof VAULT,
  name: string,
  apiVersion: string,
  key: Record<string, unknown>,
  spec: string,
) {
  const target = await memoizedTargetKey(spec);
  const { kek, publicKeyPem } = keks.get(vault)!;
  const file = buildByokFile(target, { kekPublicKey: publicKeyPem, kekKid: kek.id! }).text;
  const url = `${env.emulator.url(vault)}/keys/${name}?api-version=${apiVersion}`;
  const challenge = await rawRequest(url, { method: "PUT" });
  t.is(challenge.status, 401);
  t.regex(
    String(challenge.headers["www-authenticate"]),
    new RegExp(
      `^Bearer authorization="https://login\\.microsoftonline\\.com/[0-9a-f-]+", resource="${RESOURCE[vault]}"$`,
    ),
  );
  const token = (await env.credential.getToken(`${RESOURCE[vault]}/.default`))!.token;
  const response = await rawRequest(url, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}` },
    body: {
      Hsm: false,
      key: { ...key, key_hsm: Buffer.from(file, "utf8").toString("base64url") },
      attributes: { enabled: true },
      tags: { source: "az" },
    },
  });
  t.is(response.status, 200, response.body);
  return {
    target,
    bundle: response.json as {
      key: { kid: string; kty: string; key_ops: string[]; crv?: string; n?: string };
      attributes: { enabled: boolean };
      tags: Record<string, string>;
    },
  };
}

for (const apiVersion of ["7.0", "7.4-preview.1"]) {
  test(`az CLI import, api-version ${apiVersion}: --kty RSA --ops sign verify into a Managed HSM, then sign and verify with the original key`, async (t) => {
    const name = `az-rsa-${apiVersion.replace(/\W/g, "")}`;
    const { target, bundle } = await importAsAzCli(
      t,
      HSM,
      name,
      apiVersion,
      { kty: "RSA-HSM", key_ops: ["sign", "verify"] },
      "rsa-2048",
    );
    if (!("privateKey" in target)) return t.fail();
    t.is(bundle.key.kty, "RSA-HSM");
    t.deepEqual(bundle.key.key_ops, ["sign", "verify"]);
    t.true(bundle.attributes.enabled);
    t.deepEqual(bundle.tags, { source: "az" });
    t.regex(bundle.key.kid, new RegExp(`/keys/${name}/[0-9a-f]{32}$`));
    const message = Buffer.from(`az import ${apiVersion}`);
    const { result } = await env
      .cryptographyClient(bundle.key.kid)
      .sign("RS256", createHash("sha256").update(message).digest());
    t.true(verify("sha256", message, createPublicKey(target.privateKey), Buffer.from(result)));
  });

  test(`az CLI import, api-version ${apiVersion}: --kty EC --curve P-256K into a Managed HSM`, async (t) => {
    const { bundle } = await importAsAzCli(
      t,
      HSM,
      `az-ec-${apiVersion.replace(/\W/g, "")}`,
      apiVersion,
      { kty: "EC-HSM", crv: "P-256K" },
      "ec-p256k",
    );
    t.is(bundle.key.kty, "EC-HSM");
    t.is(bundle.key.crv, "P-256K");
    t.deepEqual(bundle.key.key_ops, ["sign", "verify"]);
  });

  test(`az CLI import, api-version ${apiVersion}: --kty oct into a Managed HSM`, async (t) => {
    const { bundle } = await importAsAzCli(
      t,
      HSM,
      `az-oct-${apiVersion.replace(/\W/g, "")}`,
      apiVersion,
      { kty: "oct-HSM", key_ops: ["wrapKey", "unwrapKey"] },
      "oct-256",
    );
    t.is(bundle.key.kty, "oct-HSM");
    t.deepEqual(bundle.key.key_ops, ["wrapKey", "unwrapKey"]);
  });

  test(`az CLI import, api-version ${apiVersion}: --vault-name, --kty RSA into a Key Vault Premium vault`, async (t) => {
    const { bundle } = await importAsAzCli(
      t,
      VAULT,
      `az-vault-rsa-${apiVersion.replace(/\W/g, "")}`,
      apiVersion,
      { kty: "RSA-HSM" },
      "rsa-2048",
    );
    t.is(bundle.key.kty, "RSA-HSM");
    t.truthy(bundle.key.n);
  });
}
