/**
 * `DELETE /providers/Microsoft.Authorization/roleDefinitions/{guid}`: deletes a custom role
 * that no assignment uses (contracts §4.2). Built-in roles cannot be deleted.
 *
 * @module
 */
import { badParameter, roleDefinitionNotFound } from "../errors.js";
import { findBuiltInRole, renderRoleDefinition } from "../rbac/builtInRoles.js";
import { requireGuid, requireManagedHsm, requireScope } from "../rbac/rbacRequests.js";
import { defineOperation } from "../operation.js";

export const deleteRoleDefinition = defineOperation<{ guid: string }>({
  validate({ params }, context) {
    requireManagedHsm(context, "roleDefinitions");
    requireScope(params.scope);
    return { guid: requireGuid(params.name, "The role definition name") };
  },
  handle(request, context) {
    const builtIn = findBuiltInRole(request.guid);
    if (builtIn !== undefined)
      throw badParameter(
        `${builtIn.roleName} is a built-in role: built-in roles cannot be deleted.`,
      );
    const hsm = context.store.getHsm(context.vault.name);
    const definition = hsm.definitions.find((d) => d.guid === request.guid);
    if (definition === undefined) throw roleDefinitionNotFound(request.guid);
    const used = hsm.assignments.filter((a) => a.roleDefinitionGuid === request.guid).length;
    if (used > 0) {
      throw badParameter(
        `The role definition '${request.guid}' is used by ${used} role assignment(s): delete them first.`,
      );
    }
    return {
      status: 200,
      body: renderRoleDefinition(definition),
      mutations: [{ op: "deleteRoleDefinition", vault: context.vault.name, guid: request.guid }],
    };
  },
});
