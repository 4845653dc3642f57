/**
 * The one seam where service failures become coded errors a platform engineer can act on
 * (STYLE.md rule 9): branch on the status code and the service code (on 409 the inner
 * `ObjectIsDeletedButRecoverable`), never on message text, and say what to do.
 *
 * @module
 * @internal
 */
import { parseVaultUrl } from "../../byok/index.js";
import { ProviderError } from "../errors.js";
import { lastTokenIdentity } from "./credential.js";

/** The operation that failed, in the user's words. */
export type KeyOperationName =
  | "create the KEK"
  | "import the .byok file"
  | "read the key"
  | "update the key"
  | "delete the key"
  | "purge the deleted key"
  | "list the key's versions";

/** What the failing call was about. */
export interface ErrorContext {
  readonly operation: KeyOperationName;
  readonly vaultUrl: string;
  readonly name: string;
  /** For an import: the key type asked for (`RSA`, `EC`, `oct`), so a refusal can name the likely cause. */
  readonly keyType?: string;
}

/** The parts of the SDK's `RestError` we branch on (duck-typed, as `isRestError` does). */
interface RestErrorLike {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message: string;
  readonly details?: unknown;
}

function isRestErrorLike(error: unknown): error is RestErrorLike & Error {
  return error instanceof Error && error.name === "RestError";
}

/** The inner error code of a Key Vault error body (`error.innererror.code`). */
function innerCode(details: unknown): string | undefined {
  const error = (details as { error?: Record<string, unknown> } | undefined)?.error;
  const inner = (error?.innerError ?? error?.innererror) as { code?: unknown } | undefined;
  return typeof inner?.code === "string" ? inner.code : undefined;
}

function serviceMessage(error: RestErrorLike): string {
  const body = (error.details as { error?: { message?: unknown } } | undefined)?.error;
  return typeof body?.message === "string" ? body.message : error.message;
}

function objectIdFromMessage(message: string): string | undefined {
  return /oid=([0-9a-fA-F-]{36})/.exec(message)?.[1];
}

/**
 * How `az keyvault` commands name the HSM: `--hsm-name` under the Managed HSM DNS suffix, else the
 * full URL (`--id`), since another host's first label (an emulator's `127`) names nothing.
 */
function hsmArgument(vaultUrl: string): string {
  const parsed = parseVaultUrl(vaultUrl);
  return parsed.vaultKind === "managedhsm"
    ? `--hsm-name ${new URL(parsed.vaultUrl).hostname.split(".")[0] ?? ""}`
    : `--id ${parsed.vaultUrl}`;
}

function accessDenied(error: RestErrorLike, context: ErrorContext): ProviderError {
  const { vaultUrl } = context;
  const kind = parseVaultUrl(vaultUrl).vaultKind;
  const identity = lastTokenIdentity();
  const objectId =
    identity?.objectId ?? objectIdFromMessage(serviceMessage(error)) ?? "<object id>";
  const who =
    `the identity with object id ${objectId}` +
    (identity?.appId === undefined ? "" : ` (app id ${identity.appId})`) +
    (identity?.upn === undefined ? "" : ` (${identity.upn})`);
  const officer = context.operation === "purge the deleted key";
  const hsmRole = officer ? "Managed HSM Crypto Officer" : "Managed HSM Crypto User";
  const hsmFix = `az keyvault role assignment create ${hsmArgument(vaultUrl)} --role "${hsmRole}" --assignee-object-id ${objectId} --scope /keys`;
  const vaultFix = `az role assignment create --role "Key Vault Crypto Officer" --assignee-object-id ${objectId} --scope <the vault's resource id>`;
  const fix =
    kind === "managedhsm"
      ? `grant it the "${hsmRole}" role: ${hsmFix}`
      : kind === "vault"
        ? `grant it the "Key Vault Crypto Officer" role: ${vaultFix}`
        : `grant it the "${hsmRole}" role on a Managed HSM (${hsmFix}), or "Key Vault Crypto Officer" on a Key Vault`;
  return new ProviderError(
    "ERR_ACCESS_DENIED",
    `could not ${context.operation} "${context.name}" in ${vaultUrl}: ${who} is not allowed (HTTP 403${error.code === undefined ? "" : ` ${error.code}`}); ${fix}. Service said: ${serviceMessage(error)}`,
    { cause: error, statusCode: 403, missingRole: true },
  );
}

/**
 * Turns a failure of an `@azure/keyvault-keys` call into a {@link ProviderError}; anything that
 * is not a service error is returned unchanged.
 *
 * @param error - what the SDK threw.
 * @param context - the operation, vault and key name, for the message.
 */
export function mapAzureError(error: unknown, context: ErrorContext): unknown {
  if (!isRestErrorLike(error)) return error;
  const { statusCode, code } = error;
  const inner = innerCode(error.details);
  const where = `"${context.name}" in ${context.vaultUrl}`;
  const deletedId = `${context.vaultUrl}/deletedkeys/${context.name}`;
  const said = serviceMessage(error);
  if (statusCode === 401 || statusCode === 403) {
    if (inner === "ForbiddenByFirewall") {
      return new ProviderError(
        "ERR_ACCESS_DENIED",
        `could not ${context.operation} ${where}: the vault's firewall refused this machine's address; allow it in the vault's network settings. Service said: ${said}`,
        { cause: error, statusCode },
      );
    }
    if (statusCode === 403 && inner === "HsmNotActivated") {
      return new ProviderError(
        "ERR_HSM_NOT_ACTIVATED",
        `could not ${context.operation} ${where}: the Managed HSM is not activated yet, and every key call fails until it is; download its security domain first (az keyvault security-domain download ${hsmArgument(context.vaultUrl)} --sd-wrapping-keys <3 or more .cer files> --sd-quorum 2 --security-domain-file <file>); when the same program creates the HSM, make this resource depend on the activation. Service said: ${said}`,
        { cause: error, statusCode },
      );
    }
    if (
      statusCode === 403 &&
      context.operation === "purge the deleted key" &&
      /purge protection/i.test(said)
    ) {
      return new ProviderError(
        "ERR_PURGE_PROTECTED",
        `could not purge ${where}: purge protection is on, so the key stays soft-deleted until its retention period ends; set purgeOnDelete: false, or wait. Service said: ${said}`,
        { cause: error, statusCode },
      );
    }
    if (statusCode === 401) {
      return new ProviderError(
        "ERR_ACCESS_DENIED",
        `could not ${context.operation} ${where}: the service did not accept the token (HTTP 401); check the credential DefaultAzureCredential found (AZURE_* variables, workload or managed identity, az login) and its tenant. Service said: ${said}`,
        { cause: error, statusCode },
      );
    }
    return accessDenied(error, context);
  }
  if (statusCode === 409 && inner === "ObjectIsDeletedButRecoverable") {
    return new ProviderError(
      "ERR_KEY_SOFT_DELETED",
      `could not ${context.operation} ${where}: a soft-deleted key holds that name, which can only be recovered or purged. Recover it (keeps its versions): az keyvault key recover --id ${deletedId} — or purge it (destroys it for good): az keyvault key purge --id ${deletedId} — then run pulumi up again.`,
      { cause: error, statusCode },
    );
  }
  if (statusCode === 409 && inner === "ObjectIsBeingDeleted") {
    return new ProviderError(
      "ERR_KEY_BEING_DELETED",
      `could not ${context.operation} ${where}: the key is being deleted right now; wait a minute and run pulumi up again.`,
      { cause: error, statusCode },
    );
  }
  if (statusCode === 404) {
    return new ProviderError(
      "ERR_KEY_NOT_FOUND",
      `could not ${context.operation} ${where}: no such key (${code ?? "NotFound"}); run pulumi refresh so the state forgets it, or check vaultUrl and name.`,
      { cause: error, statusCode },
    );
  }
  const kind = parseVaultUrl(context.vaultUrl).vaultKind;
  const octOutsideHsm = context.keyType === "oct" && kind !== "managedhsm";
  if (statusCode === 400 && inner === "KeyTypeNotSupported") {
    const fix = octOutsideHsm
      ? `oct (AES) keys exist only in a Managed HSM and ${context.vaultUrl} is not one: import it into a Managed HSM (its URL ends in .managedhsm.azure.net), or wrap an RSA or EC key for this vault`
      : `check keyType${context.keyType === undefined ? "" : ` (${context.keyType})`} against what this vault holds: a Key Vault (Premium) takes RSA or EC keys, a Managed HSM also oct`;
    return new ProviderError(
      "ERR_KEY_TYPE_NOT_SUPPORTED",
      `could not ${context.operation} ${where}: the vault does not hold this key type; ${fix}. Service said: ${said}`,
      { cause: error, statusCode },
    );
  }
  if (statusCode === 400 && context.operation === "import the .byok file") {
    return new ProviderError(
      "ERR_BYOK_REJECTED",
      `the service rejected the .byok file for ${where} (${code ?? "BadParameter"}: ${said}). Likely causes: ${octOutsideHsm ? `oct (AES) keys can be imported only into a Managed HSM (is ${context.vaultUrl} a Key Vault?); ` : ""}the file was wrapped for another KEK, or for a KEK version that was rotated, disabled or deleted (compare byok.header.kid with the KEK's current kid); keyType/curve do not match the wrapped key; the KEK's key_ops are not exactly ["import"]; the file is stale or damaged. Wrap the target key again with the current KEK's public key and retry.`,
      { cause: error, statusCode },
    );
  }
  if (statusCode === 429) {
    return new ProviderError(
      "ERR_THROTTLED",
      `could not ${context.operation} ${where}: the service is still throttling after several retries (HTTP 429); run pulumi up again later, or with fewer parallel operations (--parallel 1).`,
      { cause: error, statusCode },
    );
  }
  return new ProviderError(
    "ERR_AZURE_REQUEST",
    `could not ${context.operation} ${where}: HTTP ${statusCode ?? "error"} ${code ?? ""}${inner === undefined ? "" : `/${inner}`}: ${said}`,
    statusCode === undefined ? { cause: error } : { cause: error, statusCode },
  );
}
