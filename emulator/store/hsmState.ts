/**
 * What a Managed HSM keeps besides keys: its local RBAC (role assignments and custom role
 * definitions, contracts §4.2) and its security domain download (§4.3). Kept in the same store
 * as keys, so a data directory keeps them across restarts; a mutation
 * that does not fit is refused, as for keys (`keyState.ts`).
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

/**
 * Applies one mutation, or answers why it does not fit (and changes nothing): an assignment
 * name that is taken, a deletion of what is not there, a second security domain download.
 * Replaying a journal ignores the answer; a commit refuses the mutation (see `keyState.ts`).
 */
export function applyHsmMutation(state: HsmState, mutation: HsmMutation): string | undefined {
  const record = recordOf(state, mutation.vault);
  switch (mutation.op) {
    case "seedRoleAssignments":
      // Once ever: a restart with a data directory keeps what was granted and revoked since.
      if (record.rbacSeeded) return undefined;
      record.rbacSeeded = true;
      for (const a of mutation.assignments) record.assignments.set(a.name.toLowerCase(), a);
      return undefined;
    case "putRoleAssignment": {
      const name = mutation.assignment.name.toLowerCase();
      if (record.assignments.has(name)) return `role assignment ${name} exists already`;
      record.assignments.set(name, mutation.assignment);
      return undefined;
    }
    case "deleteRoleAssignment":
      if (!record.assignments.delete(mutation.name.toLowerCase()))
        return `role assignment ${mutation.name} does not exist`;
      return undefined;
    case "putRoleDefinition":
      record.definitions.set(mutation.definition.guid, mutation.definition);
      return undefined;
    case "deleteRoleDefinition":
      if (!record.definitions.delete(mutation.guid))
        return `role definition ${mutation.guid} does not exist`;
      return undefined;
    case "startSecurityDomainDownload":
      // The first download activates the HSM; a second never moves its time.
      if (record.download !== undefined)
        return `the security domain of ${mutation.vault} was downloaded already`;
      record.download = mutation.download;
      return undefined;
  }
}

/** A copy whose records can change without changing `state`'s. */
export function cloneHsmState(state: HsmState): HsmState {
  return new Map([...state].map(([vault, record]) => [vault, cloneRecord(record)]));
}

function cloneRecord(record: HsmRecord): HsmRecord {
  return {
    rbacSeeded: record.rbacSeeded,
    assignments: new Map(record.assignments),
    definitions: new Map(record.definitions),
    ...(record.download === undefined ? {} : { download: record.download }),
  };
}

/** Takes a copy of one HSM's record; the function returned puts it back. */
export function snapshotHsm(state: HsmState, vault: string): () => void {
  const before = state.get(vault);
  const copy = before === undefined ? undefined : cloneRecord(before);
  return () => {
    if (copy === undefined) state.delete(vault);
    else state.set(vault, copy);
  };
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
