/**
 * `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`: a built-in or custom
 * role (contracts §4.2).
 *
 * @module
 */
import { roleDefinitionNotFound } from "../errors.js";
import { findBuiltInRole, renderRoleDefinition } from "../rbac/builtInRoles.js";
import { requireGuid, requireManagedHsm, requireScope } from "../rbac/rbacRequests.js";
import { findRoleDefinition } from "../rbac/rbacDecision.js";
import { defineOperation } from "../operation.js";

export const getRoleDefinition = defineOperation<{ guid: string }>({
  validate({ params }, context) {
    requireManagedHsm(context, "roleDefinitions");
    requireScope(params.scope);
    return { guid: requireGuid(params.name, "The role definition name") };
  },
  handle(request, context) {
    const definition =
      findBuiltInRole(request.guid) ??
      findRoleDefinition(context.store, context.vault.name, request.guid);
    if (definition === undefined) throw roleDefinitionNotFound(request.guid);
    return { status: 200, body: renderRoleDefinition(definition) };
  },
});
