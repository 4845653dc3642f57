/**
 * `check` of `ImportKek`: every input validated offline, every failure reported at once.
 *
 * @module
 * @internal
 */
import { RSA_KEY_SIZES, isRsaKeySize } from "../byok/index.js";
import {
  Failures,
  checkDates,
  checkKeyName,
  checkOptionalBoolean,
  checkRoleWaitSeconds,
  checkTags,
  checkVaultUrl,
  isAbsent,
} from "./validateCommon.js";
import type { CheckFailure } from "./validateCommon.js";
import { isUnknown } from "./unknowns.js";

/** The KEK size used when `size` is not given (the size Microsoft's BYOK guides use). */
export const DEFAULT_KEK_SIZE = 4096;

/** The result of {@link validateImportKekInputs}. */
export interface ImportKekCheck {
  /** The inputs to store: the news with `size` defaulted. */
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
}

/**
 * Validates `ImportKek` inputs without any network call.
 *
 * @param news - the inputs from the program; any value may be the unknown sentinel.
 * @returns the inputs to store and every failure, each naming the property and the fix.
 */
export function validateImportKekInputs(news: Record<string, unknown>): ImportKekCheck {
  const failures = new Failures();
  // Both services hold RSA-HSM KEKs, so any valid vault URL will do.
  checkVaultUrl(news.vaultUrl, failures);
  checkKeyName(news.name, failures);
  const size = news.size;
  if (!isAbsent(size) && !isUnknown(size) && !isRsaKeySize(size)) {
    failures.add(
      "size",
      `size is ${JSON.stringify(size)}: a KEK is RSA-HSM of ${RSA_KEY_SIZES.join(", ")} bits; pick one of those`,
    );
  }
  checkOptionalBoolean(news.enabled, "enabled", failures);
  checkOptionalBoolean(news.purgeOnDelete, "purgeOnDelete", failures);
  checkDates(news, failures);
  checkTags(news.tags, failures);
  checkRoleWaitSeconds(news.roleWaitSeconds, failures);
  const inputs = { ...news, size: isAbsent(size) ? DEFAULT_KEK_SIZE : size };
  return { inputs, failures: failures.list };
}
