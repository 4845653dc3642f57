/**
 * `check` of `ManagedHsmRoleAssignment`: the HSM URL, the scope, the role and the principal,
 * offline; when all are known it adds the full role definition id and the deterministic
 * assignment name to the inputs, so `diff` compares what the service sees.
 *
 * @module
 * @internal
 */
import {
  MANAGED_HSM_BUILT_IN_ROLES,
  isGuid,
  isValidHsmScope,
  resolveHsmRole,
  roleAssignmentName,
} from "./managedHsmRoles.js";
import { isUnknown } from "./unknowns.js";
import { checkHsmUri } from "./validateHsmUri.js";
import { Failures } from "./validateCommon.js";
import type { CheckFailure } from "./validateCommon.js";

/** The result of {@link validateHsmRoleAssignmentInputs}. */
export interface HsmRoleAssignmentCheck {
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
}

/**
 * Validates `ManagedHsmRoleAssignment` inputs without any network call.
 *
 * @param news - the inputs from the program; any value may be the unknown sentinel.
 */
export function validateHsmRoleAssignmentInputs(
  news: Record<string, unknown>,
): HsmRoleAssignmentCheck {
  const failures = new Failures();
  checkHsmUri(
    news.hsmUri,
    failures,
    "a Key Vault's roles are Azure RBAC (az role assignment create); local RBAC role assignments exist only in a Managed HSM",
  );
  const { scope, role, principalId } = news;
  let knownScope: string | undefined;
  if (!isUnknown(scope)) {
    if (typeof scope !== "string" || !isValidHsmScope(scope)) {
      failures.add(
        "scope",
        `scope is ${JSON.stringify(scope)}: a Managed HSM role assignment's scope is "/" (the whole HSM), "/keys" (every key) or "/keys/<key name>"`,
      );
    } else {
      knownScope = scope;
    }
  }
  let roleGuid: string | undefined;
  let roleDefinitionId: string | undefined;
  if (!isUnknown(role)) {
    const resolved = typeof role === "string" ? resolveHsmRole(role) : undefined;
    if (resolved === undefined) {
      failures.add(
        "role",
        `role is ${JSON.stringify(role)}: give a built-in role's name (${Object.keys(MANAGED_HSM_BUILT_IN_ROLES).join(", ")}), a role definition GUID, or a role definition id ending in /roleDefinitions/<guid>`,
      );
    } else {
      roleGuid = resolved.guid;
      roleDefinitionId = resolved.roleDefinitionId;
    }
  }
  let knownPrincipal: string | undefined;
  if (!isUnknown(principalId)) {
    if (typeof principalId !== "string" || !isGuid(principalId)) {
      failures.add(
        "principalId",
        `principalId is ${JSON.stringify(principalId)}: give the object id (a GUID) of the user, group, service principal or managed identity`,
      );
    } else {
      knownPrincipal = principalId.toLowerCase();
    }
  }
  const inputs: Record<string, unknown> = {
    ...news,
    ...(knownPrincipal === undefined ? {} : { principalId: knownPrincipal }),
    ...(roleDefinitionId === undefined ? {} : { roleDefinitionId }),
    ...(knownScope !== undefined && roleGuid !== undefined && knownPrincipal !== undefined
      ? { assignmentName: roleAssignmentName(knownScope, roleGuid, knownPrincipal) }
      : {}),
  };
  return { inputs, failures: failures.list };
}
