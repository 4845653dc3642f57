/**
 * `.byok` files whose length fits two KEK sizes: an oct-256 key wrapped for an RSA-4096 KEK is
 * 552 bytes, as long as an EC key wrapped for an RSA-3072 one. Checked against the RSA-3072 KEK,
 * its first 384 bytes are random, and land above that KEK's modulus only some of the time: this
 * picks a file on the side a test needs.
 *
 * @module
 */
import { buildByokFile, loadKekPublicKey } from "../../byok/index.js";
import { KEK_KID, memoTargetKey, rsaPair } from "./keys.js";

/** An oct-256 key wrapped for the RSA-4096 test KEK, and where its bytes fall for RSA-3072. */
export interface OverlappingFile {
  /** The `.byok` file's text. */
  readonly text: string;
  /** The RSA-3072 test KEK's public key (SPKI PEM), which the file was not wrapped for. */
  readonly kek3072Pem: string;
}

/**
 * Wraps the same oct-256 key for the RSA-4096 test KEK until the first 384 bytes of the
 * ciphertext, read as an integer, are at or above (`"above"`) or below (`"below"`) the RSA-3072
 * test KEK's modulus. Each wrap uses a fresh AES key and OAEP seed, so a few tries suffice.
 */
export async function wrappedForRsa4096(side: "above" | "below"): Promise<OverlappingFile> {
  const [kek4096, kek3072, target] = await Promise.all([
    rsaPair(4096),
    rsaPair(3072),
    memoTargetKey("oct-256"),
  ]);
  const { modulus } = loadKekPublicKey(kek3072.publicKeyPem);
  for (let attempt = 0; attempt < 5000; attempt++) {
    const built = buildByokFile(target, { kekPublicKey: kek4096.publicKeyPem, kekKid: KEK_KID });
    const block = BigInt(`0x${built.package.ciphertext.subarray(0, 384).toString("hex")}`);
    if (block >= modulus === (side === "above")) {
      return { text: built.text, kek3072Pem: kek3072.publicKeyPem };
    }
  }
  throw new Error(`no wrap in 5000 landed ${side} the RSA-3072 modulus`);
}
