/**
 * `GET /securitydomain/download/pending`: `{ status, status_details }`, `InProgress` until the
 * download delay has passed, then `Success` (contracts §4.3). An HSM started activated reports
 * `Success`; one where no download was started answers 404.
 *
 * @module
 */
import { noSecurityDomainDownload } from "../errors.js";
import { DEFAULT_SECURITY_DOMAIN_DELAY_MS, defineOperation } from "../operation.js";
import { requireManagedHsm } from "../rbac/rbacRequests.js";
import { securityDomainDownloadStatus } from "../securityDomain/activation.js";
import { NO_SECURITY_DOMAIN, retryAfterSeconds } from "./downloadSecurityDomain.js";

export const getSecurityDomainDownloadStatus = defineOperation<Record<string, never>>({
  validate(_input, context) {
    requireManagedHsm(context, "/securitydomain/download/pending", NO_SECURITY_DOMAIN);
    return {};
  },
  handle(_request, context) {
    const status = securityDomainDownloadStatus(context.vault, context.store, Date.now());
    if (status === "None") throw noSecurityDomainDownload(context.vault.name);
    if (status === "InProgress") {
      return {
        status: 200,
        headers: {
          "Retry-After": retryAfterSeconds(
            context.securityDomainDownloadDelayMs ?? DEFAULT_SECURITY_DOMAIN_DELAY_MS,
          ),
        },
        body: {
          status: "InProgress",
          status_details: "The security domain download is in progress: the HSM is activating.",
        },
      };
    }
    return {
      status: 200,
      body: {
        status: "Success",
        status_details: "The security domain was downloaded: the HSM is activated.",
      },
    };
  },
});
