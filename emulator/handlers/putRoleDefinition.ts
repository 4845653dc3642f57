/**
 * `PUT /providers/Microsoft.Authorization/roleDefinitions/{guid}`: creates or replaces a custom
 * role; the body's `properties` hold `roleName`, optional `description`, `type` (`CustomRole`),
 * `permissions` (`dataActions`, `notDataActions`) and `assignableScopes` (`["/"]`) (contracts §4.2). Managed HSM
 * keeps custom roles at `/` only, at most 50, and never under a built-in role's name or GUID.
 *
 * @module
 */
import { badParameter, builtInRoleReused, rbacLimitReached } from "../errors.js";
import { findBuiltInRole, HSM_ACTIONS, renderRoleDefinition } from "../rbac/builtInRoles.js";
import { requireGuid, requireManagedHsm, requireScope } from "../rbac/rbacRequests.js";
import { defineOperation } from "../operation.js";
import type { RolePermission, StoredRoleDefinition } from "../store/hsmState.js";
import {
  optionalString,
  optionalStringArray,
  requireObject,
  requireString,
} from "../validation.js";

/** Custom roles per HSM (Managed HSM service limits). */
export const MAX_CUSTOM_ROLES = 50;

function dataActionsOf(
  permission: Record<string, unknown>,
  field: string,
  what: string,
): readonly string[] {
  const actions = optionalStringArray(permission, field, what) ?? [];
  for (const [j, action] of actions.entries()) {
    if (!action.toLowerCase().startsWith(`${HSM_ACTIONS.toLowerCase()}/`)) {
      throw badParameter(
        `${what}.${field}[${j}] '${action}' is not a Managed HSM data action: data actions start with ${HSM_ACTIONS}/ (for example ${HSM_ACTIONS}/keys/sign/action).`,
      );
    }
  }
  return actions;
}

export const putRoleDefinition = defineOperation<StoredRoleDefinition>({
  validate({ params, body }, context) {
    requireManagedHsm(context, "roleDefinitions");
    if (requireScope(params.scope) !== "/")
      throw badParameter(`Custom roles are defined at scope / only, not ${params.scope ?? ""}.`);
    const guid = requireGuid(params.name, "The role definition name");
    const properties = requireObject(
      requireObject(body, "The request body").properties,
      "properties",
    );
    const roleName = requireString(properties, "roleName", "properties");
    if (findBuiltInRole(guid) !== undefined || findBuiltInRole(roleName) !== undefined)
      throw builtInRoleReused();
    const type = optionalString(properties, "type", "properties");
    if (type !== undefined && type !== "CustomRole")
      throw badParameter(`properties.type '${type}' is not allowed: custom roles are CustomRole.`);
    const scopes = optionalStringArray(properties, "assignableScopes", "properties");
    if (scopes !== undefined && (scopes.length !== 1 || scopes[0] !== "/"))
      throw badParameter(`properties.assignableScopes must be ["/"] on a Managed HSM.`);
    const list = properties.permissions;
    if (!Array.isArray(list) || list.length === 0)
      throw badParameter("properties.permissions must be a non-empty array.");
    const permissions = list.map((entry: unknown, i): RolePermission => {
      const what = `properties.permissions[${i}]`;
      const permission = requireObject(entry, what);
      return {
        dataActions: dataActionsOf(permission, "dataActions", what),
        notDataActions: dataActionsOf(permission, "notDataActions", what),
      };
    });
    const description = optionalString(properties, "description", "properties") ?? "";
    return { guid, roleName, description, permissions };
  },
  handle(request, context) {
    const existing = context.store.getHsm(context.vault.name).definitions;
    const replaces = existing.some((d) => d.guid === request.guid);
    const clash = existing.find(
      (d) => d.guid !== request.guid && d.roleName.toLowerCase() === request.roleName.toLowerCase(),
    );
    if (clash !== undefined) {
      throw badParameter(
        `properties.roleName '${request.roleName}' is the name of custom role ${clash.guid}: role names are unique.`,
      );
    }
    if (!replaces && existing.length >= MAX_CUSTOM_ROLES)
      throw rbacLimitReached("custom role definitions per HSM", MAX_CUSTOM_ROLES);
    return {
      status: replaces ? 200 : 201,
      body: renderRoleDefinition(request),
      mutations: [{ op: "putRoleDefinition", vault: context.vault.name, definition: request }],
    };
  },
});
