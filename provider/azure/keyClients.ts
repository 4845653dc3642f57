/**
 * One `KeyClient` per vault URL, cached for the life of the plugin process.
 *
 * Challenge resource verification (contracts §3.4) stays on for every host under the Key Vault
 * and Managed HSM DNS suffixes; it is relaxed only for other hosts (an emulator on 127.0.0.1),
 * whose challenge names a resource that cannot match their host. Nothing else is special-cased.
 *
 * Retries are the SDK pipeline's own: 429 and 503 wait for `Retry-After`, other transient faults
 * back off exponentially (`@typespec/ts-http-runtime` `throttlingRetryStrategy`,
 * `exponentialRetryStrategy`); overall at most `maxRetries` attempts more.
 *
 * @module
 * @internal
 */
import { KeyClient } from "@azure/keyvault-keys";
import { parseVaultUrl } from "../../byok/index.js";
import { getCredential } from "./credential.js";

/** Retry settings: about a minute of patience for throttling (contracts §5.1 suggests 1-16 s). */
export const RETRY_OPTIONS = {
  maxRetries: 6,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 16_000,
} as const;

const clients = new Map<string, KeyClient>();

/** The client for a vault, built on first use in this process. */
export function getKeyClient(vaultUrl: string): KeyClient {
  const parsed = parseVaultUrl(vaultUrl);
  let client = clients.get(parsed.vaultUrl);
  if (client === undefined) {
    client = new KeyClient(parsed.vaultUrl, getCredential(), {
      disableChallengeResourceVerification: parsed.vaultKind === "unknown",
      retryOptions: RETRY_OPTIONS,
    });
    clients.set(parsed.vaultUrl, client);
  }
  return client;
}
