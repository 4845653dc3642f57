/**
 * Errors of the offline deployment driver: one class with a stable `code` (STYLE.md rule 5).
 *
 * @module
 * @internal
 */

/** Every code a {@link DriverError} can carry. Codes are API: never renamed. */
export type DriverErrorCode =
  /** The program declares a resource or calls a function that only the Pulumi engine can run. */
  | "ERR_NEEDS_PULUMI_CLI"
  /** A resource's inputs failed the provider's Check. */
  | "ERR_CHECK_FAILED"
  /** Create, Update or Delete failed in the provider. */
  | "ERR_PROVIDER_OPERATION"
  /** The state file cannot be read or is not a state file of this driver. */
  | "ERR_STATE_FILE"
  /** The project directory has no usable `Pulumi.yaml` or program. */
  | "ERR_PROJECT"
  /** The program itself threw. */
  | "ERR_PROGRAM"
  /** A second deployment started in this process while one was running. */
  | "ERR_DEPLOYMENT_RUNNING";

/** An error of the offline deployment driver; the message names what failed and the fix. */
export class DriverError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: DriverErrorCode;

  /**
   * @param code - the stable code.
   * @param message - what happened and what to do.
   * @param options - `cause`, the original error.
   */
  constructor(code: DriverErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "DriverError";
    this.code = code;
  }
}

/** True when `value` is a {@link DriverError} (by name and code, not `instanceof` alone). */
export function isDriverError(value: unknown): value is DriverError {
  return (
    value instanceof Error &&
    value.name === "DriverError" &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
