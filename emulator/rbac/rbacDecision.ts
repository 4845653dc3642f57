/**
 * Managed HSM local RBAC as a decision (contracts §4.2): the caller may perform a data action at
 * a scope when one of its role assignments is at that scope or above it (`/` covers `/keys` and
 * every key, `/keys` covers every key, `/keys/{name}` only that key) and the assigned role has
 * a permission whose `dataActions` match the action and whose `notDataActions` do not. An
 * assignment counts only from its `effectiveAt` on (the emulator's `roleAssignmentDelayMs`).
 *
 * @module
 */
import type { RbacDecision } from "../authorize.js";
import type { KeyStoreReader } from "../store/keyStore.js";
import type { RolePermission, StoredRoleDefinition } from "../store/hsmState.js";
import { BUILT_IN_ROLES } from "./builtInRoles.js";

/** True when an assignment at `assigned` applies to a call at `requested`. */
export function scopeCovers(assigned: string, requested: string): boolean {
  const a = assigned.toLowerCase();
  const r = requested.toLowerCase();
  if (a === "/" || a === r) return true;
  return a === "/keys" && r.startsWith("/keys/");
}

/**
 * Each data-action pattern compiled once: every authorized call tests the caller's roles'
 * patterns, and building the regular expressions per call was a tenth of a millisecond of
 * each crypto call (the benchmark's sign row). Custom roles can add patterns without end, so
 * the cache starts over past MAX_COMPILED_PATTERNS.
 */
const compiledPatterns = new Map<string, RegExp>();
const MAX_COMPILED_PATTERNS = 4096;

/** `*` in a data action matches any run of characters, as in custom roles' wildcards. */
function actionMatches(pattern: string, action: string): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    const escaped = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*");
    compiled = new RegExp(`^${escaped}$`, "i");
    if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
    compiledPatterns.set(pattern, compiled);
  }
  return compiled.test(action);
}

/** True when the permission block grants the action. */
export function permissionGrants(permission: RolePermission, action: string): boolean {
  return (
    permission.dataActions.some((p) => actionMatches(p, action)) &&
    !permission.notDataActions.some((p) => actionMatches(p, action))
  );
}

/** The role definition of a GUID: a built-in or one of the HSM's custom roles. */
export function findRoleDefinition(
  store: KeyStoreReader,
  vault: string,
  guid: string,
): StoredRoleDefinition | undefined {
  const wanted = guid.toLowerCase();
  return (
    BUILT_IN_ROLES.find((r) => r.guid === wanted) ??
    store.getHsm(vault).definitions.find((d) => d.guid === wanted)
  );
}

/** The decision over the roles and assignments held in `store`. */
export function createRbacDecision(store: KeyStoreReader): RbacDecision {
  return ({ vault, identity, dataAction, scope }) => {
    const principal = identity.objectId.toLowerCase();
    return store
      .getHsm(vault.name)
      .assignments.some(
        (a) =>
          a.principalId.toLowerCase() === principal &&
          (a.effectiveAt === undefined || a.effectiveAt <= Date.now()) &&
          scopeCovers(a.scope, scope) &&
          (findRoleDefinition(store, vault.name, a.roleDefinitionGuid)?.permissions.some((p) =>
            permissionGrants(p, dataAction),
          ) ??
            false),
      );
  };
}
