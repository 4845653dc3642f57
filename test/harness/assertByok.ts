/**
 * Error assertions for `byok/` and the CLI's coded errors: the code and the message, as STYLE.md
 * rule 16 asks, in one call.
 *
 * @module
 */
import type { ExecutionContext } from "ava";
import { isByokError } from "../../byok/index.js";
import type { ByokError, ByokErrorCode } from "../../byok/index.js";

/** Asserts that `fn` throws a ByokError with `code` and a message matching `message`. */
export function throwsByok(
  t: ExecutionContext,
  fn: () => unknown,
  code: ByokErrorCode,
  message?: RegExp,
): ByokError {
  const error = t.throws(fn);
  if (!isByokError(error)) {
    t.fail(`expected a ByokError ${code}, got ${String(error)}`);
    throw error;
  }
  t.is(error.code, code, error.message);
  if (message !== undefined) t.regex(error.message, message);
  return error;
}
