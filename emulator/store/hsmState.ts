/**
 * What a Managed HSM keeps besides keys: its local RBAC (role assignments and custom role
 * definitions, contracts §4.2) and its security domain download (§4.3). Kept in the same store
 * as keys, so a data directory keeps them across restarts; applying is total, like keys.
 *
 * @module
 */

/** A role assignment: who holds which role at which scope. */
export interface StoredRoleAssignment {
  /** The assignment's name (a GUID, as clients send it). */
  readonly name: string;
  /** `/`, `/keys` or `/keys/{key name}`. */
  readonly scope: string;
  /** The role definition's GUID, lower case. */
  readonly roleDefinitionGuid: string;
  readonly principalId: string;
  /**
   * When the assignment starts to count for authorization, in milliseconds since the epoch: a
   * role assignment on the service takes a while to take effect after the PUT answers. Absent
   * (seeded assignments, stores written before this field): at once.
   */
  readonly effectiveAt?: number;
}

/** One permission block of a role definition. */
export interface RolePermission {
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

/** A custom role definition (built-ins are code, in `rbac/builtInRoles.ts`). */
export interface StoredRoleDefinition {
  /** GUID, lower case. */
  readonly guid: string;
  readonly roleName: string;
  readonly description: string;
  readonly permissions: readonly RolePermission[];
}

/** A security domain download: the HSM is activated from `readyAt` on. */
export interface StoredSecurityDomainDownload {
  /** Unix milliseconds. */
  readonly startedAt: number;
  /** Unix milliseconds. */
  readonly readyAt: number;
  readonly required: number;
  readonly certificateCount: number;
}

/** One HSM's state as readers see it. */
export interface HsmView {
  /** True once the start-up assignments were written (they are written once, ever). */
  readonly rbacSeeded: boolean;
  readonly assignments: readonly StoredRoleAssignment[];
  readonly definitions: readonly StoredRoleDefinition[];
  readonly download?: StoredSecurityDomainDownload;
}

/** Changes to an HSM's state. */
export type HsmMutation =
  | {
      readonly op: "seedRoleAssignments";
      readonly vault: string;
      readonly assignments: readonly StoredRoleAssignment[];
    }
  | {
      readonly op: "putRoleAssignment";
      readonly vault: string;
      readonly assignment: StoredRoleAssignment;
    }
  | { readonly op: "deleteRoleAssignment"; readonly vault: string; readonly name: string }
  | {
      readonly op: "putRoleDefinition";
      readonly vault: string;
      readonly definition: StoredRoleDefinition;
    }
  | { readonly op: "deleteRoleDefinition"; readonly vault: string; readonly guid: string }
  | {
      readonly op: "startSecurityDomainDownload";
      readonly vault: string;
      readonly download: StoredSecurityDomainDownload;
    };

interface HsmRecord {
  rbacSeeded: boolean;
  /** By lower-cased name. */
  readonly assignments: Map<string, StoredRoleAssignment>;
  readonly definitions: Map<string, StoredRoleDefinition>;
  download?: StoredSecurityDomainDownload;
}

/** HSM records by vault name. */
export type HsmState = Map<string, HsmRecord>;

export function createHsmState(): HsmState {
  return new Map();
}

function recordOf(state: HsmState, vault: string): HsmRecord {
  let record = state.get(vault);
  if (record === undefined) {
    record = { rbacSeeded: false, assignments: new Map(), definitions: new Map() };
    state.set(vault, record);
  }
  return record;
}

/** Applies one mutation. */
export function applyHsmMutation(state: HsmState, mutation: HsmMutation): void {
  const record = recordOf(state, mutation.vault);
  switch (mutation.op) {
    case "seedRoleAssignments":
      // Once ever: a restart with a data directory keeps what was granted and revoked since.
      if (record.rbacSeeded) return;
      record.rbacSeeded = true;
      for (const a of mutation.assignments) record.assignments.set(a.name.toLowerCase(), a);
      return;
    case "putRoleAssignment":
      record.assignments.set(mutation.assignment.name.toLowerCase(), mutation.assignment);
      return;
    case "deleteRoleAssignment":
      record.assignments.delete(mutation.name.toLowerCase());
      return;
    case "putRoleDefinition":
      record.definitions.set(mutation.definition.guid, mutation.definition);
      return;
    case "deleteRoleDefinition":
      record.definitions.delete(mutation.guid);
      return;
    case "startSecurityDomainDownload":
      // The first download activates the HSM; a second never moves its time.
      record.download ??= mutation.download;
      return;
  }
}

/** One HSM's state. */
export function getHsm(state: HsmState, vault: string): HsmView {
  const record = state.get(vault);
  if (record === undefined) return { rbacSeeded: false, assignments: [], definitions: [] };
  return {
    rbacSeeded: record.rbacSeeded,
    assignments: [...record.assignments.values()],
    definitions: [...record.definitions.values()],
    ...(record.download === undefined ? {} : { download: record.download }),
  };
}
