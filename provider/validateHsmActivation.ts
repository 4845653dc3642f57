/**
 * `check` of `ManagedHsmActivation`, and the security domain rules the `ByokManagedHsm` component
 * applies to its arguments too: 3-10 certificates, a quorum of 2-10 that is no more than the
 * certificates, RSA certificates of 2048 bits or more. Offline, every failure at once.
 *
 * @module
 * @internal
 */
import { RSA_KEY_SIZES, isRsaKeySize } from "../byok/index.js";
import {
  MAX_SECURITY_DOMAIN_CERTIFICATES,
  MAX_SECURITY_DOMAIN_QUORUM,
  MIN_SECURITY_DOMAIN_CERTIFICATES,
  MIN_SECURITY_DOMAIN_QUORUM,
  inspectSecurityDomainCertificate,
} from "./securityDomainCertificates.js";
import { containsUnknown, isUnknown } from "./unknowns.js";
import { Failures, checkOptionalBoolean, isAbsent } from "./validateCommon.js";
import type { CheckFailure } from "./validateCommon.js";
import { checkHsmUri } from "./validateHsmUri.js";

/** Certificates generated when none are supplied. */
export const DEFAULT_CERTIFICATE_COUNT = 3;
/** The quorum when none is given: the service's default (contracts §4.3). */
export const DEFAULT_QUORUM = 2;
/** RSA size of generated certificates. */
export const DEFAULT_CERTIFICATE_KEY_SIZE = 2048;
/** How long create waits for the service to report the HSM active, in seconds. */
export const DEFAULT_ACTIVATION_TIMEOUT_SECONDS = 600;
const MIN_TIMEOUT_SECONDS = 10;
const MAX_TIMEOUT_SECONDS = 3600;

/** The security domain settings, as the activation and the component take them. */
export interface SecurityDomainSettings {
  readonly certificates?: unknown;
  readonly certificateCount?: unknown;
  readonly certificateKeySize?: unknown;
  readonly quorum?: unknown;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/**
 * Checks the certificates (or how many to generate) and the quorum.
 *
 * @param settings - the values; any may be absent or the unknown sentinel.
 * @param failures - where failures go.
 * @param prefix - prepended to property names (`securityDomain.` in the component).
 */
export function checkSecurityDomainSettings(
  settings: SecurityDomainSettings,
  failures: Failures,
  prefix = "",
): void {
  const { certificates, certificateCount, certificateKeySize, quorum } = settings;
  const name = (property: string) => `${prefix}${property}`;
  let count: number | undefined;
  if (!isAbsent(certificates) && !isUnknown(certificates)) {
    if (!Array.isArray(certificates)) {
      failures.add(
        name("certificates"),
        `${name("certificates")} must be a list of PEM certificates`,
      );
    } else {
      count = certificates.length;
      if (count < MIN_SECURITY_DOMAIN_CERTIFICATES || count > MAX_SECURITY_DOMAIN_CERTIFICATES) {
        failures.add(
          name("certificates"),
          `${name("certificates")} has ${count} certificates: the security domain needs ${MIN_SECURITY_DOMAIN_CERTIFICATES} to ${MAX_SECURITY_DOMAIN_CERTIFICATES}; give more (or fewer) certificates, or leave it out to have ${DEFAULT_CERTIFICATE_COUNT} generated`,
        );
      }
      certificates.forEach((pem: unknown, i) => {
        if (containsUnknown(pem)) return;
        const facts =
          typeof pem === "string" ? inspectSecurityDomainCertificate(pem) : "it is not a string";
        if (typeof facts === "string") {
          failures.add(`${name("certificates")}[${i}]`, `${name("certificates")}[${i}]: ${facts}`);
        }
      });
    }
    if (!isAbsent(certificateCount)) {
      failures.add(
        name("certificateCount"),
        `${name("certificateCount")} is set with ${name("certificates")}: give either your own certificates or how many to generate, not both`,
      );
    }
    if (!isAbsent(certificateKeySize)) {
      failures.add(
        name("certificateKeySize"),
        `${name("certificateKeySize")} applies only to generated certificates: remove it, or remove ${name("certificates")}`,
      );
    }
  } else if (!isAbsent(certificateCount) && !isUnknown(certificateCount)) {
    if (
      !isWholeNumber(certificateCount) ||
      certificateCount < MIN_SECURITY_DOMAIN_CERTIFICATES ||
      certificateCount > MAX_SECURITY_DOMAIN_CERTIFICATES
    ) {
      failures.add(
        name("certificateCount"),
        `${name("certificateCount")} is ${JSON.stringify(certificateCount)}: the security domain needs ${MIN_SECURITY_DOMAIN_CERTIFICATES} to ${MAX_SECURITY_DOMAIN_CERTIFICATES} certificates; pick a whole number in that range`,
      );
    } else {
      count = certificateCount;
    }
  } else if (isAbsent(certificates) && isAbsent(certificateCount)) {
    count = DEFAULT_CERTIFICATE_COUNT;
  }
  if (
    !isAbsent(certificateKeySize) &&
    !isUnknown(certificateKeySize) &&
    !isRsaKeySize(certificateKeySize)
  ) {
    failures.add(
      name("certificateKeySize"),
      `${name("certificateKeySize")} is ${JSON.stringify(certificateKeySize)}: generated certificates have RSA keys of ${RSA_KEY_SIZES.join(", ")} bits; pick one of those`,
    );
  }
  if (isUnknown(quorum)) return;
  const q = isAbsent(quorum) ? DEFAULT_QUORUM : quorum;
  if (!isWholeNumber(q) || q < MIN_SECURITY_DOMAIN_QUORUM || q > MAX_SECURITY_DOMAIN_QUORUM) {
    failures.add(
      name("quorum"),
      `${name("quorum")} is ${JSON.stringify(q)}: the quorum is ${MIN_SECURITY_DOMAIN_QUORUM} to ${MAX_SECURITY_DOMAIN_QUORUM} certificates' keys; pick a whole number in that range`,
    );
  } else if (count !== undefined && q > count) {
    failures.add(
      name("quorum"),
      `${name("quorum")} is ${q} but there are only ${count} certificates: the security domain could never be restored; lower ${name("quorum")} to at most ${count}, or add certificates`,
    );
  }
}

function checkOptionalPath(value: unknown, property: string, failures: Failures): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (typeof value !== "string" || value.trim() === "") {
    failures.add(property, `${property} must be a non-empty file path, or left out`);
  }
}

/** Settings that cannot change once the HSM is activated with them. */
const FIXED_AFTER_ACTIVATION = [
  "certificates",
  "certificateCount",
  "certificateKeySize",
  "quorum",
] as const;

function describeSetting(value: unknown): string {
  if (value === undefined) return "not set";
  return Array.isArray(value) ? `${value.length} certificates` : JSON.stringify(value);
}

/** The result of {@link validateHsmActivationInputs}. */
export interface HsmActivationCheck {
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
}

/**
 * Validates `ManagedHsmActivation` inputs without any network call, and fills in defaults.
 *
 * @param olds - the inputs stored from the last deployment (empty on the first).
 * @param news - the inputs from the program; any value may be the unknown sentinel.
 */
export function validateHsmActivationInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): HsmActivationCheck {
  const failures = new Failures();
  const { hsmUri } = news;
  checkHsmUri(
    hsmUri,
    failures,
    "only a Managed HSM (https://<name>.managedhsm.azure.net) has a security domain to activate",
  );
  checkSecurityDomainSettings(news, failures);
  if (!isAbsent(news.certificates) && !isAbsent(news.certificatesDirectory)) {
    failures.add(
      "certificatesDirectory",
      "certificatesDirectory is where generated certificates and their keys are written, and certificates are supplied: remove certificatesDirectory (you hold your certificates already)",
    );
  }
  checkOptionalPath(news.securityDomainPath, "securityDomainPath", failures);
  checkOptionalPath(news.certificatesDirectory, "certificatesDirectory", failures);
  checkOptionalBoolean(news.overwriteFiles, "overwriteFiles", failures);
  const timeout = news.timeoutSeconds;
  if (
    !isAbsent(timeout) &&
    !isUnknown(timeout) &&
    (!isWholeNumber(timeout) || timeout < MIN_TIMEOUT_SECONDS || timeout > MAX_TIMEOUT_SECONDS)
  ) {
    failures.add(
      "timeoutSeconds",
      `timeoutSeconds is ${JSON.stringify(timeout)}: give ${MIN_TIMEOUT_SECONDS} to ${MAX_TIMEOUT_SECONDS} seconds`,
    );
  }
  const generated = isAbsent(news.certificates);
  const inputs: Record<string, unknown> = {
    ...news,
    quorum: isAbsent(news.quorum) ? DEFAULT_QUORUM : news.quorum,
    overwriteFiles: isAbsent(news.overwriteFiles) ? false : news.overwriteFiles,
    timeoutSeconds: isAbsent(timeout) ? DEFAULT_ACTIVATION_TIMEOUT_SECONDS : timeout,
    ...(generated
      ? {
          certificateCount: isAbsent(news.certificateCount)
            ? DEFAULT_CERTIFICATE_COUNT
            : news.certificateCount,
          certificateKeySize: isAbsent(news.certificateKeySize)
            ? DEFAULT_CERTIFICATE_KEY_SIZE
            : news.certificateKeySize,
        }
      : {}),
  };
  // An activated HSM keeps the domain it was activated with: changing what it was encrypted to
  // would replace the resource, and the new download would be refused. Say so at preview.
  if (typeof olds.hsmUri === "string" && olds.hsmUri === hsmUri) {
    for (const property of FIXED_AFTER_ACTIVATION) {
      const before = olds[property];
      const after = inputs[property];
      if (containsUnknown(after) || JSON.stringify(before) === JSON.stringify(after)) continue;
      failures.add(
        property,
        `${property} changed (was ${describeSetting(before)}), but ${hsmUri} is already activated with the old value and its security domain is downloaded only once: put ${property} back as it was`,
      );
    }
  }
  return { inputs, failures: failures.list };
}
