/**
 * `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=roleName eq '…']`:
 * the nine built-in roles and the HSM's custom roles (contracts §4.2). Every definition is
 * assignable at `/`, so every scope lists them all.
 *
 * @module
 */
import { BUILT_IN_ROLES, renderRoleDefinition } from "../rbac/builtInRoles.js";
import { parseListFilter, requireManagedHsm, requireScope } from "../rbac/rbacRequests.js";
import type { ListFilter } from "../rbac/rbacRequests.js";
import { defineOperation } from "../operation.js";

export const listRoleDefinitions = defineOperation<{ filters: ListFilter[] }>({
  validate({ params, query }, context) {
    requireManagedHsm(context, "roleDefinitions");
    requireScope(params.scope);
    return { filters: parseListFilter(query, ["roleName"]) };
  },
  handle(request, context) {
    const all = [...BUILT_IN_ROLES, ...context.store.getHsm(context.vault.name).definitions];
    const value = all
      .filter((d) =>
        request.filters.every(
          (f) => f.kind !== "roleName" || d.roleName.toLowerCase() === f.value.toLowerCase(),
        ),
      )
      .map(renderRoleDefinition);
    return { status: 200, body: { value } };
  },
});
