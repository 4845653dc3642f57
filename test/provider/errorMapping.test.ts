/**
 * The error seam, fed the SDK's own `RestError` shaped as the service's answers
 * (contracts §3.3); the full path against the emulator is in the lifecycle tests.
 */
import test from "ava";
import { RestError } from "@azure/core-rest-pipeline";
import { mapAzureError } from "../../provider/azure/errorMapping.js";
import { isProviderError } from "../../provider/errors.js";

const HSM = "https://contoso.managedhsm.azure.net";
const VAULT = "https://contoso.vault.azure.net";
const OID = "11111111-2222-3333-4444-555555555555";

function restError(statusCode: number, code: string, message: string, inner?: string): RestError {
  const error = new RestError(message, { statusCode, code });
  error.details = {
    error: { code, message, ...(inner === undefined ? {} : { innerError: { code: inner } }) },
  };
  return error;
}

function mapped(
  error: unknown,
  vaultUrl = HSM,
  operation: Parameters<typeof mapAzureError>[1]["operation"] = "import the .byok file",
) {
  const result = mapAzureError(error, { operation, vaultUrl, name: "app" });
  if (!isProviderError(result)) throw new Error("not mapped");
  return result;
}

test("403 on a Managed HSM names Managed HSM Crypto User, the identity, and the command", (t) => {
  const e = mapped(
    restError(
      403,
      "Forbidden",
      `The user, group or application 'appid=x;oid=${OID};iss=y' does not have keys import permission`,
      "AccessDenied",
    ),
  );
  t.is(e.code, "ERR_ACCESS_DENIED");
  t.regex(e.message, /Managed HSM Crypto User/);
  t.regex(e.message, new RegExp(OID));
  t.regex(
    e.message,
    /az keyvault role assignment create --hsm-name contoso --role "Managed HSM Crypto User"/,
  );
});

test("403 on a Key Vault names Key Vault Crypto Officer; purging needs Crypto Officer on an HSM", (t) => {
  t.regex(mapped(restError(403, "Forbidden", "denied"), VAULT).message, /Key Vault Crypto Officer/);
  t.regex(
    mapped(restError(403, "Forbidden", "denied"), HSM, "purge the deleted key").message,
    /Managed HSM Crypto Officer/,
  );
});

test("409 ObjectIsDeletedButRecoverable gives the recover and purge commands", (t) => {
  const e = mapped(
    restError(
      409,
      "Conflict",
      "Key app is currently in a deleted but recoverable state",
      "ObjectIsDeletedButRecoverable",
    ),
  );
  t.is(e.code, "ERR_KEY_SOFT_DELETED");
  t.regex(
    e.message,
    /az keyvault key recover --id https:\/\/contoso\.managedhsm\.azure\.net\/deletedkeys\/app/,
  );
  t.regex(e.message, /az keyvault key purge --id/);
});

test("a rejected .byok lists the likely causes", (t) => {
  const e = mapped(restError(400, "BadParameter", "Invalid key transfer blob"));
  t.is(e.code, "ERR_BYOK_REJECTED");
  t.regex(e.message, /wrapped for another KEK/);
  t.regex(e.message, /stale/);
});

test("an oct import refused outside a Managed HSM says oct keys need one", (t) => {
  const context = {
    operation: "import the .byok file",
    vaultUrl: "https://kv.contoso.internal",
    name: "app",
    keyType: "oct",
  } as const;
  const refused = mapAzureError(
    restError(400, "BadParameter", "oct-HSM is not supported", "KeyTypeNotSupported"),
    context,
  );
  t.like(refused, { code: "ERR_KEY_TYPE_NOT_SUPPORTED" });
  t.regex((refused as Error).message, /oct \(AES\) keys exist only in a Managed HSM/);
  const rejected = mapAzureError(restError(400, "BadParameter", "Invalid blob"), context);
  t.like(rejected, { code: "ERR_BYOK_REJECTED" });
  t.regex((rejected as Error).message, /Likely causes: oct \(AES\) keys can be imported only/);
});

test("429 after the pipeline's retries, 404 and purge protection have their codes", (t) => {
  t.is(mapped(restError(429, "Throttled", "Too many requests")).code, "ERR_THROTTLED");
  t.is(
    mapped(restError(404, "KeyNotFound", "not found"), HSM, "read the key").code,
    "ERR_KEY_NOT_FOUND",
  );
  t.is(
    mapped(
      restError(
        403,
        "Forbidden",
        'Operation "purge" is not allowed because purge protection is enabled',
      ),
      VAULT,
      "purge the deleted key",
    ).code,
    "ERR_PURGE_PROTECTED",
  );
  const plain = new Error("socket hang up");
  t.is(mapAzureError(plain, { operation: "read the key", vaultUrl: HSM, name: "app" }), plain);
});
