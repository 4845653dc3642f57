/**
 * Starting the emulator in a test worker and talking to it with the stock clients: the real
 * `KeyClient` and `CryptographyClient` with `DefaultAzureCredential` through the emulator's
 * managed-identity endpoint, trust through NODE_EXTRA_CA_CERTS (set by ava from the test CA),
 * retries off so the first failure shows. Plus a raw HTTPS helper for what clients never send.
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import https from "node:https";
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { generateTargetKey, parseKeySpec } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { startEmulator } from "../../emulator/index.js";
import type { EmulatorOptions, RunningEmulator } from "../../emulator/index.js";
import { registerTargetKeyForLeakScan } from "../reliability/reliabilitySettings.js";

/** The test CA made by `prepareTestEnv.ts`, trusted by every ava worker. */
export const TEST_CA_DIR = ".azure-byok/test-ca";

/** A started emulator and clients for it. */
export interface TestEmulator {
  readonly emulator: RunningEmulator;
  readonly credential: TokenCredential;
  keyClient(vaultName?: string): KeyClient;
  cryptographyClient(keyId: string): CryptographyClient;
}

/**
 * A new object per client: the KeyClient constructor writes its user-agent prefix into the options
 * it is given, so one shared object grew the User-Agent by 30 characters per client until, a few
 * hundred clients later, the emulator refused the request (HPE_HEADER_OVERFLOW, 400).
 */
function clientOptions() {
  return { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } };
}

/**
 * Starts an emulator on free ports with the test CA, and points this worker's managed identity
 * variables at it (one emulator per test file: ava runs each file in its own process).
 */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ caDir: TEST_CA_DIR, ...options });
  process.env.IDENTITY_ENDPOINT = emulator.env.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = emulator.env.IDENTITY_HEADER;
  const credential = new DefaultAzureCredential();
  const first = emulator.vaults[0]?.name ?? "";
  return {
    emulator,
    credential,
    keyClient: (vaultName = first) =>
      new KeyClient(emulator.url(vaultName), credential, clientOptions()),
    cryptographyClient: (keyId) => new CryptographyClient(keyId, credential, clientOptions()),
  };
}

const targets = new Map<string, Promise<TargetKey>>();

/** A target key per spec name ("rsa-4096", "ec-p256k", "oct-256"), memoized per worker: RSA-4096 takes seconds here. */
export function memoizedTargetKey(spec: string): Promise<TargetKey> {
  let key = targets.get(spec);
  if (key === undefined) {
    key = generateTargetKey(parseKeySpec(spec)).then((target) =>
      registerTargetKeyForLeakScan(`memoizedTargetKey ${spec}`, target),
    );
    targets.set(spec, key);
  }
  return key;
}

/** A raw HTTPS response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: unknown;
}

/** Sends a request as no SDK would (no token, a forged token, no api-version). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      url,
      {
        method: options.method ?? "GET",
        headers: {
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = body === "" ? undefined : JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The service error of a RestError thrown by the SDK: status, code and inner code. */
export function serviceErrorOf(error: unknown): {
  statusCode?: number;
  code?: string;
  innerCode?: string;
  message: string;
} {
  const e = error as {
    statusCode?: number;
    code?: string;
    message?: string;
    details?: { error?: { code?: string; innerError?: { code?: string } } };
  };
  return {
    ...(e.statusCode === undefined ? {} : { statusCode: e.statusCode }),
    ...(e.details?.error?.code === undefined
      ? e.code === undefined
        ? {}
        : { code: e.code }
      : { code: e.details.error.code }),
    ...(e.details?.error?.innerError?.code === undefined
      ? {}
      : { innerCode: e.details.error.innerError.code }),
    message: e.message ?? String(error),
  };
}

/** An RSA key's public half as SPKI PEM, from the JWK the service returned. */
export function rsaPublicKeyPem(key: KeyVaultKey): string {
  const jwk = key.key;
  if (jwk?.n === undefined || jwk.e === undefined)
    throw new Error(`${key.name} has no RSA public key`);
  return createPublicKey({
    key: {
      kty: "RSA",
      n: Buffer.from(jwk.n).toString("base64url"),
      e: Buffer.from(jwk.e).toString("base64url"),
    },
    format: "jwk",
  })
    .export({ type: "spki", format: "pem" })
    .toString();
}

/** Creates an import-only RSA-HSM 2048 KEK, as BYOK needs it, and returns it with its PEM. */
export async function createTestKek(
  keys: KeyClient,
  name: string,
): Promise<{ kek: KeyVaultKey; publicKeyPem: string }> {
  const kek = await keys.createRsaKey(name, { hsm: true, keySize: 2048, keyOps: ["import"] });
  return { kek, publicKeyPem: rsaPublicKeyPem(kek) };
}
