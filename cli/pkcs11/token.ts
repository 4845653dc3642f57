/**
 * Opening a PKCS#11 library, finding the slot and token the operator named, and logging in.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { call, callError, ckrName, ckrOf, loadBinding } from "./binding.js";
import type { Pkcs11Library } from "./binding.js";
import { CKF_RW_SESSION, CKF_SERIAL_SESSION, CKR, CKU_USER, TOKEN_FLAGS } from "./constants.js";
import { TokenError } from "./errors.js";

/** Where Debian's, Fedora's and Homebrew's softhsm2 packages put the library, for hints. */
export const SOFTHSM2_MODULE_PATHS = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib64/pkcs11/libsofthsm2.so",
  "/usr/lib64/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
  "/opt/homebrew/lib/softhsm/libsofthsm2.so",
] as const;

/** A loaded and initialized PKCS#11 library. Call {@link OpenedModule.close} when done. */
export interface OpenedModule {
  readonly library: Pkcs11Library;
  /** The library file, resolved. */
  readonly path: string;
  /** `C_Finalize` and unload; never throws. */
  close(): void;
}

/** A token as `C_GetTokenInfo` describes it, padding trimmed. */
export interface TokenSummary {
  readonly label: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  readonly flags: readonly string[];
  readonly firmware: string;
}

/** A slot, and its token when one is present. */
export interface SlotSummary {
  /** The slot id as a number, as `--slot` takes it. */
  readonly id: number;
  readonly handle: Buffer;
  readonly description: string;
  readonly manufacturer: string;
  readonly token?: TokenSummary;
}

/** How the operator named the token: `--slot N` or `--token-label L`. */
export type TokenSelector = { readonly slot: number } | { readonly tokenLabel: string };

/**
 * Loads and initializes the PKCS#11 library at `modulePath`.
 *
 * @param modulePath - the vendor's PKCS#11 library (`.so`, `.dylib`, `.dll`), absolute or relative to `cwd`.
 * @throws TokenError `ERR_PKCS11_MODULE_NOT_FOUND`, `ERR_PKCS11_MODULE_LOAD`, `ERR_PKCS11_BINDING`.
 */
export function openModule(modulePath: string, cwd: string = process.cwd()): OpenedModule {
  const path = resolve(cwd, modulePath);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new TokenError(
      "ERR_PKCS11_MODULE_NOT_FOUND",
      `--module ${modulePath}: no such file. Give the path of the HSM vendor's PKCS#11 library (for SoftHSM2 on Debian: /usr/lib/softhsm/libsofthsm2.so, from the softhsm2 package)`,
    );
  }
  const binding = loadBinding();
  const library = new binding.PKCS11();
  try {
    library.load(path);
  } catch (cause) {
    throw new TokenError(
      "ERR_PKCS11_MODULE_LOAD",
      `--module ${modulePath} does not load as a PKCS#11 library (${cause instanceof Error ? cause.message : String(cause)}): give the vendor's PKCS#11 library, not its tools or a directory, for this machine's architecture`,
      { cause },
    );
  }
  try {
    library.C_Initialize();
  } catch (cause) {
    try {
      library.close();
    } catch {
      // The library is unusable either way; the initialize failure is the one to report.
    }
    throw new TokenError(
      "ERR_PKCS11_MODULE_LOAD",
      `--module ${modulePath} loaded but C_Initialize failed: ${ckrName(cause)}. Check the library's configuration (for SoftHSM2: SOFTHSM2_CONF and its tokendir)`,
      { cause },
    );
  }
  return {
    library,
    path,
    close: () => {
      try {
        library.C_Finalize();
      } catch {
        // Nothing to do: the process is about to drop the library anyway.
      }
      try {
        library.close();
      } catch {
        // As above.
      }
    },
  };
}

/** PKCS#11 pads its fixed-width strings with blanks (and some tokens with NULs). */
function trimPadded(value: string): string {
  return value.replace(/[\s\0]+$/, "");
}

/** A slot id as a number; the binding hands out CK_SLOT_ID as little-endian bytes of a CK_ULONG. */
function slotNumber(handle: Buffer): number {
  let value = 0;
  for (let i = handle.length - 1; i >= 0; i--) value = value * 256 + (handle[i] ?? 0);
  return value;
}

/** Every slot and its token, as `azure-byok pkcs11 list` shows them. */
export function listSlots(module: OpenedModule): SlotSummary[] {
  const { library } = module;
  const handles = call("C_GetSlotList", "listing the slots", () => library.C_GetSlotList(false));
  return handles.map((handle) => {
    const info = call("C_GetSlotInfo", "reading a slot", () => library.C_GetSlotInfo(handle));
    const base = {
      id: slotNumber(handle),
      handle,
      description: trimPadded(info.slotDescription),
      manufacturer: trimPadded(info.manufacturerID),
    };
    // CKF_TOKEN_PRESENT
    if ((info.flags & 0x1) === 0) return base;
    const token = call("C_GetTokenInfo", "reading a token", () => library.C_GetTokenInfo(handle));
    return {
      ...base,
      token: {
        label: trimPadded(token.label),
        manufacturer: trimPadded(token.manufacturerID),
        model: trimPadded(token.model),
        serial: trimPadded(token.serialNumber),
        flags: TOKEN_FLAGS.filter(([bit]) => (token.flags & bit) !== 0).map(([, name]) => name),
        firmware: `${token.firmwareVersion.major}.${token.firmwareVersion.minor}`,
      },
    };
  });
}

/** A slot that holds an initialized token. */
export type TokenSlot = SlotSummary & { readonly token: TokenSummary };

function hasToken(slot: SlotSummary): slot is TokenSlot {
  return slot.token?.flags.includes("token-initialized") === true;
}

/**
 * The slot the operator named, holding an initialized token.
 *
 * @throws TokenError `ERR_PKCS11_SLOT_NOT_FOUND` or `ERR_PKCS11_TOKEN_NOT_FOUND`, listing what there is.
 */
export function selectSlot(slots: readonly SlotSummary[], selector: TokenSelector): TokenSlot {
  const tokens = slots.filter(hasToken);
  const available =
    tokens.length === 0
      ? "the library shows no initialized token"
      : `tokens: ${tokens.map((s) => `slot ${s.id} "${s.token.label}"`).join(", ")}`;
  if ("slot" in selector) {
    const slot = tokens.find((s) => s.id === selector.slot);
    if (slot === undefined) {
      throw new TokenError(
        "ERR_PKCS11_SLOT_NOT_FOUND",
        `--slot ${selector.slot} holds no initialized token (${available}): run 'azure-byok pkcs11 list --module …' and pass one of those slots, or --token-label`,
      );
    }
    return slot;
  }
  const matches = tokens.filter((s) => s.token.label === selector.tokenLabel);
  const [first, second] = matches;
  if (first === undefined) {
    throw new TokenError(
      "ERR_PKCS11_TOKEN_NOT_FOUND",
      `--token-label "${selector.tokenLabel}" names no token (${available}): pass one of those labels, or --slot`,
    );
  }
  if (second !== undefined) {
    throw new TokenError(
      "ERR_PKCS11_TOKEN_NOT_FOUND",
      `--token-label "${selector.tokenLabel}" names ${matches.length} tokens (slots ${matches.map((s) => s.id).join(", ")}): pass --slot instead`,
    );
  }
  return first;
}

/** A logged-in read/write session on one token. Call {@link TokenSession.close} when done. */
export interface TokenSession {
  readonly library: Pkcs11Library;
  readonly session: Buffer;
  readonly slot: TokenSlot;
  /** The token's `C_GetMechanismList`. */
  readonly mechanisms: readonly number[];
  /** Logs out and closes the session (and with it every session object); never throws. */
  close(): void;
}

/**
 * Opens a read/write session on the slot's token and logs in as the user.
 *
 * @param pin - the user PIN; it goes to `C_Login` and nowhere else.
 * @throws TokenError `ERR_PKCS11_PIN_INCORRECT`, `ERR_PKCS11_PIN_LOCKED`, `ERR_PKCS11_CALL`.
 */
export function openSession(module: OpenedModule, slot: TokenSlot, pin: string): TokenSession {
  const { library } = module;
  const mechanisms = call("C_GetMechanismList", "listing the token's mechanisms", () =>
    library.C_GetMechanismList(slot.handle),
  );
  const session = call("C_OpenSession", `opening a session on slot ${slot.id}`, () =>
    library.C_OpenSession(slot.handle, CKF_SERIAL_SESSION | CKF_RW_SESSION),
  );
  const closeSession = (): void => {
    try {
      library.C_CloseSession(session);
    } catch {
      // A closed session has nothing left to clean up.
    }
  };
  try {
    library.C_Login(session, CKU_USER, pin);
  } catch (cause) {
    closeSession();
    throw loginError(cause, slot);
  }
  return {
    library,
    session,
    slot,
    mechanisms,
    close: () => {
      try {
        library.C_Logout(session);
      } catch {
        // Closing the session below logs out as well.
      }
      closeSession();
    },
  };
}

function loginError(cause: unknown, slot: TokenSlot): TokenError {
  const where = `token "${slot.token.label}" (slot ${slot.id})`;
  switch (ckrOf(cause)) {
    case CKR.PIN_INCORRECT:
    case CKR.PIN_INVALID:
    case CKR.PIN_LEN_RANGE:
      return new TokenError(
        "ERR_PKCS11_PIN_INCORRECT",
        `${where} refused the user PIN (${ckrName(cause)}): check the variable --pin-env names; tokens lock the PIN after a few wrong tries, so do not retry blindly`,
        { cause },
      );
    case CKR.PIN_LOCKED:
      return new TokenError(
        "ERR_PKCS11_PIN_LOCKED",
        `${where} has locked its user PIN after too many wrong tries: the token's security officer must unlock or reset it`,
        { cause },
      );
    case CKR.USER_PIN_NOT_INITIALIZED:
      return new TokenError(
        "ERR_PKCS11_PIN_INCORRECT",
        `${where} has no user PIN yet: initialize it with the vendor's tools (for SoftHSM2: softhsm2-util --init-token … --pin …)`,
        { cause },
      );
    case undefined:
    default:
      return callError("C_Login", `logging in to ${where}`, cause);
  }
}
