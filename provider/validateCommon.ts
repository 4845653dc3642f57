/**
 * Checks both resources' `check` share: each one adds `{ property, reason }` failures to a list
 * instead of throwing, so `check` reports every problem at once (STYLE.md rule 4), and each one
 * skips a value that is the engine's unknown sentinel.
 *
 * @module
 * @internal
 */
import { isByokError, isValidKeyName, parseVaultUrl } from "../byok/index.js";
import type { VaultKind } from "../byok/index.js";
import { containsUnknown, isUnknown } from "./unknowns.js";

/** One failed input, as the engine shows it: the property and what to do. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** Collects check failures. */
export class Failures {
  readonly list: CheckFailure[] = [];

  /** Records that `property` is wrong and why, with the fix. */
  add(property: string, reason: string): void {
    this.list.push({ property, reason });
  }
}

/** The tag limits of Key Vault and Managed HSM (contracts §3.2). */
export const MAX_TAGS = 15;
export const MAX_TAG_LENGTH = 256;

/** True when the value is absent (the program left it out). */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Checks `vaultUrl`; returns its normalized form and kind when it is known and valid. */
export function checkVaultUrl(
  value: unknown,
  failures: Failures,
): { vaultUrl: string; vaultKind: VaultKind } | undefined {
  if (isUnknown(value)) return undefined;
  if (typeof value !== "string" || value === "") {
    failures.add(
      "vaultUrl",
      "vaultUrl is required: give the vault's base URL, such as https://<name>.managedhsm.azure.net or https://<name>.vault.azure.net",
    );
    return undefined;
  }
  try {
    return parseVaultUrl(value, "vaultUrl");
  } catch (error) {
    if (!isByokError(error)) throw error;
    failures.add("vaultUrl", error.message);
    return undefined;
  }
}

/** Checks a Key Vault object name (1-127 of `[0-9a-zA-Z-]`). */
export function checkKeyName(value: unknown, failures: Failures): void {
  if (isUnknown(value)) return;
  if (typeof value !== "string" || !isValidKeyName(value)) {
    const seen = typeof value === "string" ? `"${value}"` : String(value);
    failures.add(
      "name",
      `name is ${seen}: a key name is 1-127 characters of 0-9, a-z, A-Z and -; rename the key`,
    );
  }
}

/** Checks an optional boolean input. */
export function checkOptionalBoolean(value: unknown, property: string, failures: Failures): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (typeof value !== "boolean") {
    failures.add(property, `${property} is a ${typeof value}: give true or false`);
  }
}

/**
 * The latest date the vault can be given: `@azure/keyvault-keys` (4.10) writes `nbf` and `exp` as
 * `(date.getTime() / 1000) | 0`, a signed 32-bit number of seconds, so a later date reaches the
 * vault as one between 1901 and 1970 (an expiry in 2099 would make an already expired key).
 */
export const LATEST_KEY_DATE = new Date(2 ** 31 * 1000 - 1000);

/** Checks an optional ISO 8601 date; returns it when known and valid. */
export function checkDate(value: unknown, property: string, failures: Failures): Date | undefined {
  if (isAbsent(value) || isUnknown(value)) return undefined;
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (
    date === undefined ||
    Number.isNaN(date.getTime()) ||
    !/^\d{4}-\d{2}-\d{2}/.test(value as string)
  ) {
    failures.add(
      property,
      `${property} is ${JSON.stringify(value)}: give an ISO 8601 date such as 2027-01-31T00:00:00Z`,
    );
    return undefined;
  }
  if (date > LATEST_KEY_DATE) {
    failures.add(
      property,
      `${property} is ${JSON.stringify(value)}: the latest date the Azure SDK can send is ${LATEST_KEY_DATE.toISOString()} (it writes dates as 32-bit seconds, so a later one would reach the vault as a date before 1970); give an earlier date, or leave ${property} unset`,
    );
    return undefined;
  }
  return date;
}

/** Checks `notBefore` and `expiresOn` together: the key must be usable for some time. */
export function checkDates(news: Record<string, unknown>, failures: Failures): void {
  const notBefore = checkDate(news.notBefore, "notBefore", failures);
  const expiresOn = checkDate(news.expiresOn, "expiresOn", failures);
  if (notBefore !== undefined && expiresOn !== undefined && notBefore >= expiresOn) {
    failures.add(
      "expiresOn",
      `expiresOn (${expiresOn.toISOString()}) is not after notBefore (${notBefore.toISOString()}): move expiresOn later or notBefore earlier`,
    );
  }
}

/** Checks `tags`: an object of at most 15 string values, names and values up to 256 characters. */
export function checkTags(value: unknown, failures: Failures): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (typeof value !== "object" || Array.isArray(value)) {
    failures.add("tags", 'tags must be an object of string values, such as { env: "prod" }');
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_TAGS) {
    failures.add(
      "tags",
      `tags has ${entries.length} entries: Key Vault allows at most ${MAX_TAGS}; remove some`,
    );
  }
  for (const [name, tagValue] of entries) {
    if (name.length > MAX_TAG_LENGTH) {
      failures.add(
        `tags.${name}`,
        `tag name is ${name.length} characters: at most ${MAX_TAG_LENGTH} are allowed; shorten it`,
      );
    }
    if (containsUnknown(tagValue)) continue;
    if (typeof tagValue !== "string") {
      failures.add(`tags.${name}`, `tags.${name} is a ${typeof tagValue}: tag values are strings`);
    } else if (tagValue.length > MAX_TAG_LENGTH) {
      failures.add(
        `tags.${name}`,
        `tags.${name} is ${tagValue.length} characters: at most ${MAX_TAG_LENGTH} are allowed; shorten it`,
      );
    }
  }
}

/** The longest wait `roleWaitSeconds` may ask for: half an hour (Azure RBAC can take minutes). */
export const MAX_ROLE_WAIT_SECONDS = 1800;

/** Checks `roleWaitSeconds`: a whole number of seconds from 0 to {@link MAX_ROLE_WAIT_SECONDS}. */
export function checkRoleWaitSeconds(value: unknown, failures: Failures): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    failures.add(
      "roleWaitSeconds",
      `roleWaitSeconds is ${JSON.stringify(value)}: give a whole number of seconds, 0 (fail at once on a missing role) up to ${MAX_ROLE_WAIT_SECONDS}`,
    );
  } else if (value > MAX_ROLE_WAIT_SECONDS) {
    failures.add(
      "roleWaitSeconds",
      `roleWaitSeconds is ${value}: at most ${MAX_ROLE_WAIT_SECONDS} (30 minutes); a role that has not taken effect by then is missing, so grant it and run pulumi up again`,
    );
  }
}
