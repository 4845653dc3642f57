/**
 * Activating a Managed HSM: the security domain download (contracts §4.3).
 * `POST /securitydomain/download` with the certificates' JWKs and the quorum answers 202 with the
 * security domain in the body; the HSM is active once `GET /securitydomain/download/pending`
 * says `Success`. The service's `Retry-After` sets the polling pace.
 *
 * @module
 * @internal
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ProviderError } from "../errors.js";
import type { SecurityDomainJwk } from "../securityDomainCertificates.js";
import { sendHsmRequest } from "./hsmDataPlane.js";
import { hsmArgument, hsmRequestError } from "./hsmErrors.js";

/** The download status the service reports. */
export type SecurityDomainStatus = "Success" | "InProgress" | "Failed";

/** Polling pace when the service sends no `Retry-After`, and the bounds put on one it sends. */
const DEFAULT_POLL_SECONDS = 2;
const MIN_POLL_SECONDS = 0.2;
const MAX_POLL_SECONDS = 30;

function statusOf(body: unknown): { status: SecurityDomainStatus; details?: string } | undefined {
  const { status, status_details: details } = (body ?? {}) as Record<string, unknown>;
  // older service versions said "Succeeded" (contracts §4.3)
  const normalized =
    status === "Succeeded" ? "Success" : typeof status === "string" ? status : undefined;
  if (normalized !== "Success" && normalized !== "InProgress" && normalized !== "Failed") {
    return undefined;
  }
  return { status: normalized, ...(typeof details === "string" ? { details } : {}) };
}

/**
 * The status of the HSM's security domain download, or `undefined` when the service reports
 * none (no download was ever started).
 */
export async function readSecurityDomainStatus(
  hsmUrl: string,
): Promise<{ status: SecurityDomainStatus; details?: string } | undefined> {
  const response = await sendHsmRequest(hsmUrl, {
    method: "GET",
    path: "/securitydomain/download/pending",
  });
  if (response.status === 200) return statusOf(response.body);
  if (response.status === 404 || response.status === 400 || response.status === 409) {
    return undefined;
  }
  throw hsmRequestError(response, "read the security domain download status", hsmUrl);
}

function alreadyActivated(hsmUrl: string): ProviderError {
  return new ProviderError(
    "ERR_HSM_ALREADY_ACTIVATED",
    `the Managed HSM ${hsmUrl} is already activated: its security domain was downloaded before (outside this stack, or by an activation whose state was lost), and this resource cannot download another one. ` +
      `Whoever activated it holds the security domain file and the private keys of its certificates; keep them safe. ` +
      `To go on, remove the ManagedHsmActivation resource from the program (with ByokManagedHsm: set activate: false); the role assignments and the KEK then work on the active HSM. ` +
      `To check: az keyvault security-domain wait ${hsmArgument(hsmUrl)}`,
  );
}

/** Options of {@link startSecurityDomainDownload}. */
export interface StartSecurityDomainDownloadOptions {
  readonly certificates: readonly SecurityDomainJwk[];
  /** How many of the certificates' private keys it takes to restore the domain. */
  readonly quorum: number;
}

/**
 * Starts the download that activates the HSM.
 *
 * @returns the security domain (JSON text, encrypted to the certificates) and the service's
 *   `Retry-After` for the first poll.
 * @throws ProviderError `ERR_HSM_ALREADY_ACTIVATED` when the HSM is active already.
 */
export async function startSecurityDomainDownload(
  hsmUrl: string,
  options: StartSecurityDomainDownloadOptions,
): Promise<{ securityDomain: string; retryAfterSeconds: number | undefined }> {
  const { certificates, quorum } = options;
  const before = await readSecurityDomainStatus(hsmUrl);
  if (before?.status === "Success") throw alreadyActivated(hsmUrl);
  const response = await sendHsmRequest(hsmUrl, {
    method: "POST",
    path: "/securitydomain/download",
    body: { certificates, required: quorum },
  });
  if (response.status === 202 || response.status === 200) {
    const value = (response.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== "string" || value === "") {
      throw new ProviderError(
        "ERR_ACTIVATION_FAILED",
        `the security domain download of ${hsmUrl} answered HTTP ${response.status} without a security domain (no "value" in the body); check the HSM's activation status (az keyvault security-domain wait ${hsmArgument(hsmUrl)}) before trying again`,
        { statusCode: response.status },
      );
    }
    return { securityDomain: value, retryAfterSeconds: response.retryAfterSeconds };
  }
  if (response.status === 400 || response.status === 409) {
    // the service refuses a second download; say so rather than show its bare refusal
    const after = await readSecurityDomainStatus(hsmUrl);
    if (after?.status === "Success") throw alreadyActivated(hsmUrl);
  }
  throw hsmRequestError(response, "download the security domain", hsmUrl);
}

/** Options of {@link waitForSecurityDomainDownload}. */
export interface WaitForSecurityDomainDownloadOptions {
  /** Give up after this long, in milliseconds. */
  readonly timeoutMs: number;
  /** The `Retry-After` of the answer that started the download, in seconds. */
  readonly firstDelaySeconds?: number;
}

function pollSeconds(retryAfter: number | undefined): number {
  return Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, retryAfter ?? DEFAULT_POLL_SECONDS));
}

/**
 * Polls the download status until `Success`, honouring `Retry-After`.
 *
 * @returns `"Success"`, or `"InProgress"` when `timeoutMs` passed first.
 * @throws ProviderError `ERR_ACTIVATION_FAILED` when the service reports `Failed`.
 */
export async function waitForSecurityDomainDownload(
  hsmUrl: string,
  options: WaitForSecurityDomainDownloadOptions,
): Promise<"Success" | "InProgress"> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = pollSeconds(options.firstDelaySeconds);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return "InProgress";
    await sleep(Math.min(delay * 1000, remaining));
    const response = await sendHsmRequest(hsmUrl, {
      method: "GET",
      path: "/securitydomain/download/pending",
    });
    if (response.status !== 200) {
      throw hsmRequestError(response, "read the security domain download status", hsmUrl);
    }
    const found = statusOf(response.body);
    if (found?.status === "Success") return "Success";
    if (found?.status === "Failed") {
      throw new ProviderError(
        "ERR_ACTIVATION_FAILED",
        `the security domain download of ${hsmUrl} failed${found.details === undefined ? "" : ` (${found.details})`}: the HSM is not activated. Check the certificates (RSA, 2048 bits or more, each used once) and the quorum, then run pulumi up again`,
      );
    }
    delay = pollSeconds(response.retryAfterSeconds);
  }
}
