/**
 * `azure-byok pkcs11 list`: the library, its slots and tokens, whether each token can make a
 * `.byok` file, and with a PIN the keys on one token.
 *
 * @module
 */
import { call } from "./binding.js";
import { CKM, mechanismName } from "./constants.js";
import { TokenError, isTokenError } from "./errors.js";
import { listKeys } from "./keys.js";
import type { KeySummary } from "./keys.js";
import { planWrap } from "./mechanisms.js";
import { rsaAesKeyWrapUnavailable } from "./rsaAesKeyWrapParams.js";
import { listSlots, openModule, openSession, selectSlot } from "./token.js";
import type { SlotSummary, TokenSelector } from "./token.js";

/** Options of {@link listTokens}. */
export interface ListTokensOptions {
  readonly modulePath: string;
  /** Base for a relative `modulePath`; default the process's working directory. */
  readonly cwd?: string;
  /** The user PIN: with it, the keys of one token are listed. */
  readonly pin?: string;
  /** Which token to log in to; needed with a PIN when the library shows several tokens. */
  readonly selector?: TokenSelector;
}

/** One slot as listed. */
export type ListedSlot = SlotSummary & {
  /** For a slot with a token: how it would wrap, or why it cannot. */
  readonly byok?: string;
  /** With a PIN, for the chosen token: its keys. */
  readonly keys?: readonly KeySummary[];
};

/** What {@link listTokens} found. */
export interface TokenListing {
  readonly library: {
    readonly path: string;
    readonly manufacturer: string;
    readonly description: string;
    readonly version: string;
  };
  readonly slots: readonly ListedSlot[];
}

/**
 * Lists the library's slots and tokens, and with a PIN the keys of one token.
 *
 * @throws TokenError (module, slot, token and PIN codes).
 */
export function listTokens(options: ListTokensOptions): TokenListing {
  const { modulePath, cwd, pin, selector } = options;
  const module = openModule(modulePath, cwd);
  try {
    const info = call("C_GetInfo", "reading the library's information", () =>
      module.library.C_GetInfo(),
    );
    const slots = listSlots(module);
    let keysOf: { id: number; keys: KeySummary[] } | undefined;
    if (pin !== undefined) {
      const slot = selector === undefined ? onlyToken(slots) : selectSlot(slots, selector);
      const ts = openSession(module, slot, pin);
      try {
        keysOf = { id: slot.id, keys: listKeys(ts) };
      } finally {
        ts.close();
      }
    }
    return {
      library: {
        path: module.path,
        manufacturer: info.manufacturerID.trim(),
        description: info.libraryDescription.trim(),
        version: `${info.libraryVersion.major}.${info.libraryVersion.minor}`,
      },
      slots: slots.map((slot) => ({
        ...slot,
        ...(slot.token === undefined
          ? {}
          : { byok: byokCapability(module.library.C_GetMechanismList(slot.handle)) }),
        ...(keysOf?.id === slot.id ? { keys: keysOf.keys } : {}),
      })),
    };
  } finally {
    module.close();
  }
}

/** A PIN is for one token: logging in to every token with it would spend their retry counters. */
function onlyToken(slots: readonly SlotSummary[]): ReturnType<typeof selectSlot> {
  const initialized = slots.filter((s) => s.token?.flags.includes("token-initialized") === true);
  const [first, second] = initialized;
  if (first === undefined || second !== undefined) {
    throw new TokenError(
      "ERR_PKCS11_TOKEN_NOT_FOUND",
      `a PIN was given and the library shows ${initialized.length} initialized tokens: pass --slot or --token-label to say whose keys to list`,
    );
  }
  return selectSlot(slots, { slot: first.id });
}

function byokCapability(mechanisms: readonly number[]): string {
  try {
    const unavailable = mechanisms.includes(CKM.RSA_AES_KEY_WRAP)
      ? rsaAesKeyWrapUnavailable()
      : undefined;
    const plan = planWrap(mechanisms, {
      ...(unavailable === undefined ? {} : { singleStepUnavailable: unavailable }),
    });
    return plan.kind === "single-step"
      ? `can wrap: CKM_RSA_AES_KEY_WRAP (one step)${plan.fallback === undefined ? "" : `, or ${mechanismName(plan.fallback.oaep)} + ${mechanismName(plan.fallback.kwp)} (two steps) if the token refuses it`}`
      : `can wrap: ${mechanismName(plan.oaep)} + ${mechanismName(plan.kwp)} (two steps)`;
  } catch (error) {
    if (isTokenError(error)) return `cannot wrap: ${error.message}`;
    throw error;
  }
}
