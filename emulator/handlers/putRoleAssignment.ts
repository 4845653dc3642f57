/**
 * `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`, body
 * `{ properties: { roleDefinitionId, principalId } }` → 201 (200 when the same assignment is
 * there already, so a retried PUT succeeds). Limits (Managed HSM service limits): 50 at `/` and
 * at `/keys`, 10 per key.
 *
 * @module
 */
import { badParameter, rbacLimitReached, roleAssignmentExists } from "../errors.js";
import { findRoleDefinition } from "../rbac/rbacDecision.js";
import {
  renderRoleAssignment,
  requireGuid,
  requireManagedHsm,
  requireScope,
  roleGuidOf,
} from "../rbac/rbacRequests.js";
import { defineOperation } from "../operation.js";
import type { StoredRoleAssignment } from "../store/hsmState.js";
import { requireObject, requireString } from "../validation.js";

/** Assignments at `/` or at `/keys`. */
export const MAX_HSM_SCOPE_ASSIGNMENTS = 50;
/** Assignments at one `/keys/{name}`. */
export const MAX_KEY_SCOPE_ASSIGNMENTS = 10;

export const putRoleAssignment = defineOperation<StoredRoleAssignment>({
  validate({ params, body }, context) {
    requireManagedHsm(context, "roleAssignments");
    const scope = requireScope(params.scope);
    const name = requireGuid(params.name, "The role assignment name");
    const properties = requireObject(
      requireObject(body, "The request body").properties,
      "properties",
    );
    const roleDefinitionGuid = roleGuidOf(
      requireString(properties, "roleDefinitionId", "properties"),
      "properties.roleDefinitionId",
    );
    const principalId = requireGuid(
      requireString(properties, "principalId", "properties"),
      "properties.principalId",
    );
    return { name, scope, roleDefinitionGuid, principalId };
  },
  handle(request, context) {
    const vault = context.vault.name;
    if (findRoleDefinition(context.store, vault, request.roleDefinitionGuid) === undefined) {
      throw badParameter(
        `properties.roleDefinitionId names role ${request.roleDefinitionGuid}, which is neither a built-in nor a custom role of this HSM: list the roles (GET /providers/Microsoft.Authorization/roleDefinitions).`,
      );
    }
    const assignments = context.store.getHsm(vault).assignments;
    const existing = assignments.find((a) => a.name.toLowerCase() === request.name);
    if (existing !== undefined) {
      const same =
        existing.scope.toLowerCase() === request.scope.toLowerCase() &&
        existing.roleDefinitionGuid === request.roleDefinitionGuid &&
        existing.principalId.toLowerCase() === request.principalId;
      if (!same) throw roleAssignmentExists(request.name);
      return { status: 200, body: renderRoleAssignment(existing) };
    }
    const limit = request.scope.startsWith("/keys/")
      ? MAX_KEY_SCOPE_ASSIGNMENTS
      : MAX_HSM_SCOPE_ASSIGNMENTS;
    const atScope = assignments.filter(
      (a) => a.scope.toLowerCase() === request.scope.toLowerCase(),
    ).length;
    if (atScope >= limit)
      throw rbacLimitReached(`role assignments at scope ${request.scope}`, limit);
    const delayMs = context.roleAssignmentDelayMs ?? 0;
    // listed at once, counted later: the service's assignments take a while to take effect
    const assignment = delayMs > 0 ? { ...request, effectiveAt: Date.now() + delayMs } : request;
    return {
      status: 201,
      body: renderRoleAssignment(assignment),
      mutations: [{ op: "putRoleAssignment", vault, assignment }],
    };
  },
});
