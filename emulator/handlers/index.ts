/**
 * The operation registry: one handler file per operation (STYLE.md rule 2), looked up by the
 * name a route gives.
 *
 * @module
 */
import type { AnyOperation } from "../operation.js";
import type { OperationName } from "../routes.js";
import { backupKey } from "./backupKey.js";
import { createKey } from "./createKey.js";
import { decrypt } from "./decrypt.js";
import { deleteKey } from "./deleteKey.js";
import { encrypt } from "./encrypt.js";
import { getDeletedKey } from "./getDeletedKey.js";
import { getKey } from "./getKey.js";
import { getRandomBytes } from "./getRandomBytes.js";
import { importKey } from "./importKey.js";
import { listDeletedKeys } from "./listDeletedKeys.js";
import { listKeys } from "./listKeys.js";
import { listKeyVersions } from "./listKeyVersions.js";
import { purgeDeletedKey } from "./purgeDeletedKey.js";
import { recoverDeletedKey } from "./recoverDeletedKey.js";
import { releaseKey } from "./releaseKey.js";
import { restoreKey } from "./restoreKey.js";
import { rotateKey } from "./rotateKey.js";
import { sign } from "./sign.js";
import { unwrapKey } from "./unwrapKey.js";
import { updateKey } from "./updateKey.js";
import { verify } from "./verify.js";
import { wrapKey } from "./wrapKey.js";
import { listRoleDefinitions } from "./listRoleDefinitions.js";
import { getRoleDefinition } from "./getRoleDefinition.js";
import { putRoleDefinition } from "./putRoleDefinition.js";
import { deleteRoleDefinition } from "./deleteRoleDefinition.js";
import { listRoleAssignments } from "./listRoleAssignments.js";
import { getRoleAssignment } from "./getRoleAssignment.js";
import { putRoleAssignment } from "./putRoleAssignment.js";
import { deleteRoleAssignment } from "./deleteRoleAssignment.js";
import { downloadSecurityDomain } from "./downloadSecurityDomain.js";
import { getSecurityDomainDownloadStatus } from "./getSecurityDomainDownloadStatus.js";

export const OPERATIONS: Readonly<Record<OperationName, AnyOperation>> = {
  createKey,
  importKey,
  getKey,
  updateKey,
  deleteKey,
  listKeys,
  listKeyVersions,
  backupKey,
  restoreKey,
  rotateKey,
  sign,
  verify,
  encrypt,
  decrypt,
  wrapKey,
  unwrapKey,
  releaseKey,
  listDeletedKeys,
  getDeletedKey,
  purgeDeletedKey,
  recoverDeletedKey,
  getRandomBytes,
  listRoleDefinitions,
  getRoleDefinition,
  putRoleDefinition,
  deleteRoleDefinition,
  listRoleAssignments,
  getRoleAssignment,
  putRoleAssignment,
  deleteRoleAssignment,
  downloadSecurityDomain,
  getSecurityDomainDownloadStatus,
};
