/**
 * The authenticate stage (contracts §3.4): a request without `Authorization` gets the 401
 * challenge before its body is read (the SDKs' first request has none, and Python clients need
 * `authorization` in it); a bearer token must verify for this service's audience.
 *
 * @module
 */
import { bearerChallenge, invalidToken, missingToken } from "./errors.js";
import type { VaultRuntime } from "./operation.js";
import { MANAGED_HSM_RESOURCE, TokenError, VAULT_RESOURCE } from "./tokens.js";
import type { TokenIdentity, TokenIssuer } from "./tokens.js";

/** The token audience a vault of this kind accepts. */
export function resourceOf(vault: VaultRuntime): string {
  return vault.kind === "managedhsm" ? MANAGED_HSM_RESOURCE : VAULT_RESOURCE;
}

/**
 * Verifies the caller.
 *
 * @throws ServiceError 401 with the `WWW-Authenticate` challenge.
 */
export function authenticateRequest(
  authorization: string | undefined,
  vault: VaultRuntime,
  tokens: TokenIssuer,
  tenantId: string,
): TokenIdentity {
  const challenge = bearerChallenge(tenantId, resourceOf(vault));
  if (authorization === undefined || authorization.trim() === "") throw missingToken(challenge);
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (match?.[1] === undefined)
    throw invalidToken("The Authorization header is not 'Bearer <token>'.", challenge);
  try {
    return tokens.verify(match[1], resourceOf(vault));
  } catch (error) {
    if (error instanceof TokenError) throw invalidToken(error.message, challenge);
    throw error;
  }
}
