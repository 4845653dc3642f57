/**
 * The authorize stage: every route names the data action it needs (routes.ts), and a Managed
 * HSM asks its local RBAC whether the caller may perform it at the key's scope (contracts §4.2).
 * The RBAC decision is one pluggable function, {@link RbacDecision}; the emulator's is
 * `rbac/rbacDecision.ts` over the roles and assignments in its store. Vaults are not checked:
 * their Azure RBAC lives on the control plane, which the emulator does not serve.
 *
 * @module
 */
import { accessDenied, hsmNotActivated } from "./errors.js";
import type { VaultRuntime } from "./operation.js";
import { isHsmActivated } from "./securityDomain/activation.js";
import type { KeyStoreReader } from "./store/keyStore.js";
import type { Route, RouteParams } from "./routes.js";
import type { TokenIdentity } from "./tokens.js";

/** What an RBAC decision is asked. */
export interface AuthorizationQuestion {
  readonly vault: VaultRuntime;
  readonly identity: TokenIdentity;
  /** e.g. `Microsoft.KeyVault/managedHsm/keys/import/action`. */
  readonly dataAction: string;
  /** `/keys/{name}` for a call on a key, `/keys` for collection calls, `/` otherwise. */
  readonly scope: string;
}

/** Decides whether the caller holds a role granting the data action at the scope. */
export type RbacDecision = (question: AuthorizationQuestion) => boolean;

/**
 * A decision that lets any caller whose token verified do anything: for tests of other stages
 * that want RBAC out of the way.
 */
export const allowAnyAuthenticatedIdentity: RbacDecision = () => true;

/** Options of {@link authorizeRequest}. */
export interface AuthorizeOptions {
  readonly decide: RbacDecision;
  /** Where the HSM's activation is recorded. */
  readonly store: KeyStoreReader;
}

/** The RBAC scope of a call: the key's, the keys collection's, or the HSM's. */
export function scopeOf(route: Route, params: RouteParams): string {
  if (params.scope !== undefined) return params.scope;
  if (params.name !== undefined) return `/keys/${params.name}`;
  return route.pattern.startsWith("/keys") || route.pattern.startsWith("/deletedkeys")
    ? "/keys"
    : "/";
}

/**
 * Authorizes a call.
 *
 * @throws ServiceError 403 `HsmNotActivated` before activation; 403 `AccessDenied` when the
 *   decision refuses.
 */
export function authorizeRequest(
  route: Route,
  params: RouteParams,
  vault: VaultRuntime,
  identity: TokenIdentity,
  options: AuthorizeOptions,
): void {
  if (vault.kind !== "managedhsm") return;
  if (route.beforeActivation !== true && !isHsmActivated(vault, options.store, Date.now()))
    throw hsmNotActivated(vault.name);
  const scope = scopeOf(route, params);
  if (!options.decide({ vault, identity, dataAction: route.dataAction, scope }))
    throw accessDenied(route.dataAction, scope);
}
