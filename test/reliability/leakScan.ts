/**
 * The leak scanner of the reliability suite (issue 8): walks directories the suite produced
 * (`.azure-byok/` with the demo's state, emulator data dirs and logs, the reliability artifacts,
 * `bench/results.json`) and finds three kinds of leak:
 *
 * - `pem-private-key`: a PEM private key (`-----BEGIN … PRIVATE KEY-----`), except the
 *   emulator's own infrastructure keys (its CA key and token-signing key), which are reported as
 *   allowed;
 * - `registered-secret`: key material a test registered with `registerSecretForLeakScan`, in raw,
 *   hex, base64 or base64url form, anywhere in a file (JSON, PEM lines, logs, binary);
 * - `byok-blob`: a `.byok` package (a `ciphertext` field next to a header whose `enc` is
 *   CKM_RSA_AES_KEY_WRAP, escaped or not) in a file that is not a `*.byok` file.
 *
 * Fingerprints, not keys. A registered key is reduced to its private parts (the AES key; RSA d,
 * p, q, dp, dq, qi; EC d: not the public key, whose presence is no leak), each of which lies
 * contiguously in every private key format. For each encoding of a part (raw bytes; lower and
 * upper hex; base64 and base64url of the bytes from offsets 0, 1 and 2, so that the part is found
 * at any alignment inside a larger encoded structure such as PKCS#8 in PEM), the registry keeps
 * the first 12 bytes of SHA-256 of every {@link WINDOW}-byte window at every offset. The scanner
 * hashes a file's windows at every {@link STRIDE}-th offset only, so any run of at least
 * WINDOW + STRIDE - 1 = 31 contiguous bytes of one encoding contains a window the registry holds:
 * that is the guarantee, at 1/8 of the hashing. Base64 broken into lines is scanned joined as
 * well. A 24-byte window of key bytes (144 bits of base64, 96 of hex) cannot be brute-forced from
 * its hash. Shorter encodings (a 16-byte AES key is 22 base64 characters) are also kept as the
 * hash of the whole encoding, and the scanner hashes every base64/hex token of 16 characters or
 * more, which is how such a key appears (a JWK `k`, a hex dump). Not covered: a raw binary AES
 * key of 16 or 24 bytes inside a binary file.
 *
 * @module
 */
import { createHash, KeyObject, randomUUID } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

/** Window length, in bytes of an encoding. */
export const WINDOW = 24;
/** Offset step of the scanner. */
export const STRIDE = 8;
const HASH_BYTES = 12;

function fingerprint(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest().subarray(0, HASH_BYTES).toString("base64");
}

function encodingsOf(secret: Buffer): Buffer[] {
  const encodings = [secret, Buffer.from(secret.toString("hex"))];
  encodings.push(Buffer.from(secret.toString("hex").toUpperCase()));
  for (let shift = 0; shift < 3 && shift < secret.length; shift++) {
    const tail = secret.subarray(shift);
    encodings.push(Buffer.from(tail.toString("base64").replace(/=+$/, "")));
    encodings.push(Buffer.from(tail.toString("base64url")));
  }
  return encodings;
}

/** What the registry keeps of one secret: hashes only. */
export interface SecretFingerprints {
  readonly label: string;
  readonly window: number;
  /** Truncated SHA-256 of every WINDOW-byte window of every encoding. */
  readonly windows: string[];
  /** Truncated SHA-256 of each whole text encoding (for short secrets, matched as tokens). */
  readonly tokens: string[];
}

/**
 * The private parts of a key: the raw AES key, or the private JWK members (RSA d, p, q, dp, dq,
 * qi; EC d) as big-endian bytes. Not the whole PKCS#8, which holds the public key too: a public
 * key in a file is no leak. Each part lies contiguously in every private key format (PKCS#8,
 * PKCS#1, SEC1, JWK), so finding the parts finds the formats.
 */
export function privatePartsOf(secret: KeyObject | Uint8Array): Buffer[] {
  if (!(secret instanceof KeyObject)) return [Buffer.from(secret)];
  const jwk = secret.export({ format: "jwk" });
  return [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi]
    .filter((member): member is string => member !== undefined)
    .map((member) => Buffer.from(member, "base64url"));
}

/** The fingerprints of `secret` under `label` (what `registerSecretForLeakScan` writes). */
export function secretFingerprints(
  label: string,
  secret: KeyObject | Uint8Array,
): SecretFingerprints {
  const windows = new Set<string>();
  const tokens = new Set<string>();
  for (const part of privatePartsOf(secret)) {
    for (const [index, encoding] of encodingsOf(part).entries()) {
      for (let offset = 0; offset + WINDOW <= encoding.length; offset++)
        windows.add(fingerprint(encoding.subarray(offset, offset + WINDOW)));
      if (index > 0) tokens.add(fingerprint(encoding));
    }
  }
  return { label, window: WINDOW, windows: [...windows], tokens: [...tokens] };
}

/** Writes the fingerprints of `secret` to `dir/<random>.json` (the registry). */
export function writeSecretFingerprints(
  dir: string,
  label: string,
  secret: KeyObject | Uint8Array,
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${randomUUID()}.json`),
    `${JSON.stringify(secretFingerprints(label, secret))}\n`,
  );
}

/** Every registered secret's fingerprints, by hash, naming the secret. */
export interface FingerprintIndex {
  readonly windows: Map<string, string>;
  readonly tokens: Map<string, string>;
  readonly secrets: number;
}

/** An index over fingerprints, for {@link findRegisteredSecret} (one entry = one secret). */
export function indexFingerprints(entries: Iterable<SecretFingerprints>): FingerprintIndex {
  const index: FingerprintIndex = { windows: new Map(), tokens: new Map(), secrets: 0 };
  let secrets = 0;
  for (const entry of entries) {
    if (entry.window !== WINDOW)
      throw new Error(`${entry.label}: window ${entry.window}, not ${WINDOW}`);
    for (const hash of entry.windows) index.windows.set(hash, entry.label);
    for (const hash of entry.tokens) index.tokens.set(hash, entry.label);
    secrets++;
  }
  return { ...index, secrets };
}

/** Reads the registry written by `registerSecretForLeakScan` (empty if the dir is absent). */
export function loadFingerprints(dir: string): FingerprintIndex {
  if (!existsSync(dir)) return indexFingerprints([]);
  return indexFingerprints(
    readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => JSON.parse(readFileSync(path.join(dir, name), "utf8")) as SecretFingerprints),
  );
}

/** One leak: which file, what kind, and a description that never quotes the material. */
export interface Leak {
  readonly file: string;
  readonly kind: "pem-private-key" | "registered-secret" | "byok-blob";
  readonly detail: string;
}

/** What a scan saw. */
export interface LeakScanReport {
  readonly filesScanned: number;
  readonly bytesScanned: number;
  readonly secretsKnown: number;
  readonly leaks: Leak[];
  /** Files holding a PEM private key that is the emulator's own (CA, token signing). */
  readonly allowed: string[];
}

/** The emulator's own private keys (test CA, its server CA, its token-signing key). */
const INFRASTRUCTURE_KEYS = new Set(["ca-key.pem", "token-signing-key.pem"]);

const PEM_PRIVATE = /-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED |OPENSSH )?)PRIVATE KEY-----/;
const BYOK_ENC = /\\*"enc\\*"\s*:\s*\\*"CKM_RSA_AES_KEY_WRAP/;
const BYOK_CIPHERTEXT = /\\*"ciphertext\\*"\s*:\s*\\*"[A-Za-z0-9_+/=-]{32,}/;
const TOKEN = /[A-Za-z0-9+/_-]{16,}/g;

function* filesUnder(root: string): Generator<string> {
  const stat = lstatSync(root, { throwIfNoEntry: false });
  if (stat === undefined || stat.isSymbolicLink()) return;
  if (stat.isFile()) {
    yield root;
    return;
  }
  if (!stat.isDirectory()) return;
  for (const name of readdirSync(root).sort()) yield* filesUnder(path.join(root, name));
}

/** Base64 broken into lines (PEM, wrapped logs), raw or JSON-escaped. */
const WRAPPED_BASE64 = /[A-Za-z0-9+/]{40,}(?:\r?\n|(?:\\r)?\\n)[A-Za-z0-9+/]{4}/;

/**
 * The first secret of `index` found in `bytes` (any encoding, across line breaks too), named with
 * where it was found; undefined when none is.
 */
export function findRegisteredSecret(bytes: Buffer, index: FingerprintIndex): string | undefined {
  const found = windowsIn(bytes, index);
  if (found !== undefined) return found;
  // Line breaks cut an encoding into pieces shorter than the guarantee: scan it joined as well.
  const text = bytes.toString("latin1");
  if (!WRAPPED_BASE64.test(text)) return undefined;
  const joined = windowsIn(Buffer.from(text.replace(/\r?\n|(?:\\r)?\\n/g, ""), "latin1"), index);
  return joined === undefined ? undefined : `${joined.replace(/ \(.*/, "")} (across line breaks)`;
}

function windowsIn(bytes: Buffer, index: FingerprintIndex): string | undefined {
  if (index.windows.size > 0) {
    for (let offset = 0; offset + WINDOW <= bytes.length; offset += STRIDE) {
      const label = index.windows.get(fingerprint(bytes.subarray(offset, offset + WINDOW)));
      if (label !== undefined) return `${label} (window at byte ${offset})`;
    }
  }
  if (index.tokens.size > 0) {
    for (const match of bytes.toString("latin1").matchAll(TOKEN)) {
      const label = index.tokens.get(fingerprint(Buffer.from(match[0].replace(/=+$/, ""))));
      if (label !== undefined) return `${label} (token at byte ${match.index})`;
    }
  }
  return undefined;
}

/**
 * Scans `roots` (files or directories; absent ones are skipped) for leaks. `skip` holds paths not
 * to scan (the fingerprint registry itself).
 */
export function scanForLeaks(
  roots: readonly string[],
  index: FingerprintIndex,
  options: { skip?: readonly string[] } = {},
): LeakScanReport {
  const skip = (options.skip ?? []).map((entry) => path.resolve(entry));
  const seen = new Set<string>();
  const leaks: Leak[] = [];
  const allowed: string[] = [];
  let bytesScanned = 0;
  for (const root of roots) {
    for (const file of filesUnder(path.resolve(root))) {
      if (seen.has(file)) continue;
      seen.add(file);
      if (skip.some((entry) => file === entry || file.startsWith(entry + path.sep))) continue;
      const bytes = readFileSync(file);
      bytesScanned += bytes.length;
      const text = bytes.toString("latin1");
      const pem = PEM_PRIVATE.exec(text);
      if (pem !== null) {
        if (INFRASTRUCTURE_KEYS.has(path.basename(file))) allowed.push(file);
        else
          leaks.push({
            file,
            kind: "pem-private-key",
            detail: `a PEM ${pem[1] ?? ""}PRIVATE KEY block at byte ${pem.index}`,
          });
      }
      const secret = findRegisteredSecret(bytes, index);
      if (secret !== undefined)
        leaks.push({ file, kind: "registered-secret", detail: `key material of ${secret}` });
      if (!file.endsWith(".byok") && BYOK_ENC.test(text) && BYOK_CIPHERTEXT.test(text))
        leaks.push({
          file,
          kind: "byok-blob",
          detail:
            "a .byok package (CKM_RSA_AES_KEY_WRAP header and ciphertext) outside a .byok file",
        });
    }
  }
  return { filesScanned: seen.size, bytesScanned, secretsKnown: index.secrets, leaks, allowed };
}
