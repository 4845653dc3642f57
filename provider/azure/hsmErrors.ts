/**
 * Failures of the Managed HSM security domain and RBAC calls as coded errors that say what to do
 * (STYLE.md rule 9): branch on the status and the service's inner code, never on message text.
 *
 * @module
 * @internal
 */
import { parseVaultUrl } from "../../byok/index.js";
import { ProviderError } from "../errors.js";
import { lastTokenIdentity } from "./credential.js";
import type { HsmResponse } from "./hsmDataPlane.js";

/** The operation that failed, in the user's words. */
export type HsmOperationName =
  | "download the security domain"
  | "read the security domain download status"
  | "create the role assignment"
  | "read the role assignment"
  | "delete the role assignment";

/** The service's `{ error: { code, message, innererror } }`, whatever of it came back. */
export function serviceErrorOf(body: unknown): {
  code?: string;
  innerCode?: string;
  message?: string;
} {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const inner = (error?.innererror ?? error?.innerError) as { code?: unknown } | undefined;
  return {
    ...(typeof error?.code === "string" ? { code: error.code } : {}),
    ...(typeof inner?.code === "string" ? { innerCode: inner.code } : {}),
    ...(typeof error?.message === "string" ? { message: error.message } : {}),
  };
}

/**
 * How `az keyvault` names the HSM: `--hsm-name` under the Managed HSM DNS suffix, else `--id`
 * with the URL (an emulator's host names nothing).
 */
export function hsmArgument(hsmUrl: string): string {
  const parsed = parseVaultUrl(hsmUrl);
  return parsed.vaultKind === "managedhsm"
    ? `--hsm-name ${new URL(parsed.vaultUrl).hostname.split(".")[0] ?? ""}`
    : `--id ${parsed.vaultUrl}`;
}

function callerObjectId(): string {
  return lastTokenIdentity()?.objectId ?? "<your object id>";
}

/**
 * The error for an unexpected answer of a security domain or RBAC call.
 *
 * @param response - what the service answered.
 * @param operation - what was being done.
 * @param hsmUrl - the HSM.
 */
export function hsmRequestError(
  response: HsmResponse,
  operation: HsmOperationName,
  hsmUrl: string,
): ProviderError {
  const { status } = response;
  const { code, innerCode, message } = serviceErrorOf(response.body);
  const said = message === undefined ? "" : ` Service said: ${message}`;
  const statusText = `HTTP ${status}${code === undefined ? "" : ` ${code}`}${innerCode === undefined ? "" : `/${innerCode}`}`;
  if (status === 401) {
    return new ProviderError(
      "ERR_ACCESS_DENIED",
      `could not ${operation} of ${hsmUrl}: the service did not accept the token (${statusText}); check the credential DefaultAzureCredential found (AZURE_* variables, workload or managed identity, az login) and its tenant.${said}`,
      { statusCode: status },
    );
  }
  if (status === 403 && innerCode === "HsmNotActivated") {
    return new ProviderError(
      "ERR_HSM_NOT_ACTIVATED",
      `could not ${operation} of ${hsmUrl}: the Managed HSM is not activated yet; activate it first (ManagedHsmActivation, or az keyvault security-domain download ${hsmArgument(hsmUrl)} …) and make this resource depend on the activation.${said}`,
      { statusCode: status },
    );
  }
  if (status === 403) {
    const objectId = callerObjectId();
    const fix =
      operation === "download the security domain" ||
      operation === "read the security domain download status"
        ? `downloading the security domain needs the "Managed HSM Administrator" role, which before activation only the HSM's initial administrators hold: add object id ${objectId} to the HSM's initialAdminObjectIds (on an activated HSM: az keyvault role assignment create ${hsmArgument(hsmUrl)} --role "Managed HSM Administrator" --assignee-object-id ${objectId} --scope /)`
        : `managing role assignments needs the "Managed HSM Administrator" role (Crypto Officer and Policy Administrator may too): grant it with az keyvault role assignment create ${hsmArgument(hsmUrl)} --role "Managed HSM Administrator" --assignee-object-id ${objectId} --scope /, or add the object id to the HSM's initialAdminObjectIds`;
    return new ProviderError(
      "ERR_ACCESS_DENIED",
      `could not ${operation} of ${hsmUrl}: the identity with object id ${objectId} is not allowed (${statusText}); ${fix}.${said}`,
      { statusCode: status },
    );
  }
  if (status === 429) {
    return new ProviderError(
      "ERR_THROTTLED",
      `could not ${operation} of ${hsmUrl}: the service is still throttling after several retries (HTTP 429); run pulumi up again later, or with --parallel 1.${said}`,
      { statusCode: status },
    );
  }
  return new ProviderError(
    "ERR_AZURE_REQUEST",
    `could not ${operation} of ${hsmUrl}: ${statusText}.${said}`,
    { statusCode: status },
  );
}
