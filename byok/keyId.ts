/**
 * The one Key Vault key-identifier parser (STYLE.md rule 10): vault and Managed HSM hosts in every
 * cloud, other hosts such as an emulator's `https://localhost:8443`, versioned, version-less and
 * `deletedkeys` ids.
 *
 * @module
 */
import { ByokError } from "./errors.js";

/** Which service a vault URL points at, judged from its DNS suffix alone. */
export type VaultKind = "managedhsm" | "vault" | "unknown";

/** A parsed key identifier. */
export interface KeyId {
  /** `https://host[:port]`, host lower-cased, no trailing slash. */
  readonly vaultUrl: string;
  /** `keys` for a key, `deletedkeys` for a soft-deleted key's recovery id. */
  readonly collection: "keys" | "deletedkeys";
  /** The key name: 1-127 of `[0-9a-zA-Z-]`. */
  readonly name: string;
  /** The version, when the id has one. */
  readonly version?: string;
  /** The service, judged from the host's DNS suffix. */
  readonly vaultKind: VaultKind;
}

/** DNS suffixes of Managed HSM data planes (public, China, US Government clouds). */
export const MANAGED_HSM_DNS_SUFFIXES = [
  "managedhsm.azure.net",
  "managedhsm.azure.cn",
  "managedhsm.usgovcloudapi.net",
] as const;

/** DNS suffixes of Key Vault data planes (public, China, US Government, Germany clouds). */
export const VAULT_DNS_SUFFIXES = [
  "vault.azure.net",
  "vault.azure.cn",
  "vault.usgovcloudapi.net",
  "vault.microsoftazure.de",
] as const;

const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const KEY_VERSION = /^[0-9a-zA-Z]{1,64}$/;

/** True when `name` is a valid Key Vault object name (1-127 of `[0-9a-zA-Z-]`). */
export function isValidKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

/** The service a host belongs to, from its DNS suffix; `unknown` for any other host. */
export function vaultKindOfHost(hostname: string): VaultKind {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (MANAGED_HSM_DNS_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`))) return "managedhsm";
  if (VAULT_DNS_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`))) return "vault";
  return "unknown";
}

/**
 * Normalizes a vault or Managed HSM URL to `https://host[:port]`.
 *
 * @param url - the vault URL, with or without a trailing slash.
 * @param what - the property name used in the error message.
 * @throws ByokError `ERR_KEY_ID` when it is not an https URL with only a host.
 */
export function parseVaultUrl(
  url: string,
  what = "vaultUrl",
): { vaultUrl: string; vaultKind: VaultKind } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${url}" is not a URL: use https://<name>.managedhsm.azure.net or https://<name>.vault.azure.net`,
    );
  }
  if (parsed.protocol !== "https:") {
    throw new ByokError("ERR_KEY_ID", `${what} "${url}" must use https`);
  }
  if (parsed.pathname !== "/" && parsed.pathname !== "") {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${url}" has a path "${parsed.pathname}": give only the vault's base URL, such as https://<name>.vault.azure.net`,
    );
  }
  if (
    parsed.search !== "" ||
    parsed.hash !== "" ||
    parsed.username !== "" ||
    parsed.password !== ""
  ) {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${url}" must not carry a query, fragment or credentials`,
    );
  }
  return {
    vaultUrl: `https://${parsed.host.toLowerCase()}`,
    vaultKind: vaultKindOfHost(parsed.hostname),
  };
}

/**
 * Parses a key identifier such as
 * `https://contoso.managedhsm.azure.net/keys/KEKforBYOK/eba63d27e4e34e028839b53fac905621`.
 *
 * @param kid - the identifier; a trailing slash is tolerated.
 * @param what - the property name used in error messages (default `kid`).
 * @throws ByokError `ERR_KEY_ID` naming the id and the segment at fault.
 */
export function parseKeyId(kid: string, what = "kid"): KeyId {
  let parsed: URL;
  try {
    parsed = new URL(kid);
  } catch {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" is not a Key Vault key id: expected https://<vault>/keys/<name>/<version>`,
    );
  }
  if (parsed.protocol !== "https:") {
    throw new ByokError("ERR_KEY_ID", `${what} "${kid}" must be an https URL`);
  }
  if (
    parsed.search !== "" ||
    parsed.hash !== "" ||
    parsed.username !== "" ||
    parsed.password !== ""
  ) {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" carries a query, fragment or credentials: a key id is https://<vault>/keys/<name>/<version> and nothing more`,
    );
  }
  const segments = parsed.pathname.split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  const [collection, name, version, ...rest] = segments;
  if (collection !== "keys" && collection !== "deletedkeys") {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" is not a key id: its path must start with /keys/ (found "/${collection ?? ""}")`,
    );
  }
  if (name === undefined || !KEY_NAME.test(name)) {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" has an invalid key name "${name ?? ""}": names are 1-127 of 0-9, a-z, A-Z and -`,
    );
  }
  if (rest.length > 0 || (collection === "deletedkeys" && version !== undefined)) {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" has extra path segments after the key name and version`,
    );
  }
  if (version !== undefined && !KEY_VERSION.test(version)) {
    throw new ByokError("ERR_KEY_ID", `${what} "${kid}" has an invalid version "${version}"`);
  }
  const { vaultUrl, vaultKind } = parseVaultUrl(`${parsed.protocol}//${parsed.host}`, what);
  return version === undefined
    ? { vaultUrl, collection, name, vaultKind }
    : { vaultUrl, collection, name, version, vaultKind };
}

/**
 * Parses a versioned key id, as the `.byok` header's `kid` and a KEK's `kid` output must be.
 *
 * @throws ByokError `ERR_KEY_ID` when the id has no version.
 */
export function parseVersionedKeyId(kid: string, what = "kid"): KeyId & { version: string } {
  const id = parseKeyId(kid, what);
  if (id.collection !== "keys" || id.version === undefined) {
    throw new ByokError(
      "ERR_KEY_ID",
      `${what} "${kid}" has no version: use the KEK's full id, https://<vault>/keys/<name>/<version>`,
    );
  }
  return { ...id, version: id.version };
}

/** Formats `https://host/keys/name[/version]`. */
export function formatKeyId(vaultUrl: string, name: string, version?: string): string {
  const base = vaultUrl.replace(/\/+$/, "");
  return version === undefined ? `${base}/keys/${name}` : `${base}/keys/${name}/${version}`;
}
