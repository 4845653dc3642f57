/**
 * A known-answer test of the token's AES key wrap with padding, before it wraps a real key:
 * PKCS#11 v3.0 reuses `CKM_AES_KEY_WRAP_PAD`'s number for RFC 3394 over PKCS#7 padding, which
 * Azure would reject, and only the output tells the two apart.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { wrapKeyWithPadding } from "../../byok/index.js";
import { CKA, CKK, CKO, mechanismName } from "./constants.js";
import { TokenError } from "./errors.js";
import type { TwoStepPlan } from "./mechanisms.js";
import type { TokenSession } from "./token.js";

/**
 * Proves the token's key-wrap-with-padding mechanism is RFC 5649, not v3.0's RFC 3394 over PKCS#7
 * padding that shares its number: wrap a throwaway AES-128 key under a throwaway AES-256 key, both
 * made here with known values, and compare with byok/'s RFC 5649. Tokens that refuse clear-value
 * secret keys (some FIPS modes) skip the check; the length checks after the real wrap remain.
 *
 * @throws TokenError `ERR_PKCS11_WRAP_OUTPUT` when the output is not RFC 5649's.
 */
export function checkKwpIsRfc5649(
  ts: TokenSession,
  plan: TwoStepPlan,
  onStep: (line: string) => void,
): void {
  const { library, session } = ts;
  const wrappingValue = randomBytes(32);
  const probeValue = randomBytes(16);
  const created: Buffer[] = [];
  const secret = (
    value: Buffer,
    wrap: boolean,
  ): { type: number; value: number | boolean | Buffer }[] => [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: CKK.AES },
    { type: CKA.TOKEN, value: false },
    { type: CKA.SENSITIVE, value: false },
    { type: CKA.EXTRACTABLE, value: true },
    { type: CKA.WRAP, value: wrap },
    { type: CKA.VALUE, value },
  ];
  let output: Buffer;
  try {
    const wrapping = library.C_CreateObject(session, secret(wrappingValue, true));
    created.push(wrapping);
    const probe = library.C_CreateObject(session, secret(probeValue, false));
    created.push(probe);
    output = library.C_WrapKey(
      session,
      { mechanism: plan.kwp },
      wrapping,
      probe,
      Buffer.alloc(256),
    );
  } catch (cause) {
    onStep(
      `self-test of ${mechanismName(plan.kwp)} skipped: the token refused a known-value test key (${cause instanceof Error ? cause.message : String(cause)})`,
    );
    return;
  } finally {
    for (const handle of created) {
      try {
        library.C_DestroyObject(session, handle);
      } catch {
        // Session objects also go when the session closes.
      }
    }
  }
  if (!output.equals(wrapKeyWithPadding(wrappingValue, probeValue))) {
    throw new TokenError(
      "ERR_PKCS11_WRAP_OUTPUT",
      `the token's ${mechanismName(plan.kwp)} is not RFC 5649 AES key wrap with padding (a known-answer test differs): Azure would reject the file; look in the vendor's documentation for its RFC 5649 mechanism (PKCS#11 v3.0: CKM_AES_KEY_WRAP_KWP)`,
    );
  }
  onStep(`${mechanismName(plan.kwp)} passes an RFC 5649 known-answer test`);
}
