/**
 * pulumi-azure-byok: bring-your-own-key for Azure Key Vault Managed HSM and Key Vault Premium,
 * as Pulumi resources.
 *
 * @module
 */
export { ImportKek } from "./importKek.js";
export type { ImportKekArgs } from "./importKek.js";
export { ByokImportedKey } from "./byokImportedKey.js";
export type { ByokImportedKeyArgs } from "./byokImportedKey.js";
export type { KeyAttributesOutput, ReleasePolicyInput } from "./types.js";
export { ProviderError, isProviderError } from "./errors.js";
export type { ProviderErrorCode } from "./errors.js";
