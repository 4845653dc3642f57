/**
 * The thin Azure client layer: the only place `@azure/*` is imported (STYLE.md rule 1). The
 * provider runtime loads this module lazily, inside create, read, update and delete, so `check`
 * and `diff` never load the Azure SDK.
 *
 * @module
 * @internal
 */
export {
  createKek,
  importByokKey,
  listKeyVersions,
  readKey,
  updateKeyVersion,
  deleteKey,
} from "./operations.js";
export type {
  KeyAttributeOptions,
  CreateKekOptions,
  ImportByokKeyOptions,
  UpdateKeyVersionOptions,
} from "./operations.js";
export { mapAzureError } from "./errorMapping.js";
export type { ErrorContext, KeyOperationName } from "./errorMapping.js";
export { publicKeyPemOf, toKeyFacts } from "./keyBundle.js";
export { getKeyClient, RETRY_OPTIONS } from "./keyClients.js";
export { lastTokenIdentity } from "./credential.js";
export type { TokenIdentity } from "./credential.js";
export {
  readSecurityDomainStatus,
  startSecurityDomainDownload,
  waitForSecurityDomainDownload,
} from "./securityDomain.js";
export type { SecurityDomainStatus } from "./securityDomain.js";
export { putRoleAssignment, getRoleAssignment, deleteRoleAssignment } from "./roleAssignments.js";
export type { RoleAssignmentFacts } from "./roleAssignments.js";
