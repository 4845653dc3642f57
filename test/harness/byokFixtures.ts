/**
 * Offline `.byok` fixtures for provider tests: a KEK key pair made with `node:crypto` (memoized
 * per worker) and target keys wrapped for it with `byok/`. No private key leaves the test.
 *
 * @module
 */
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { buildByokFile, generateTargetKey, parseKeySpec } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import {
  registerSecretForLeakScan,
  registerTargetKeyForLeakScan,
} from "../reliability/reliabilitySettings.js";

/** A vault URL of the public cloud for offline tests (never contacted). */
export const HSM_URL = "https://contoso.managedhsm.azure.net";
export const VAULT_URL = "https://contoso.vault.azure.net";
export const KEK_VERSION = "0123456789abcdef0123456789abcdef";

let kek: { publicKeyPem: string; privateKey: KeyObject } | undefined;

/** A 2048-bit RSA KEK made locally (the real one lives in the HSM). */
export function localKek(): { publicKeyPem: string; privateKey: KeyObject } {
  if (kek === undefined) {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    registerSecretForLeakScan("localKek (RSA-2048)", pair.privateKey);
    kek = {
      publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
      privateKey: pair.privateKey,
    };
  }
  return kek;
}

/** A fresh target key of `spec` (e.g. "rsa-2048", "ec-p256", "oct-256") wrapped for a KEK. */
export async function wrappedTarget(
  spec: string,
  options: { kekKid: string; kekPublicKeyPem?: string },
): Promise<{ text: string; target: TargetKey; ciphertext: Buffer }> {
  const target = registerTargetKeyForLeakScan(
    `wrappedTarget ${spec}`,
    await generateTargetKey(parseKeySpec(spec)),
  );
  const built = buildByokFile(target, {
    kekPublicKey: options.kekPublicKeyPem ?? localKek().publicKeyPem,
    kekKid: options.kekKid,
  });
  return { text: built.text, target, ciphertext: built.package.ciphertext };
}
