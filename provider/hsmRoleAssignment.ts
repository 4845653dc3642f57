/**
 * `ManagedHsmRoleAssignment`: one Managed HSM local RBAC role assignment.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";
import type { ManagedHsmBuiltInRole } from "./managedHsmRoles.js";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's own exports object: the serializer stores it by name (installLayout.ts)
import hsmRoleAssignmentProvider = require("./shells/hsmRoleAssignment.js");

/** The arguments of {@link ManagedHsmRoleAssignment}. */
export interface ManagedHsmRoleAssignmentArgs {
  /** The Managed HSM's URL. Changing it replaces the assignment. */
  readonly hsmUri: pulumi.Input<string>;
  /**
   * Where the role applies: `"/"` (the whole HSM), `"/keys"` (every key) or `"/keys/<key name>"`.
   * Changing it replaces the assignment.
   */
  readonly scope: pulumi.Input<string>;
  /**
   * The role: a built-in role's name (`"Managed HSM Crypto User"`, case-insensitive), a role
   * definition GUID, or a role definition id ending in `/roleDefinitions/<guid>`. Changing it to
   * another role replaces the assignment; another spelling of the same role changes nothing.
   */
  readonly role: pulumi.Input<ManagedHsmBuiltInRole | (string & Record<never, never>)>;
  /**
   * The object id of the user, group, service principal or managed identity. Changing it
   * replaces the assignment.
   */
  readonly principalId: pulumi.Input<string>;
}

/**
 * Grants a role in a Managed HSM's local RBAC over the data plane
 * (`PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`, contracts §4.2).
 * Local RBAC is not Azure RBAC, so `azure-native`'s `authorization.RoleAssignment` cannot do it.
 *
 * The assignment's name is a UUID v5 of scope, role and principal: running the program again,
 * even after its state was lost, converges on the same assignment. Refresh notices an
 * assignment deleted outside Pulumi (the next `up` creates it again); delete removes it, and one
 * already gone is fine.
 *
 * The HSM must be activated (depend on its `ManagedHsmActivation`), and the deploying identity
 * needs the "Managed HSM Administrator" role; a refusal says how to grant it.
 *
 * @example
 * ```ts
 * const appCanUseKeys = new ManagedHsmRoleAssignment("app-crypto-user", {
 *   hsmUri,
 *   scope: "/keys",
 *   role: "Managed HSM Crypto User",
 *   principalId: app.principalId,
 * }, { dependsOn: [activation] });
 * ```
 */
export class ManagedHsmRoleAssignment extends pulumi.dynamic.Resource {
  /** The HSM's URL. */
  declare public readonly hsmUri: pulumi.Output<string>;
  /** The scope. */
  declare public readonly scope: pulumi.Output<string>;
  /** The role as given. */
  declare public readonly role: pulumi.Output<string>;
  /** The built-in role's name, when it is one. */
  declare public readonly roleName: pulumi.Output<string | undefined>;
  /** The full role definition id. */
  declare public readonly roleDefinitionId: pulumi.Output<string>;
  /** The principal's object id, lower case. */
  declare public readonly principalId: pulumi.Output<string>;
  /** The assignment's name: a GUID derived from scope, role and principal. */
  declare public readonly assignmentName: pulumi.Output<string>;
  /** The service's id of the assignment. */
  declare public readonly assignmentId: pulumi.Output<string>;

  /**
   * @param name - the Pulumi resource name.
   * @param args - the HSM, scope, role and principal.
   * @param opts - Pulumi resource options.
   */
  constructor(
    name: string,
    args: ManagedHsmRoleAssignmentArgs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      hsmRoleAssignmentProvider,
      name,
      {
        ...args,
        roleName: undefined,
        roleDefinitionId: undefined,
        assignmentName: undefined,
        assignmentId: undefined,
      },
      opts,
      "azure-byok",
      "ManagedHsmRoleAssignment",
    );
  }
}
