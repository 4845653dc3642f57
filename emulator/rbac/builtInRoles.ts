/**
 * The nine built-in Managed HSM local RBAC roles with their documented ids and data actions
 * (contracts §4.2, `built-in-roles.md`), and how a role definition is shown on the wire.
 * Built-ins are code, not store records: they cannot be changed or deleted, and a custom role
 * may not reuse their names or ids.
 *
 * @module
 */
import type { RolePermission, StoredRoleDefinition } from "../store/hsmState.js";

/** Every data action starts with this. */
export const HSM_ACTIONS = "Microsoft.KeyVault/managedHsm";

/** How the service writes a role definition's id (`roleDefinitionId` in assignments). */
export const ROLE_DEFINITION_ID_PREFIX =
  "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/";

function actions(...names: string[]): string[] {
  return names.map((name) => `${HSM_ACTIONS}/${name}`);
}

const ROLE_READ = actions("roleDefinitions/read/action", "roleAssignments/read/action");
const ROLE_MANAGEMENT = actions(
  "roleAssignments/delete/action",
  "roleAssignments/read/action",
  "roleAssignments/write/action",
  "roleDefinitions/read/action",
  "roleDefinitions/write/action",
  "roleDefinitions/delete/action",
);

/** A built-in role. */
export interface BuiltInRole extends StoredRoleDefinition {
  readonly builtIn: true;
}

function role(
  roleName: string,
  guid: string,
  description: string,
  dataActions: readonly string[],
): BuiltInRole {
  return {
    guid,
    roleName,
    description,
    permissions: [{ dataActions, notDataActions: [] }],
    builtIn: true,
  };
}

/** The built-in roles, in the docs' order. */
export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  role(
    "Managed HSM Administrator",
    "a290e904-7015-4bba-90c8-60543313cdb4",
    "Grants permissions to perform all operations related to the security domain, full backup and restore, and role management. Not permitted to perform any key management operations.",
    [
      ...ROLE_MANAGEMENT,
      ...actions(
        "securitydomain/download/action",
        "securitydomain/download/read",
        "securitydomain/upload/action",
        "securitydomain/upload/read",
        "securitydomain/transferkey/read",
        "backup/start/action",
        "backup/status/action",
        "restore/start/action",
        "restore/status/action",
      ),
    ],
  ),
  role(
    "Managed HSM Crypto Officer",
    "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
    "Grants permissions to perform all role management, purge or recover deleted keys, and export keys. Not permitted to perform any other key management operations.",
    [
      ...ROLE_MANAGEMENT,
      ...actions(
        "keys/deletedKeys/read/action",
        "keys/deletedKeys/delete",
        "keys/deletedKeys/recover/action",
        "keys/export/action",
      ),
    ],
  ),
  role(
    "Managed HSM Crypto User",
    "21dbd100-6940-42c2-9190-5d6cb909625b",
    "Grants permissions to perform all key management operations except purge or recover deleted keys and export keys.",
    [
      ...actions(
        "keys/read/action",
        "keys/write/action",
        "keys/rotate/action",
        "keys/create",
        "keys/delete",
        "keys/import/action",
        "keys/release/action",
        "keys/backup/action",
        "keys/restore/action",
        "keys/encrypt/action",
        "keys/decrypt/action",
        "keys/wrap/action",
        "keys/unwrap/action",
        "keys/sign/action",
        "keys/verify/action",
        "rng/action",
      ),
      ...ROLE_READ,
    ],
  ),
  role(
    "Managed HSM Policy Administrator",
    "4bd23610-cdcf-4971-bdee-bdc562cc28e4",
    "Grants permission to create and delete role assignments.",
    ROLE_MANAGEMENT,
  ),
  role(
    "Managed HSM Crypto Auditor",
    "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
    "Grants read permissions to read (but not use) key attributes.",
    [...ROLE_READ, ...actions("keys/read/action", "keys/deletedKeys/read/action")],
  ),
  role(
    "Managed HSM Crypto Service Encryption User",
    "33413926-3206-4cdd-b39a-83574fe37a17",
    "Grants permissions to use a key for service encryption.",
    actions("keys/read/action", "keys/wrap/action", "keys/unwrap/action"),
  ),
  role(
    "Managed HSM Crypto Service Release User",
    "21dbd100-6940-42c2-9190-5d6cb909625c",
    "Grants permissions to release a key to a trusted execution environment.",
    actions("keys/release/action"),
  ),
  role(
    "Managed HSM Backup",
    "7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8",
    "Grants permissions to perform single-key or whole-HSM backup.",
    actions("backup/start/action", "backup/status/action", "keys/backup/action"),
  ),
  role(
    "Managed HSM Restore",
    "6efe6056-5259-49d2-8b3d-d3d73544b20b",
    "Grants permission to perform single-key or whole-HSM restore.",
    actions("restore/start/action", "restore/status/action", "keys/restore/action"),
  ),
];

/** The built-in role of this name (case-insensitive) or GUID, if any. */
export function findBuiltInRole(nameOrGuid: string): BuiltInRole | undefined {
  const wanted = nameOrGuid.trim().toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.guid === wanted || r.roleName.toLowerCase() === wanted);
}

/** A role definition as the service answers it. */
export function renderRoleDefinition(definition: StoredRoleDefinition & { builtIn?: boolean }) {
  return {
    id: `${ROLE_DEFINITION_ID_PREFIX}${definition.guid}`,
    name: definition.guid,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName: definition.roleName,
      description: definition.description,
      type: definition.builtIn === true ? "AKVBuiltInRole" : "CustomRole",
      permissions: definition.permissions.map((p: RolePermission) => ({
        actions: [],
        notActions: [],
        dataActions: [...p.dataActions],
        notDataActions: [...p.notDataActions],
      })),
      assignableScopes: ["/"],
    },
  };
}
