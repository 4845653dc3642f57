/**
 * The offline deployment driver: runs a Pulumi project's dynamic resources through the real
 * plugin host with a JSON state file, for the demo and end-to-end tests where the Pulumi CLI
 * cannot run. A harness, not an engine for users (see `deploy.ts` for what it leaves out).
 *
 * @module
 * @internal
 */
export { deploy, readProject } from "./deploy.js";
export type { DeployOptions, DeploymentResult } from "./deploy.js";
export { renderDeployment, countSteps, hasNoChanges, formatOutputValue } from "./render.js";
export type { Step, StepOp } from "./resourceSteps.js";
export { unwrapSecrets, UNKNOWN } from "./engineValues.js";
export { readState } from "./stateFile.js";
export type { DeploymentState, ResourceEntry } from "./stateFile.js";
export { DriverError, isDriverError } from "./errors.js";
export type { DriverErrorCode } from "./errors.js";
export { startPluginHost, PACKAGE_ROOT } from "./pluginHostClient.js";
export type { PluginHost, PropertyMap } from "./pluginHostClient.js";
