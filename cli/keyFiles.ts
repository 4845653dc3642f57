/**
 * Reading the key files the offline commands take: the KEK public key (`--kek-pem`) and the
 * target key (`--key`), in the encodings operators have at hand. Messages name the flag, the file
 * and the fix; they never include key bytes.
 *
 * @module
 */
import { createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadKekPublicKey, targetKeyOf } from "../byok/index.js";
import type { KekPublicKey, TargetKey } from "../byok/index.js";
import { BadInputError } from "./command.js";

/** A target key read from a file, and the encoding it was found in (for the step line). */
export interface TargetKeyFile {
  readonly target: TargetKey;
  /** E.g. `PKCS#8 PEM`, `PKCS#1 DER`, `raw 32-byte AES key`. */
  readonly format: string;
}

/**
 * Reads a file named on the command line.
 *
 * @param path - as given, relative to `cwd`.
 * @param flag - the flag that named it, for the message.
 * @throws BadInputError when it cannot be read.
 */
export function readInputFile(path: string, flag: string, cwd: string): Buffer {
  try {
    return readFileSync(resolve(cwd, path));
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : cause instanceof Error
          ? cause.message
          : String(cause);
    throw new BadInputError(`${flag} ${path} cannot be read (${reason})`);
  }
}

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;

/**
 * Loads the KEK public key: SPKI PEM as `az keyvault key download` writes it, PKCS#1
 * `RSA PUBLIC KEY` PEM, SPKI DER, or JSON holding the JWK's `n` and `e` (bare, or under `key` as
 * in the key bundle `az keyvault key show` prints).
 *
 * @throws ByokError `ERR_KEK_PUBLIC_KEY` when it does not parse or is not an RSA 2048/3072/4096 key.
 */
export function loadKekFile(bytes: Buffer, flag: string, path: string): KekPublicKey {
  const what = `${flag} ${path}`;
  const text = bytes.toString("utf8").trim();
  if (text.startsWith("{")) {
    return loadKekPublicKey(jwkOf(text, what), what);
  }
  if (PEM_LABEL.test(text)) return loadKekPublicKey(text, what);
  return loadKekPublicKey(new Uint8Array(bytes), what);
}

function jwkOf(text: string, what: string): { n: string; e: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadInputError(`${what} starts with "{" but is not JSON: give the KEK's PEM or JWK`);
  }
  const record = json as { n?: unknown; e?: unknown; key?: { n?: unknown; e?: unknown } };
  const jwk = typeof record.n === "string" ? record : record.key;
  if (typeof jwk?.n !== "string" || typeof jwk.e !== "string") {
    throw new BadInputError(
      `${what} is JSON without an RSA JWK: give {"n": ..., "e": ...}, the key bundle 'az keyvault key show' prints, or the PEM 'az keyvault key download' writes`,
    );
  }
  return { n: jwk.n, e: jwk.e };
}

/**
 * Loads the target key: an RSA or EC private key as PKCS#8, PKCS#1 (`RSA PRIVATE KEY`) or SEC1
 * (`EC PRIVATE KEY`), PEM or DER; or the raw bytes of an AES key (a file of exactly 16, 24 or 32
 * bytes).
 *
 * @throws BadInputError when the file is none of these; ByokError `ERR_BYOK_TARGET_KEY` when it
 *   is a key Azure does not import (RSA-1024, another curve).
 */
export function loadTargetKeyFile(bytes: Buffer, flag: string, path: string): TargetKeyFile {
  const what = `${flag} ${path}`;
  if ([16, 24, 32].includes(bytes.length)) {
    // No DER private key is this short, so these lengths are raw AES keys. A key typed as hex or
    // base64 text is also this long (32 hex digits, 24 base64 characters): refuse it rather than
    // import the ASCII characters as key bytes. A random key is all such characters with
    // probability below 1e-14.
    if (/^[0-9A-Za-z+/=_-]+$/.test(bytes.toString("latin1"))) {
      throw new BadInputError(
        `${what} is ${bytes.length} bytes of text (hex or base64?): an AES key file holds the raw key bytes; convert it first, for example 'xxd -r -p key.hex > key.bin' or 'base64 -d key.b64 > key.bin'`,
      );
    }
    return {
      target: targetKeyOf(new Uint8Array(bytes)),
      format: `raw ${bytes.length}-byte AES key`,
    };
  }
  const text = bytes.toString("latin1");
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key: look at the key's.
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((match) => match[1] ?? "");
  const label = labels.find((found) => found.includes("PRIVATE KEY")) ?? labels[0];
  if (label !== undefined) {
    if (label === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(text)) {
      throw new BadInputError(
        `${what} is encrypted: decrypt it to a file on the offline machine first ('openssl pkey -in ${path} -out clear.pem'), or wrap it inside the HSM with 'azure-byok pkcs11 wrap'`,
      );
    }
    if (label.includes("PUBLIC KEY") || label === "CERTIFICATE") {
      throw new BadInputError(
        `${what} holds a ${label.toLowerCase()}, not a private key: --key takes the target's private key (the KEK's public key goes in --kek-pem)`,
      );
    }
    const key = tryPrivateKey(() => createPrivateKey({ key: text, format: "pem" }));
    if (key === undefined) {
      throw new BadInputError(
        `${what} is PEM (${label}) but does not parse as a private key: give PKCS#8 (PRIVATE KEY), PKCS#1 (RSA PRIVATE KEY) or SEC1 (EC PRIVATE KEY)`,
      );
    }
    return { target: targetKeyOf(key), format: `${pemFormatName(label)} PEM` };
  }
  const pkcs8 = tryPrivateKey(() => createPrivateKey({ key: bytes, format: "der", type: "pkcs8" }));
  if (pkcs8 !== undefined) return { target: targetKeyOf(pkcs8), format: "PKCS#8 DER" };
  // The DER type names a structure, but OpenSSL 3 as Node 22 and later link it decodes
  // "pkcs1" and "sec1" alike (a SEC1 EC key parses as "pkcs1"), so the name comes from the key
  // that parsed: only PKCS#1 holds an RSA key and only SEC1 an EC key. Node 20 needs both tries.
  for (const type of ["pkcs1", "sec1"] as const) {
    const key = tryPrivateKey(() => createPrivateKey({ key: bytes, format: "der", type }));
    if (key !== undefined) {
      return {
        target: targetKeyOf(key),
        format: key.asymmetricKeyType === "ec" ? "SEC1 DER" : "PKCS#1 DER",
      };
    }
  }
  throw new BadInputError(
    `${what} (${bytes.length} bytes) is not a private key: give an RSA or EC private key as PKCS#8, PKCS#1 or SEC1, PEM or DER, or a raw AES key of exactly 16, 24 or 32 bytes`,
  );
}

function tryPrivateKey(make: () => KeyObject): KeyObject | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

function pemFormatName(label: string): string {
  if (label === "RSA PRIVATE KEY") return "PKCS#1";
  if (label === "EC PRIVATE KEY") return "SEC1";
  return label === "PRIVATE KEY" ? "PKCS#8" : label;
}
