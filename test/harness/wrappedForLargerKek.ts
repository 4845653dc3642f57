/**
 * `.byok` files whose length fits two KEK sizes: an oct-256 key wrapped for an RSA-4096 KEK is
 * 552 bytes, as long as an EC key wrapped for an RSA-3072 one. Checked against the RSA-3072 KEK,
 * its first 384 bytes are the top of a number below the RSA-4096 modulus, so whether they can
 * exceed the RSA-3072 modulus depends on the two keys' leading bits: for some pairs never. The
 * files here are on the side a test needs whatever keys the worker generated.
 *
 * @module
 */
import { buildByokFile, loadKekPublicKey } from "../../byok/index.js";
import { KEK_KID, memoTargetKey, rsaPair } from "./keys.js";

/** An oct-256 key wrapped for the RSA-4096 test KEK, and the RSA-3072 KEK it is checked against. */
export interface OverlappingFile {
  /** The `.byok` file's text. */
  readonly text: string;
  /** The RSA-3072 test KEK's public key (SPKI PEM), which the file was not wrapped for. */
  readonly kek3072Pem: string;
}

/**
 * Wraps an oct-256 key for the RSA-4096 test KEK so that the first 384 bytes of the ciphertext,
 * read as an integer, are below (`"below"`) or at or above (`"above"`) the RSA-3072 test KEK's
 * modulus. Below: wrap again until they are (RSA moduli have their top two bits set, so more than
 * half of the wraps qualify). Above: a wrap whose first 8 bytes are set to 0xff, above any RSA-3072
 * modulus whose top 64 bits are not all 1: a real wrap may never land there with the keys at hand.
 */
export async function wrappedForRsa4096(side: "above" | "below"): Promise<OverlappingFile> {
  const [kek4096, kek3072, target] = await Promise.all([
    rsaPair(4096),
    rsaPair(3072),
    memoTargetKey("oct-256"),
  ]);
  const { modulus } = loadKekPublicKey(kek3072.publicKeyPem);
  const wrap = (): { text: string; ciphertext: Buffer } => {
    const built = buildByokFile(target, { kekPublicKey: kek4096.publicKeyPem, kekKid: KEK_KID });
    return { text: built.text, ciphertext: Buffer.from(built.package.ciphertext) };
  };
  if (side === "above") {
    const { text, ciphertext } = wrap();
    ciphertext.fill(0xff, 0, 8);
    const file = JSON.parse(text) as Record<string, unknown>;
    file.ciphertext = ciphertext.toString("base64url");
    return { text: JSON.stringify(file, null, 2), kek3072Pem: kek3072.publicKeyPem };
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const { text, ciphertext } = wrap();
    if (BigInt(`0x${ciphertext.subarray(0, 384).toString("hex")}`) < modulus) {
      return { text, kek3072Pem: kek3072.publicKeyPem };
    }
  }
  throw new Error("no wrap in 200 landed below the RSA-3072 modulus");
}
