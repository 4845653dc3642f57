/**
 * The role assignments a Managed HSM starts with. As on Azure, the first identity (the HSM's
 * initial administrator) holds Managed HSM Administrator at `/`. Without `roleAssignments` it
 * also holds Crypto Officer and Crypto User at `/`, so a fresh emulator can create, import and
 * purge keys at once; with them, exactly the listed ones are added.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { StoredRoleAssignment } from "../store/hsmState.js";
import { BUILT_IN_ROLES, findBuiltInRole } from "./builtInRoles.js";

/** An assignment to start with; `roleName` is a built-in role's name or GUID. */
export interface SeedRoleAssignment {
  readonly objectId: string;
  readonly roleName: string;
  /** `/` (default), `/keys` or `/keys/{key name}`. */
  readonly scope?: string;
}

const SCOPE = /^\/$|^\/keys$|^\/keys\/[0-9a-zA-Z-]{1,127}$/;

/** A name derived from the assignment, so the same start-up list gives the same names. */
function assignmentName(vault: string, objectId: string, guid: string, scope: string): string {
  const hex = createHash("sha256")
    .update(`${vault}\n${objectId.toLowerCase()}\n${guid}\n${scope.toLowerCase()}`)
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The start-up assignments of one Managed HSM.
 *
 * @throws Error naming the entry when a role is not built in or a scope is not an HSM scope.
 */
export function seedAssignments(
  vault: string,
  administrator: string,
  listed: readonly SeedRoleAssignment[] | undefined,
): StoredRoleAssignment[] {
  const wanted: SeedRoleAssignment[] = [
    { objectId: administrator, roleName: "Managed HSM Administrator", scope: "/" },
    ...(listed ?? [
      { objectId: administrator, roleName: "Managed HSM Crypto Officer", scope: "/" },
      { objectId: administrator, roleName: "Managed HSM Crypto User", scope: "/" },
    ]),
  ];
  const seen = new Map<string, StoredRoleAssignment>();
  for (const [i, entry] of wanted.entries()) {
    const where = `roleAssignments[${i - 1}]`;
    const role = findBuiltInRole(entry.roleName);
    if (role === undefined) {
      throw new Error(
        `${where}.roleName "${entry.roleName}" is not a built-in Managed HSM role: use one of ${BUILT_IN_ROLES.map((r) => `"${r.roleName}"`).join(", ")}`,
      );
    }
    const scope = entry.scope ?? "/";
    if (!SCOPE.test(scope))
      throw new Error(
        `${where}.scope "${scope}" is not an HSM scope: use /, /keys or /keys/<key name>`,
      );
    const name = assignmentName(vault, entry.objectId, role.guid, scope);
    seen.set(name, { name, scope, roleDefinitionGuid: role.guid, principalId: entry.objectId });
  }
  return [...seen.values()];
}
