/**
 * A Managed HSM / Key Vault Premium keys data-plane emulator over HTTPS that stock Azure clients
 * use unchanged: BYOK import with a real `key_hsm` unwrap, challenge auth with its own token
 * endpoints, soft delete, and a durable store. Entered only through this file.
 *
 * @module
 */
export { startEmulator, DEFAULT_IDENTITY, DEFAULT_TENANT_ID } from "./startEmulator.js";
export type {
  EmulatorOptions,
  EmulatorVaultOptions,
  EmulatorIdentity,
  RunningEmulator,
  EmulatorRoleAssignment,
} from "./startEmulator.js";
export type { SeedRoleAssignment } from "./rbac/seedAssignments.js";
export { BUILT_IN_ROLES, findBuiltInRole, ROLE_DEFINITION_ID_PREFIX } from "./rbac/builtInRoles.js";
export type { BuiltInRole } from "./rbac/builtInRoles.js";
export { combineShares } from "./securityDomain/shamir.js";
export type { SecretShare } from "./securityDomain/shamir.js";
export { SECURITY_DOMAIN_FORMAT } from "./securityDomain/securityDomainBlob.js";
export type { SecurityDomainDocument } from "./securityDomain/securityDomainBlob.js";
export { loadOrCreateCa, CA_CERT_FILE } from "./certificates.js";
export { allowAnyAuthenticatedIdentity } from "./authorize.js";
export type { RbacDecision, AuthorizationQuestion } from "./authorize.js";
export { FAULT_KINDS } from "./faults.js";
export type { FaultCounters, FaultInjector, FaultKind, FaultSettings } from "./faults.js";
