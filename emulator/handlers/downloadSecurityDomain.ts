/**
 * `POST /securitydomain/download`: activates a Managed HSM (contracts §4.3). Answers 202 with
 * the security domain at once and `Azure-AsyncOperation` pointing at the status, which says
 * `InProgress` for the emulator's download delay and then `Success`; from then on key calls
 * work. Refused (409) on an HSM that is activated or activating: a second download would hand
 * out a second domain for the same keys.
 *
 * @module
 */
import { securityDomainAlreadyDownloaded } from "../errors.js";
import { DEFAULT_SECURITY_DOMAIN_DELAY_MS, defineOperation } from "../operation.js";
import { requireManagedHsm } from "../rbac/rbacRequests.js";
import { securityDomainDownloadStatus } from "../securityDomain/activation.js";
import { buildSecurityDomain } from "../securityDomain/securityDomainBlob.js";
import { parseSecurityDomainDownload } from "../securityDomain/wrappingCertificates.js";
import type { SecurityDomainDownloadRequest } from "../securityDomain/wrappingCertificates.js";

/** Why a Key Vault refuses the security domain APIs. */
export const NO_SECURITY_DOMAIN = "which has no security domain: a vault works once it is created";

/** `Retry-After` in whole seconds, at least 1, as the service sends it. */
export function retryAfterSeconds(delayMs: number): string {
  return String(Math.max(1, Math.ceil(delayMs / 1000)));
}

export const downloadSecurityDomain = defineOperation<SecurityDomainDownloadRequest>({
  validate({ body }, context) {
    requireManagedHsm(context, "/securitydomain/download", NO_SECURITY_DOMAIN);
    return parseSecurityDomainDownload(body);
  },
  handle(request, context) {
    const nowMs = Date.now();
    if (securityDomainDownloadStatus(context.vault, context.store, nowMs) !== "None")
      throw securityDomainAlreadyDownloaded(context.vault.name);
    const delayMs = context.securityDomainDownloadDelayMs ?? DEFAULT_SECURITY_DOMAIN_DELAY_MS;
    return {
      status: 202,
      headers: {
        "Azure-AsyncOperation": `${context.vaultUrl}/securitydomain/download/pending`,
        "Retry-After": retryAfterSeconds(delayMs),
      },
      body: { value: buildSecurityDomain(context.vault.name, request) },
      mutations: [
        {
          op: "startSecurityDomainDownload",
          vault: context.vault.name,
          download: {
            startedAt: nowMs,
            readyAt: nowMs + delayMs,
            required: request.required,
            certificateCount: request.keys.length,
          },
        },
      ],
    };
  },
});
