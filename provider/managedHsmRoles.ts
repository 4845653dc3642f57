/**
 * Managed HSM local RBAC in our words: the built-in roles (contracts §4.2), the scopes an
 * assignment can have, and the deterministic name of an assignment. Pure: no network.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";

/**
 * The built-in Managed HSM roles and their role definition GUIDs (contracts §4.2), by the name
 * `az keyvault role assignment create --role` takes. What each allows is the service's data
 * actions, summarized.
 */
export const MANAGED_HSM_BUILT_IN_ROLES = {
  /** Security domain download and upload, full backup and restore, role assignments; no key operations. */
  "Managed HSM Administrator": "a290e904-7015-4bba-90c8-60543313cdb4",
  /** Role assignments, and recover, purge and export of keys; cannot create or import keys. */
  "Managed HSM Crypto Officer": "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
  /** Create, import (BYOK), read, update, delete and use keys: what `ImportKek` and `ByokImportedKey` need. */
  "Managed HSM Crypto User": "21dbd100-6940-42c2-9190-5d6cb909625b",
  /** Role definitions and assignments only. */
  "Managed HSM Policy Administrator": "4bd23610-cdcf-4971-bdee-bdc562cc28e4",
  /** Read keys, deleted keys and role assignments; no changes. */
  "Managed HSM Crypto Auditor": "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
  /** Read, wrap and unwrap with keys: what a service encrypting data at rest needs. */
  "Managed HSM Crypto Service Encryption User": "33413926-3206-4cdd-b39a-83574fe37a17",
  /** Release exportable keys under their release policy. */
  "Managed HSM Crypto Service Release User": "21dbd100-6940-42c2-9190-5d6cb909625c",
  /** Start full backups and back up single keys. */
  "Managed HSM Backup": "7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8",
  /** Start full restores and restore single keys. */
  "Managed HSM Restore": "6efe6056-5259-49d2-8b3d-d3d73544b20b",
} as const;

/** A built-in role's name, as `az keyvault role assignment create --role` takes it. */
export type ManagedHsmBuiltInRole = keyof typeof MANAGED_HSM_BUILT_IN_ROLES;

/** How the service writes a role definition's id (`roleDefinitionId` in assignments). */
export const ROLE_DEFINITION_ID_PREFIX =
  "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a GUID such as an object id or a role definition name. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A role resolved to its definition. */
export interface ResolvedHsmRole {
  /** The role definition's GUID, lower case. */
  readonly guid: string;
  /** `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
  readonly roleDefinitionId: string;
  /** The built-in role's name, when it is one. */
  readonly roleName?: ManagedHsmBuiltInRole;
}

/**
 * Resolves a role given as a built-in name (case-insensitive), a role definition GUID, or a role
 * definition id ending in `/roleDefinitions/<guid>`.
 *
 * @returns the role, or `undefined` when `role` is none of those.
 */
export function resolveHsmRole(role: string): ResolvedHsmRole | undefined {
  const byName = Object.entries(MANAGED_HSM_BUILT_IN_ROLES).find(
    ([name]) => name.toLowerCase() === role.trim().toLowerCase(),
  );
  const guid = (
    byName?.[1] ?? /(?:^|\/roleDefinitions\/)([0-9a-fA-F-]{36})$/.exec(role.trim())?.[1]
  )?.toLowerCase();
  if (guid === undefined || !isGuid(guid)) return undefined;
  const roleName = (Object.keys(MANAGED_HSM_BUILT_IN_ROLES) as ManagedHsmBuiltInRole[]).find(
    (name) => MANAGED_HSM_BUILT_IN_ROLES[name] === guid,
  );
  return {
    guid,
    roleDefinitionId: `${ROLE_DEFINITION_ID_PREFIX}${guid}`,
    ...(roleName === undefined ? {} : { roleName }),
  };
}

/**
 * True for a scope a Managed HSM role assignment can have: `/` (the whole HSM), `/keys` (every
 * key) or `/keys/<key name>` (contracts §4.2).
 */
export function isValidHsmScope(scope: string): boolean {
  return scope === "/" || scope === "/keys" || /^\/keys\/[0-9a-zA-Z-]{1,127}$/.test(scope);
}

/** Our UUID namespace for assignment names (RFC 9562 §5.5 name-based, SHA-1). */
const ASSIGNMENT_NAMESPACE = Buffer.from("5b2f0f0c8a7e4e0c9a53a1e3d0b6c2f4", "hex");

/**
 * The name (a GUID) of the assignment of `roleGuid` to `principalId` at `scope`: a UUID v5 of
 * the three, so running the same program again, or after its state was lost, PUTs the same
 * assignment instead of adding a second one. Key names and GUIDs compare case-insensitively.
 */
export function roleAssignmentName(scope: string, roleGuid: string, principalId: string): string {
  const name = `${scope.toLowerCase()}|${roleGuid.toLowerCase()}|${principalId.toLowerCase()}`;
  const hash = createHash("sha1").update(ASSIGNMENT_NAMESPACE).update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
