/**
 * Managed HSM local RBAC role assignments over the data plane (contracts §4.2):
 * `PUT|GET|DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`, the body
 * `{ properties: { roleDefinitionId, principalId } }`.
 *
 * @module
 * @internal
 */
import { sendHsmRequest } from "./hsmDataPlane.js";
import { hsmRequestError } from "./hsmErrors.js";

/** A role assignment as the service reports it. */
export interface RoleAssignmentFacts {
  /** The assignment's id, `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
}

/** The path of an assignment: the scope's segments, then the RBAC provider (no `//`). */
function assignmentPath(scope: string, name: string): string {
  const prefix = scope === "/" ? "" : scope.replace(/\/+$/, "");
  return `${prefix}/providers/Microsoft.Authorization/roleAssignments/${encodeURIComponent(name)}`;
}

function factsOf(
  body: unknown,
  fallback: Omit<RoleAssignmentFacts, "id"> & { id?: string },
): RoleAssignmentFacts {
  const record = (body ?? {}) as {
    id?: unknown;
    name?: unknown;
    properties?: { scope?: unknown; roleDefinitionId?: unknown; principalId?: unknown };
  };
  const text = (value: unknown, otherwise: string): string =>
    typeof value === "string" && value !== "" ? value : otherwise;
  const properties = record.properties ?? {};
  return {
    id: text(record.id, fallback.id ?? assignmentPath(fallback.scope, fallback.name)),
    name: text(record.name, fallback.name),
    scope: text(properties.scope, fallback.scope),
    roleDefinitionId: text(properties.roleDefinitionId, fallback.roleDefinitionId),
    principalId: text(properties.principalId, fallback.principalId),
  };
}

/** Options of {@link putRoleAssignment}. */
export interface PutRoleAssignmentOptions {
  readonly scope: string;
  readonly name: string;
  /** The full role definition id. */
  readonly roleDefinitionId: string;
  readonly principalId: string;
}

/**
 * Creates the assignment, or finds it already there under the same name (the PUT is
 * idempotent, and our names are deterministic).
 */
export async function putRoleAssignment(
  hsmUrl: string,
  options: PutRoleAssignmentOptions,
): Promise<RoleAssignmentFacts> {
  const { scope, name, roleDefinitionId, principalId } = options;
  const response = await sendHsmRequest(hsmUrl, {
    method: "PUT",
    path: assignmentPath(scope, name),
    body: { properties: { roleDefinitionId, principalId } },
  });
  if (response.status !== 200 && response.status !== 201) {
    throw hsmRequestError(response, "create the role assignment", hsmUrl);
  }
  return factsOf(response.body, options);
}

/** Reads an assignment; `undefined` when it does not exist (deleted outside Pulumi). */
export async function getRoleAssignment(
  hsmUrl: string,
  options: { scope: string; name: string },
): Promise<RoleAssignmentFacts | undefined> {
  const response = await sendHsmRequest(hsmUrl, {
    method: "GET",
    path: assignmentPath(options.scope, options.name),
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw hsmRequestError(response, "read the role assignment", hsmUrl);
  return factsOf(response.body, { ...options, roleDefinitionId: "", principalId: "" });
}

/** Deletes an assignment; one that is already gone is not an error. */
export async function deleteRoleAssignment(
  hsmUrl: string,
  options: { scope: string; name: string },
): Promise<void> {
  const response = await sendHsmRequest(hsmUrl, {
    method: "DELETE",
    path: assignmentPath(options.scope, options.name),
  });
  if (response.status === 200 || response.status === 204 || response.status === 404) return;
  throw hsmRequestError(response, "delete the role assignment", hsmUrl);
}
