/**
 * Which api-versions the service accepts (contracts §2.4): 7.0 to 7.6 and 2025-07-01, each also
 * with a preview suffix (the Azure CLI sends 7.4-preview.1), and none missing.
 *
 * @module
 */
import { missingApiVersion, unsupportedApiVersion } from "./errors.js";

const ACCEPTED = /^(7\.[0-6]|2025-07-01)(-preview(\.\d+)?)?$/;

/** The request's api-version, checked. @throws ServiceError 400 BadParameter. */
export function requireApiVersion(query: URLSearchParams): string {
  const version = query.get("api-version");
  if (version === null || version === "") throw missingApiVersion();
  if (!ACCEPTED.test(version)) throw unsupportedApiVersion(version);
  return version;
}
