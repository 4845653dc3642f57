/**
 * `CK_RSA_AES_KEY_WRAP_PARAMS` for the single-step `CKM_RSA_AES_KEY_WRAP`: a 256-bit AES key and
 * OAEP with SHA-1, MGF1-SHA-1 and an empty label, as Azure unwraps it.
 *
 * pkcs11js passes a Buffer parameter to the module byte for byte (it copies it), but this struct
 * holds a pointer to a second struct, `CK_RSA_PKCS_OAEP_PARAMS`, and JavaScript cannot give a
 * Buffer's address. koffi (an optional dependency with prebuilt binaries) allocates that second
 * struct in native memory, which does not move, and lays both out with the platform's C types
 * (`CK_ULONG` is a C `unsigned long`; PKCS#11 packs its structs to 1 byte on Windows).
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as Koffi from "koffi";
import { CKG_MGF1_SHA1, CKM, CKZ_DATA_SPECIFIED } from "./constants.js";

/** The AES key size `CKM_RSA_AES_KEY_WRAP` must use for Azure: AES-256 (contracts §1.5). */
export const RSA_AES_KEY_BITS = 256;

/** The parameter bytes for one `C_WrapKey`; call {@link RsaAesKeyWrapParams.release} after it. */
export interface RsaAesKeyWrapParams {
  /** `CK_RSA_AES_KEY_WRAP_PARAMS`, pointing at native memory that lives until `release`. */
  readonly bytes: Buffer;
  /** Frees the OAEP parameters; the bytes are invalid afterwards. */
  release(): void;
}

type KoffiModule = typeof Koffi;
type Layout = { koffi: KoffiModule; oaep: Koffi.TypeObject; wrap: Koffi.TypeObject };

let layout: { value: Layout } | { error: string } | undefined;

function loadLayout(): { value: Layout } | { error: string } {
  if (layout !== undefined) return layout;
  try {
    // A CommonJS require, as for pkcs11js: loaded only when a token offers the single step.
    const koffi = createRequire(__filename)("koffi") as KoffiModule;
    const struct = process.platform === "win32" ? koffi.pack : koffi.struct;
    const oaep = struct({
      hashAlg: "unsigned long",
      mgf: "unsigned long",
      source: "unsigned long",
      pSourceData: "void *",
      ulSourceDataLen: "unsigned long",
    });
    const wrap = struct({ ulAESKeyBits: "unsigned long", pOAEPParams: koffi.pointer(oaep) });
    layout = { value: { koffi, oaep, wrap } };
  } catch (cause) {
    layout = { error: cause instanceof Error ? cause.message : String(cause) };
  }
  return layout;
}

/**
 * Why this machine cannot build the parameters (koffi did not install or load), or undefined
 * when it can.
 */
export function rsaAesKeyWrapUnavailable(): string | undefined {
  const loaded = loadLayout();
  return "error" in loaded ? `koffi did not load: ${loaded.error}` : undefined;
}

/**
 * Builds the parameters; the caller passes `bytes` as the mechanism's `parameter` and releases
 * them after the call returns.
 *
 * @throws Error when koffi is unavailable; check {@link rsaAesKeyWrapUnavailable} first.
 */
export function buildRsaAesKeyWrapParams(): RsaAesKeyWrapParams {
  const loaded = loadLayout();
  if ("error" in loaded) throw new Error(`CKM_RSA_AES_KEY_WRAP parameters: ${loaded.error}`);
  const { koffi, oaep, wrap } = loaded.value;
  const oaepParams: unknown = koffi.alloc(oaep, 1);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    koffi.free(oaepParams);
  };
  try {
    koffi.encode(oaepParams, oaep, {
      hashAlg: CKM.SHA_1,
      mgf: CKG_MGF1_SHA1,
      source: CKZ_DATA_SPECIFIED,
      pSourceData: null,
      ulSourceDataLen: 0,
    });
    const bytes = Buffer.alloc(koffi.sizeof(wrap));
    koffi.encode(bytes, wrap, { ulAESKeyBits: RSA_AES_KEY_BITS, pOAEPParams: oaepParams });
    return { bytes, release };
  } catch (error) {
    release();
    throw error;
  }
}
