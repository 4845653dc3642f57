/**
 * `GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}` (contracts §4.2). The
 * assignment must be at the scope in the path: a caller allowed to read at `/keys/a` sees no
 * assignment made at `/`.
 *
 * @module
 */
import { roleAssignmentNotFound } from "../errors.js";
import { renderRoleAssignment, requireManagedHsm, requireScope } from "../rbac/rbacRequests.js";
import { defineOperation } from "../operation.js";

export const getRoleAssignment = defineOperation<{ scope: string; name: string }>({
  validate({ params }, context) {
    requireManagedHsm(context, "roleAssignments");
    return { scope: requireScope(params.scope), name: params.name ?? "" };
  },
  handle(request, context) {
    const found = context.store
      .getHsm(context.vault.name)
      .assignments.find(
        (a) =>
          a.name.toLowerCase() === request.name.toLowerCase() &&
          a.scope.toLowerCase() === request.scope.toLowerCase(),
      );
    if (found === undefined) throw roleAssignmentNotFound(request.name);
    return { status: 200, body: renderRoleAssignment(found) };
  },
});
