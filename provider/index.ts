/**
 * pulumi-azure-byok: bring-your-own-key for Azure Key Vault Managed HSM and Key Vault Premium,
 * as Pulumi resources.
 *
 * @module
 */
export { ImportKek } from "./importKek.js";
export type { ImportKekArgs } from "./importKek.js";
export { ByokImportedKey } from "./byokImportedKey.js";
export type { ByokImportedKeyArgs, ReleasePolicyInput } from "./byokImportedKey.js";
export type { ByokHeaderOutput, KeyAttributesOutput, ReleasePolicy } from "./types.js";
export { ProviderError, isProviderError } from "./errors.js";
export type { ProviderErrorCode } from "./errors.js";
export { ByokManagedHsm } from "./byokManagedHsm.js";
export type {
  ByokManagedHsmArgs,
  ByokManagedHsmKekArgs,
  ByokManagedHsmNetworkAcls,
  ByokManagedHsmRoleAssignmentArgs,
  ByokManagedHsmSecurityDomainArgs,
  ManagedHsmRole,
  ManagedHsmSkuName,
} from "./byokManagedHsmArgs.js";
export { ManagedHsmActivation, MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS } from "./hsmActivation.js";
export type { ManagedHsmActivationArgs } from "./hsmActivation.js";
export { ManagedHsmRoleAssignment } from "./hsmRoleAssignment.js";
export type { ManagedHsmRoleAssignmentArgs } from "./hsmRoleAssignment.js";
export { MANAGED_HSM_BUILT_IN_ROLES } from "./managedHsmRoles.js";
export type { ManagedHsmBuiltInRole } from "./managedHsmRoles.js";
