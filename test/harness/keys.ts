/**
 * Key pairs for tests, made with `node:crypto` and memoized per worker: RSA-4096 generation takes
 * seconds on a small machine, and most tests need a KEK of each size only once.
 *
 * @module
 */
import { generateKeyPair } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { generateTargetKey, parseKeySpec } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { registerTargetKeyForLeakScan } from "../reliability/reliabilitySettings.js";

/** An RSA key pair with its public key as SPKI PEM, as `az keyvault key download` writes it. */
export interface RsaPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

const rsaPairs = new Map<number, Promise<RsaPair>>();

/** A KEK-like RSA key pair of `bits`, the same one for every caller in this worker. */
export function rsaPair(bits: 2048 | 3072 | 4096): Promise<RsaPair> {
  let pair = rsaPairs.get(bits);
  if (pair === undefined) {
    pair = new Promise<RsaPair>((resolve, reject) => {
      generateKeyPair("rsa", { modulusLength: bits }, (error, publicKey, privateKey) => {
        if (error) {
          reject(error);
          return;
        }
        const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
        resolve({ publicKey, privateKey, publicKeyPem });
      });
    });
    rsaPairs.set(bits, pair);
  }
  return pair;
}

const targets = new Map<string, Promise<TargetKey>>();

/** A target key of `spec` (`rsa-4096`, `ec-p256k`, `oct-128`…), memoized per worker. */
export function memoTargetKey(spec: string): Promise<TargetKey> {
  let target = targets.get(spec);
  if (target === undefined) {
    target = generateTargetKey(parseKeySpec(spec)).then((key) =>
      registerTargetKeyForLeakScan(`memoTargetKey ${spec}`, key),
    );
    targets.set(spec, target);
  }
  return target;
}

/** A versioned KEK id on a public-cloud Managed HSM (never contacted). */
export const KEK_KID =
  "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
