/**
 * Key material as the emulator holds it: generating it without blocking the event loop, turning
 * it into Node key objects (cached: parsing PKCS#8 on every sign would dominate its cost), and
 * projecting the public half as the service's JSON Web Key.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { curveFromNodeName, NODE_CURVE_NAMES } from "../../byok/index.js";
import type { EcCurve } from "../../byok/index.js";
import type { KeyMaterial } from "../store/keyStore.js";

/** The public members of a key's JWK, as the service returns them (contracts §3.2). */
export interface PublicJwkMembers {
  readonly n?: string;
  readonly e?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
}

/** What to generate. */
export type GenerateSpec =
  | { readonly family: "RSA"; readonly size: number; readonly publicExponent: number }
  | { readonly family: "EC"; readonly curve: EcCurve }
  | { readonly family: "oct"; readonly size: number };

/** Generates key material; RSA and EC run on libuv's thread pool. */
export async function generateKeyMaterial(spec: GenerateSpec): Promise<KeyMaterial> {
  if (spec.family === "oct") return { kind: "oct", bytes: randomBytes(spec.size / 8) };
  const privateKey = await new Promise<KeyObject>((resolve, reject) => {
    const callback = (error: Error | null, _publicKey: KeyObject, key: KeyObject): void => {
      if (error) reject(error);
      else resolve(key);
    };
    if (spec.family === "RSA") {
      generateKeyPair(
        "rsa",
        { modulusLength: spec.size, publicExponent: spec.publicExponent },
        callback,
      );
    } else {
      generateKeyPair("ec", { namedCurve: NODE_CURVE_NAMES[spec.curve] }, callback);
    }
  });
  return materialOfPrivateKey(privateKey);
}

/** Material of an RSA or EC private key object. */
export function materialOfPrivateKey(privateKey: KeyObject): KeyMaterial & { kind: "pkcs8" } {
  const material = {
    kind: "pkcs8" as const,
    der: privateKey.export({ type: "pkcs8", format: "der" }),
  };
  privateKeys.set(material, privateKey);
  return material;
}

const privateKeys = new WeakMap<KeyMaterial, KeyObject>();
const publicKeys = new WeakMap<KeyMaterial, KeyObject>();
const publicJwks = new WeakMap<KeyMaterial, PublicJwkMembers>();

/** The private key object of RSA/EC material. */
export function privateKeyOf(material: KeyMaterial & { kind: "pkcs8" }): KeyObject {
  let key = privateKeys.get(material);
  if (key === undefined) {
    key = createPrivateKey({ key: material.der, format: "der", type: "pkcs8" });
    privateKeys.set(material, key);
  }
  return key;
}

/** The public key object of RSA/EC material. */
export function publicKeyOf(material: KeyMaterial & { kind: "pkcs8" }): KeyObject {
  let key = publicKeys.get(material);
  if (key === undefined) {
    key = createPublicKey(privateKeyOf(material));
    publicKeys.set(material, key);
  }
  return key;
}

/** The public JWK members (`n`/`e` or `crv`/`x`/`y`); nothing for oct keys. */
export function publicJwkOf(material: KeyMaterial): PublicJwkMembers {
  if (material.kind === "oct") return {};
  let jwk = publicJwks.get(material);
  if (jwk === undefined) {
    const exported = publicKeyOf(material).export({ format: "jwk" });
    jwk =
      exported.kty === "RSA"
        ? { n: exported.n ?? "", e: exported.e ?? "" }
        : {
            crv: curveFromNodeName(exported.crv ?? "") ?? exported.crv ?? "",
            x: exported.x ?? "",
            y: exported.y ?? "",
          };
    publicJwks.set(material, jwk);
  }
  return jwk;
}

/** The curve of EC material, in Key Vault's name. */
export function curveOf(material: KeyMaterial & { kind: "pkcs8" }): EcCurve | undefined {
  return curveFromNodeName(publicKeyOf(material).asymmetricKeyDetails?.namedCurve ?? "");
}

/** The modulus size of RSA material in bits. */
export function rsaBitsOf(material: KeyMaterial & { kind: "pkcs8" }): number {
  return publicKeyOf(material).asymmetricKeyDetails?.modulusLength ?? 0;
}
