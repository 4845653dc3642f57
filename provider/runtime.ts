/**
 * What the serialized providers run. The provider objects stored in state (`__provider`) are
 * thin shells (provider/shells/) that load their type's implementation by package name,
 * `require("pulumi-azure-byok/provider/runtime/<type>")`, so it is loaded from the program's
 * `node_modules` in the plugin host and an upgraded package fixes old stacks too
 * (pulumi/pulumi#6238). This module gathers all four: the shells that earlier versions stored
 * require it, `pulumi-azure-byok/provider/runtime`, so it stays.
 *
 * `check` and `diff` are pure (no network, no Azure SDK); create, read, update and delete load
 * the Azure client layer lazily on first use.
 *
 * @module
 * @internal
 */
export { importKekImplementation } from "./importKekRuntime.js";
export { byokImportedKeyImplementation } from "./byokImportedKeyRuntime.js";
export { hsmActivationImplementation } from "./hsmActivationRuntime.js";
export { hsmRoleAssignmentImplementation } from "./hsmRoleAssignmentRuntime.js";
export type { CheckResult, DiffResult } from "./keyRuntimeCommon.js";
