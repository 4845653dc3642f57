/**
 * Loading the native PKCS#11 binding (pkcs11js, an optional dependency) only when a `pkcs11`
 * command runs, so the rest of the package works where the addon did not build.
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as Pkcs11js from "pkcs11js";
import type { PKCS11 } from "pkcs11js";
import { CKR } from "./constants.js";
import { TokenError } from "./errors.js";

/** The binding's module object: the `PKCS11` class and its constants. */
export type Pkcs11Binding = typeof Pkcs11js;
/** One loaded PKCS#11 library. */
export type Pkcs11Library = PKCS11;

let binding: Pkcs11Binding | undefined;

/**
 * The pkcs11js module, loaded on first use.
 *
 * @throws TokenError `ERR_PKCS11_BINDING` when it is not installed or its addon did not build.
 */
export function loadBinding(): Pkcs11Binding {
  if (binding !== undefined) return binding;
  try {
    // A CommonJS require, not import(): the addon is CommonJS and its constants are plain properties.
    binding = createRequire(__filename)("pkcs11js") as Pkcs11Binding;
  } catch (cause) {
    throw new TokenError(
      "ERR_PKCS11_BINDING",
      "the PKCS#11 binding (the optional dependency pkcs11js) is not installed or its native addon did not build: install a C++ toolchain (python3, make, g++) and run 'npm rebuild pkcs11js', or wrap in software with 'azure-byok wrap'",
      { cause },
    );
  }
  return binding;
}

/** The `CKR_*` value of a failed binding call, if it was a PKCS#11 error. */
export function ckrOf(error: unknown): number | undefined {
  if (error instanceof Error && error.name === "Pkcs11Error") {
    const code = (error as { code?: unknown }).code;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}

/** The `CKR_*` name of a failed call for messages (`CKR_PIN_INCORRECT`), or the error's message. */
export function ckrName(error: unknown): string {
  const ckr = ckrOf(error);
  if (ckr !== undefined) {
    const known = Object.entries(CKR).find(([, value]) => value === ckr);
    if (known !== undefined) return `CKR_${known[0]}`;
    if (error instanceof Error && error.message.startsWith("CKR_")) return error.message;
    return `CKR 0x${ckr.toString(16)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one binding call and turns any failure other than those the caller maps into
 * `ERR_PKCS11_CALL`, naming the function, what it was for, and the `CKR_*` value.
 */
export function call<T>(fn: string, purpose: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    throw callError(fn, purpose, cause);
  }
}

/** The `ERR_PKCS11_CALL` error for a failed call (see {@link call}). */
export function callError(fn: string, purpose: string, cause: unknown): TokenError {
  return new TokenError(
    "ERR_PKCS11_CALL",
    `${fn} failed while ${purpose}: ${ckrName(cause)}; see the HSM's log and its PKCS#11 documentation for this return value`,
    { cause },
  );
}
