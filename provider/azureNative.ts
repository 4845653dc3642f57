/**
 * `@pulumi/azure-native`, loaded only when `ByokManagedHsm` creates an HSM. It is an optional peer
 * dependency: a program that uses only `ImportKek` and `ByokImportedKey`, or `ByokManagedHsm`
 * with `existingHsmUri` and `deployerObjectId`, never needs it installed. Each module is loaded by
 * its own path (`@pulumi/azure-native/keyvault`), not through the package root, which would
 * register every Azure service's modules.
 *
 * @module
 * @internal
 */
import type * as Authorization from "@pulumi/azure-native/authorization/index.js";
import type * as KeyVault from "@pulumi/azure-native/keyvault/index.js";
import type * as Resources from "@pulumi/azure-native/resources/index.js";
import { ProviderError } from "./errors.js";

/** The azure-native modules the component uses. */
export interface AzureNativeModules {
  readonly authorization: typeof Authorization;
  readonly keyvault: typeof KeyVault;
  readonly resources: typeof Resources;
}

/**
 * Loads the modules.
 *
 * @param why - what needs them, for the message when the package is missing.
 * @throws ProviderError `ERR_AZURE_NATIVE_MISSING` when `@pulumi/azure-native` is not installed.
 */
export function loadAzureNative(why: string): AzureNativeModules {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- an optional peer, loaded on use */
    return {
      authorization: require("@pulumi/azure-native/authorization") as typeof Authorization,
      keyvault: require("@pulumi/azure-native/keyvault") as typeof KeyVault,
      resources: require("@pulumi/azure-native/resources") as typeof Resources,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new ProviderError(
      "ERR_AZURE_NATIVE_MISSING",
      `ByokManagedHsm ${why} with @pulumi/azure-native, which is not installed: npm install @pulumi/azure-native@^3 in the program, or give existingHsmUri and deployerObjectId to use an HSM created elsewhere`,
      { cause: error },
    );
  }
}
