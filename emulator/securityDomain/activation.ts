/**
 * Whether a Managed HSM is activated: it started activated, or its security domain download
 * has finished (contracts §4.3). Derived from the durable download record rather than a flag
 * flipped by a timer, so a restart mid-download still finishes it on time.
 *
 * @module
 */
import type { VaultRuntime } from "../operation.js";
import type { KeyStoreReader } from "../store/keyStore.js";

/** The download's status now: none started, still running, or done. */
export function securityDomainDownloadStatus(
  vault: VaultRuntime,
  store: KeyStoreReader,
  nowMs: number,
): "None" | "InProgress" | "Success" {
  const download = store.getHsm(vault.name).download;
  if (download === undefined) return vault.activated ? "Success" : "None";
  return nowMs >= download.readyAt ? "Success" : "InProgress";
}

/** True when key calls are served. */
export function isHsmActivated(vault: VaultRuntime, store: KeyStoreReader, nowMs: number): boolean {
  return securityDomainDownloadStatus(vault, store, nowMs) === "Success";
}
