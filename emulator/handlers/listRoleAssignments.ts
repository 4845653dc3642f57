/**
 * `GET {scope}/providers/Microsoft.Authorization/roleAssignments[?$filter=…]` (contracts §4.2).
 * Without a filter: the assignments at, above and below the scope; `atScope()`: at and above
 * (the ones that apply there); `principalId eq '…'`: one principal's.
 *
 * @module
 */
import {
  parseListFilter,
  renderRoleAssignment,
  requireManagedHsm,
  requireScope,
} from "../rbac/rbacRequests.js";
import type { ListFilter } from "../rbac/rbacRequests.js";
import { scopeCovers } from "../rbac/rbacDecision.js";
import { defineOperation } from "../operation.js";

export const listRoleAssignments = defineOperation<{ scope: string; filters: ListFilter[] }>({
  validate({ params, query }, context) {
    requireManagedHsm(context, "roleAssignments");
    return {
      scope: requireScope(params.scope),
      filters: parseListFilter(query, ["atScope", "principalId"]),
    };
  },
  handle(request, context) {
    const { scope, filters } = request;
    const atScope = filters.some((f) => f.kind === "atScope");
    const value = context.store
      .getHsm(context.vault.name)
      .assignments.filter(
        (a) => scopeCovers(a.scope, scope) || (!atScope && scopeCovers(scope, a.scope)),
      )
      .filter((a) =>
        filters.every(
          (f) => f.kind !== "principalId" || a.principalId.toLowerCase() === f.value.toLowerCase(),
        ),
      )
      .map(renderRoleAssignment);
    return { status: 200, body: { value } };
  },
});
