/**
 * What `ManagedHsmRoleAssignment`'s serialized provider runs (re-exported by `runtime.ts`).
 *
 * The assignment's name is a UUID v5 of scope, role and principal, so create is an idempotent
 * PUT that converges however often it runs. Any change of HSM, scope, role or principal is
 * another assignment (a replace); refresh drops an assignment deleted outside Pulumi, so the next
 * `up` creates it again; delete tolerates one already gone.
 *
 * @module
 * @internal
 */
import { planHsmResourceChange } from "./hsmResourceDiff.js";
import type { HsmResourceDiff } from "./hsmResourceDiff.js";
import type { HsmRoleAssignmentInputs, HsmRoleAssignmentOutputs } from "./hsmTypes.js";
import { resolveHsmRole, roleAssignmentName } from "./managedHsmRoles.js";
import { validateHsmRoleAssignmentInputs } from "./validateHsmRoleAssignment.js";
import type { HsmRoleAssignmentCheck } from "./validateHsmRoleAssignment.js";
import type * as AzureModule from "./azure/index.js";

type Props = Record<string, unknown>;

async function azure(): Promise<typeof AzureModule> {
  return import("./azure/index.js");
}

/** Every identifying input replaces; the role's spelling alone changes nothing in the service. */
const ROLE_ASSIGNMENT_CHANGES = {
  hsmUri: "replace",
  scope: "replace",
  roleDefinitionId: "replace",
  principalId: "replace",
  role: "update",
} as const;

function normalize(property: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (property === "role") return value;
  // key names, GUIDs and host names compare case-insensitively in the service, and a role
  // definition is its GUID however the id around it is written
  const lower = value.toLowerCase().replace(/\/+$/, "");
  return property === "roleDefinitionId" ? (/[0-9a-f-]{36}$/.exec(lower)?.[0] ?? lower) : lower;
}

function outputsOf(news: HsmRoleAssignmentInputs, assignmentId: string): HsmRoleAssignmentOutputs {
  const resolved = resolveHsmRole(news.role);
  const roleDefinitionId = news.roleDefinitionId ?? resolved?.roleDefinitionId ?? news.role;
  return {
    hsmUri: news.hsmUri,
    scope: news.scope,
    role: news.role,
    principalId: news.principalId,
    roleDefinitionId,
    assignmentName:
      news.assignmentName ??
      roleAssignmentName(news.scope, resolved?.guid ?? news.role, news.principalId),
    assignmentId,
    ...(resolved?.roleName === undefined ? {} : { roleName: resolved.roleName }),
  };
}

function resourceId(hsmUri: string, assignmentId: string): string {
  return `${hsmUri.replace(/\/+$/, "")}${assignmentId.startsWith("/") ? "" : "/"}${assignmentId}`;
}

/** The implementation behind `ManagedHsmRoleAssignment`'s serialized provider. */
export const hsmRoleAssignmentImplementation = {
  check(_olds: Props, news: Props): HsmRoleAssignmentCheck {
    return validateHsmRoleAssignmentInputs(news);
  },

  diff(_id: string, olds: Props, news: Props): HsmResourceDiff {
    return planHsmResourceChange(olds, news, ROLE_ASSIGNMENT_CHANGES, normalize);
  },

  async create(inputs: Props): Promise<{ id: string; outs: HsmRoleAssignmentOutputs }> {
    const news = inputs as unknown as HsmRoleAssignmentInputs;
    const planned = outputsOf(news, "");
    const { putRoleAssignment } = await azure();
    const facts = await putRoleAssignment(news.hsmUri, {
      scope: news.scope,
      name: planned.assignmentName,
      roleDefinitionId: planned.roleDefinitionId,
      principalId: news.principalId,
    });
    return { id: resourceId(news.hsmUri, facts.id), outs: { ...planned, assignmentId: facts.id } };
  },

  async read(id: string, props: Props = {}): Promise<{ id?: string; props?: Props }> {
    const stored = props as unknown as HsmRoleAssignmentOutputs;
    const { getRoleAssignment } = await azure();
    const facts = await getRoleAssignment(stored.hsmUri, {
      scope: stored.scope,
      name: stored.assignmentName,
    });
    // gone: a blank id tells the engine to drop it from state, so the next up recreates it
    if (facts === undefined) return {};
    return {
      id,
      props: {
        ...props,
        assignmentId: facts.id,
        roleDefinitionId: facts.roleDefinitionId,
        principalId: facts.principalId,
      },
    };
  },

  update(_id: string, olds: Props, news: Props): Promise<{ outs: HsmRoleAssignmentOutputs }> {
    // Only the role's spelling (same definition) or the provider code changed: nothing to send.
    const stored = olds as unknown as HsmRoleAssignmentOutputs;
    return Promise.resolve({ outs: { ...stored, role: String(news.role) } });
  },

  async delete(_id: string, props: Props): Promise<void> {
    const stored = props as unknown as HsmRoleAssignmentOutputs;
    const { deleteRoleAssignment } = await azure();
    await deleteRoleAssignment(stored.hsmUri, {
      scope: stored.scope,
      name: stored.assignmentName,
    });
  },
};
