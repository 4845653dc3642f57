/**
 * What the role API operations share: the checks of their path and body (each a 400
 * BadParameter naming the property) and their wire shapes (contracts §4.2).
 *
 * @module
 */
import { badParameter, managedHsmOnly } from "../errors.js";
import type { HandlerContext } from "../operation.js";
import type { StoredRoleAssignment } from "../store/hsmState.js";
import { ROLE_DEFINITION_ID_PREFIX } from "./builtInRoles.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCOPE = /^\/$|^\/keys$|^\/keys\/[0-9a-zA-Z-]{1,127}$/;

/**
 * Role APIs exist only on a Managed HSM; a vault's RBAC is Azure RBAC (control plane). Other
 * Managed HSM APIs pass `why`: what a vault has instead.
 */
export function requireManagedHsm(context: HandlerContext, api: string, why?: string): void {
  if (context.vault.kind !== "managedhsm") throw managedHsmOnly(context.vault.name, api, why);
}

/** The scope from the path: `/`, `/keys` or `/keys/{key name}`. */
export function requireScope(scope: string | undefined): string {
  if (scope === undefined || !SCOPE.test(scope)) {
    throw badParameter(
      `The scope '${scope ?? ""}' is not a Managed HSM scope: use / (the whole HSM), /keys (every key) or /keys/{key name}.`,
    );
  }
  return scope;
}

/** A GUID, lower case. */
export function requireGuid(value: string | undefined, what: string): string {
  if (value === undefined || !GUID.test(value)) {
    throw badParameter(
      `${what} '${value ?? ""}' is not a GUID: use the form 00000000-0000-0000-0000-000000000000.`,
    );
  }
  return value.toLowerCase();
}

/**
 * The GUID of a role definition id as clients send it: the full id
 * (`Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/<guid>`, with or
 * without a leading `/` or scope), or the bare GUID.
 */
export function roleGuidOf(roleDefinitionId: string, what: string): string {
  const guid = /(?:^|\/roleDefinitions\/)([^/]+)$/i.exec(roleDefinitionId.trim())?.[1];
  return requireGuid(guid, what);
}

/** An assignment's id: its scope's segments, then the provider path (no `//`). */
export function assignmentId(scope: string, name: string): string {
  return `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

/** A role assignment as the service answers it. */
export function renderRoleAssignment(assignment: StoredRoleAssignment) {
  return {
    id: assignmentId(assignment.scope, assignment.name),
    name: assignment.name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      scope: assignment.scope,
      roleDefinitionId: `${ROLE_DEFINITION_ID_PREFIX}${assignment.roleDefinitionGuid}`,
      principalId: assignment.principalId,
    },
  };
}

/** One clause of a list's `$filter`. */
export type ListFilter =
  | { readonly kind: "atScope" }
  | { readonly kind: "principalId"; readonly value: string }
  | { readonly kind: "roleName"; readonly value: string };

/**
 * The clauses of `$filter`, joined by `and`: `atScope()`, `principalId eq '…'`,
 * `roleName eq '…'` (the forms `KeyVaultAccessControlClient` and `az` send).
 */
export function parseListFilter(
  query: URLSearchParams,
  allowed: readonly ListFilter["kind"][],
): ListFilter[] {
  const text = query.get("$filter");
  if (text === null || text.trim() === "") return [];
  return text.split(/\s+and\s+/i).map((clause): ListFilter => {
    const trimmed = clause.trim();
    if (/^atScope\(\)$/i.test(trimmed) && allowed.includes("atScope")) return { kind: "atScope" };
    const eq = /^(principalId|roleName)\s+eq\s+'([^']*)'$/i.exec(trimmed);
    const field = eq?.[1]?.toLowerCase() === "principalid" ? "principalId" : "roleName";
    if (eq !== null && allowed.includes(field)) return { kind: field, value: eq[2] ?? "" };
    throw badParameter(
      `The $filter clause '${trimmed}' is not supported here: use ${allowed
        .map((k) => (k === "atScope" ? "atScope()" : `${k} eq '<value>'`))
        .join(" or ")}.`,
    );
  });
}
