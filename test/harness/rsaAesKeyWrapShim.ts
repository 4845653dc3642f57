/**
 * Builds rsaAesKeyWrapShim.c: SoftHSM2 plus the single-step CKM_RSA_AES_KEY_WRAP, a token that
 * offers the mechanism (no free token does). gcc compiles it at test time against pkcs11js's
 * copy of the OASIS headers; CI installs gcc and libc6-dev in .ci/run.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { findSoftHsmModule } from "./softHsm.js";

/** The environment variable the shim appends one line to per CKM_RSA_AES_KEY_WRAP call. */
export const SHIM_LOG_ENV = "AZURE_BYOK_SHIM_LOG";
/** The environment variable the shim reads at each call: `refuse-single` or `no-sha1`. */
export const SHIM_MODE_ENV = "AZURE_BYOK_SHIM_MODE";

/**
 * Compiles the shim into `dir` for the SoftHSM2 library this machine has; returns its path.
 * Throws, naming the packages to install, when gcc is missing.
 */
export function buildRsaAesKeyWrapShim(dir: string): string {
  const softHsm = findSoftHsmModule();
  const headers = join(dirname(require.resolve("pkcs11js/package.json")), "includes", "pkcs11");
  const output = join(dir, "libsofthsm2-rsa-aes-key-wrap.so");
  try {
    execFileSync(
      "gcc",
      [
        "-shared",
        "-fPIC",
        "-O1",
        "-Wall",
        "-I",
        headers,
        `-DSHIM_TARGET=${JSON.stringify(softHsm)}`,
        "-o",
        output,
        join(__dirname, "rsaAesKeyWrapShim.c"),
        "-ldl",
      ],
      { stdio: "pipe" },
    );
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `building the CKM_RSA_AES_KEY_WRAP shim failed (${stderr.trim() || String(cause)}): install a C compiler ('apt-get install gcc libc6-dev'; CI does, in .ci/run)`,
      { cause },
    );
  }
  return output;
}
