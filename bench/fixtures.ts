/**
 * What the benchmark imports: KEKs made in the emulator (their private half never leaves it),
 * local KEKs for the raw baselines, a small pool of target keys (generation is not what is
 * measured, and RSA generation takes tens of milliseconds each), and `.byok` files wrapped afresh
 * from that pool, so every file is distinct.
 *
 * @module
 */
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { buildByokFile, generateTargetKey, parseKeySpec } from "../byok/index.js";
import type { TargetKey } from "../byok/index.js";
import type { BenchEmulator } from "./emulatorClient.js";

/** The SDK as a script uses it against the emulator: one credential, one client. */
export interface Sdk {
  readonly credential: TokenCredential;
  readonly keyClient: KeyClient;
}

/** Stock clients for the emulator, with the emulator's managed identity endpoint. */
export function sdkFor(emulator: BenchEmulator): Sdk {
  process.env.IDENTITY_ENDPOINT = emulator.env.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = emulator.env.IDENTITY_HEADER;
  const credential = new DefaultAzureCredential();
  // 127.0.0.1 is not a Key Vault host: relax the challenge's resource check, as the provider does
  const keyClient = new KeyClient(emulator.vaultUrl, credential, {
    disableChallengeResourceVerification: true,
  });
  return { credential, keyClient };
}

/** A KEK in the emulator: its versioned id and public key. */
export interface EmulatorKek {
  readonly kid: string;
  readonly publicKeyPem: string;
}

/** Creates an RSA-HSM KEK with key operations exactly ["import"] in the emulator. */
export async function createEmulatorKek(
  sdk: Sdk,
  name: string,
  size: number,
): Promise<EmulatorKek> {
  const key = await sdk.keyClient.createRsaKey(name, {
    hsm: true,
    keySize: size,
    keyOps: ["import"],
  });
  const jwk = key.key;
  if (key.id === undefined || jwk?.n === undefined || jwk.e === undefined) {
    throw new Error(`the emulator returned KEK ${name} without an id or public key`);
  }
  const { createPublicKey } = await import("node:crypto");
  const publicKeyPem = createPublicKey({
    key: {
      kty: "RSA",
      n: Buffer.from(jwk.n).toString("base64url"),
      e: Buffer.from(jwk.e).toString("base64url"),
    },
    format: "jwk",
  })
    .export({ type: "spki", format: "pem" })
    .toString();
  return { kid: key.id, publicKeyPem };
}

/** A local KEK pair, for baselines that need the private half. */
export function localKek(size: number): { publicKeyPem: string; privateKey: KeyObject } {
  const pair = generateKeyPairSync("rsa", { modulusLength: size });
  return {
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKey: pair.privateKey,
  };
}

/** `count` RSA target keys of `spec` (e.g. "rsa-2048"), generated once. */
export async function targetPool(spec: string, count: number): Promise<TargetKey[]> {
  const keys: TargetKey[] = [];
  for (let i = 0; i < count; i++) keys.push(await generateTargetKey(parseKeySpec(spec)));
  return keys;
}

/** `count` distinct `.byok` files: the pool's keys, each file wrapped afresh for the KEK. */
export function wrapMany(
  pool: readonly TargetKey[],
  count: number,
  kek: { kid: string; publicKeyPem: string },
): string[] {
  return Array.from({ length: count }, (_, i) => {
    const target = pool[i % pool.length];
    if (target === undefined) throw new Error("the target pool is empty");
    return buildByokFile(target, { kekPublicKey: kek.publicKeyPem, kekKid: kek.kid }).text;
  });
}
