/**
 * The `hsmUri` input the Managed HSM data-plane resources share: a Managed HSM's URL, or another
 * host (an emulator); never a Key Vault's.
 *
 * @module
 * @internal
 */
import { isByokError, parseVaultUrl } from "../byok/index.js";
import { isUnknown } from "./unknowns.js";
import type { Failures } from "./validateCommon.js";

/**
 * Checks a Managed HSM URL input.
 *
 * @param value - the input; may be the unknown sentinel.
 * @param failures - where a failure goes.
 * @param why - why a Key Vault URL will not do, for the message.
 * @param property - the input's name.
 * @returns true when the value is known and valid.
 */
export function checkHsmUri(
  value: unknown,
  failures: Failures,
  why: string,
  property = "hsmUri",
): boolean {
  if (isUnknown(value)) return false;
  if (typeof value !== "string" || value === "") {
    failures.add(
      property,
      `${property} is required: give the Managed HSM's URL, such as https://<name>.managedhsm.azure.net`,
    );
    return false;
  }
  try {
    if (parseVaultUrl(value, property).vaultKind === "vault") {
      failures.add(property, `${property} ${value} is a Key Vault: ${why}`);
      return false;
    }
    return true;
  } catch (error) {
    if (!isByokError(error)) throw error;
    failures.add(property, error.message);
    return false;
  }
}
