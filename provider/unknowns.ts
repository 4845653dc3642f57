/**
 * The engine's "not yet known" sentinel (reference §1.3, §1.6): during preview, inputs that
 * depend on resources not yet created arrive as this literal string. `check` and `diff` validate
 * what is known and never fail on it.
 *
 * The value is copied here rather than read from `@pulumi/pulumi` so the pure modules load
 * nothing heavy; a test asserts it equals `pulumi.runtime.unknownValue`.
 *
 * @module
 * @internal
 */

/** `pulumi.runtime.unknownValue`. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` is the unknown sentinel itself. */
export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN_VALUE;
}

/** True when `value` is, or contains anywhere inside it, the unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_VALUE) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) {
    return Object.values(value).some(containsUnknown);
  }
  return false;
}
