/**
 * Closing the door after the wrap: a generated target key is made `CKA_EXTRACTABLE` false once its
 * `.byok` file is saved, so nobody holding the PIN can later wrap it under a key of their own
 * choosing and unwrap it outside the token. PKCS#11 (v2.40 §4.9) lets this attribute change only
 * from true to false, so the change cannot be undone either.
 *
 * @module
 */
import { ckrName } from "./binding.js";
import { CKA } from "./constants.js";
import { readAttribute } from "./keys.js";
import type { TargetKeyOnToken } from "./keys.js";
import type { TokenSession } from "./token.js";

/** Whether the key can no longer leave the token, and if not, why. */
export type LockResult =
  { readonly locked: true } | { readonly locked: false; readonly reason: string };

/**
 * Sets `CKA_EXTRACTABLE` false on the target key and reads it back. Never throws: the `.byok`
 * file is already saved, so a token that refuses is reported, not fatal.
 */
export function makeUnextractable(ts: TokenSession, key: TargetKeyOnToken): LockResult {
  try {
    ts.library.C_SetAttributeValue(ts.session, key.handle, [
      { type: CKA.EXTRACTABLE, value: false },
    ]);
  } catch (error) {
    return { locked: false, reason: `C_SetAttributeValue failed: ${ckrName(error)}` };
  }
  let value: Buffer | undefined;
  try {
    value = readAttribute(ts, key.handle, CKA.EXTRACTABLE);
  } catch (error) {
    return { locked: false, reason: `reading CKA_EXTRACTABLE back failed: ${ckrName(error)}` };
  }
  if (value === undefined || value.some((byte) => byte !== 0)) {
    return {
      locked: false,
      reason: `the token accepted the change but CKA_EXTRACTABLE reads ${value === undefined ? "as hidden" : "true"}`,
    };
  }
  return { locked: true };
}
