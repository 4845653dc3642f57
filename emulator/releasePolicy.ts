/**
 * Secure key release, the policy half: read the attestation token a caller sends as `target`
 * and decide whether its claims satisfy the key's release policy (contracts §3.2
 * KeyReleasePolicy; the CLI's policy template: `version` "1.0.0", `anyOf` branches each with an
 * `authority` and `allOf` conditions of `claim` + `equals`).
 *
 * Simplification, stated: the emulator has no attestation service to ask for signing keys, so
 * the token's signature is not verified. Its form, its expiry, its issuer (which must be one of
 * the policy's authorities) and its claims are checked; that is enough for tests of the release
 * flow, and says nothing about the security of a real attestation.
 *
 * @module
 */
import { badParameter, releasePolicyNotSatisfied } from "./errors.js";

/** The parts of an attestation token the release uses. */
export interface AttestationClaims {
  readonly issuer: string;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The RSA public key (JWK) in the token's runtime data that the released key is wrapped for. */
  readonly runtimeKey: { readonly kid: string; readonly n: string; readonly e: string };
}

function invalidTarget(reason: string): Error {
  return badParameter(
    `target is not a usable attestation token: ${reason}.`,
    "InvalidAttestationToken",
  );
}

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw invalidTarget(`its ${what} is not base64url JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidTarget(`its ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function objectAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The first RSA key of `x-ms-runtime.keys`, at the top level or under `x-ms-isolation-tee`. */
function runtimeKeyOf(claims: Record<string, unknown>): AttestationClaims["runtimeKey"] {
  const candidates = [
    objectAt(claims, ["x-ms-runtime", "keys"]),
    objectAt(claims, ["x-ms-isolation-tee", "x-ms-runtime", "keys"]),
  ];
  for (const keys of candidates) {
    if (!Array.isArray(keys)) continue;
    for (const key of keys as unknown[]) {
      const jwk = key as Record<string, unknown> | null;
      if (
        typeof jwk === "object" &&
        jwk !== null &&
        jwk.kty === "RSA" &&
        typeof jwk.n === "string" &&
        typeof jwk.e === "string"
      ) {
        return { kid: typeof jwk.kid === "string" ? jwk.kid : "runtime-key", n: jwk.n, e: jwk.e };
      }
    }
  }
  throw invalidTarget(
    "its claims hold no RSA key in x-ms-runtime.keys to wrap the released key for",
  );
}

/**
 * Reads an attestation token (a JWT from an attestation service).
 *
 * @throws ServiceError 400 BadParameter / InvalidAttestationToken: not a JWT, expired, no issuer,
 *   or no RSA runtime key.
 */
export function readAttestationToken(token: string, now: number): AttestationClaims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)))
    throw invalidTarget("it is not a JWT (three dot-separated base64url parts)");
  decodeJsonPart(parts[0] ?? "", "header");
  const claims = decodeJsonPart(parts[1] ?? "", "payload");
  if (typeof claims.exp === "number" && claims.exp <= now) throw invalidTarget("it has expired");
  if (typeof claims.iss !== "string" || claims.iss === "")
    throw invalidTarget("it has no iss (issuer) claim");
  return { issuer: claims.iss, claims, runtimeKey: runtimeKeyOf(claims) };
}

function normalizeAuthority(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "");
}

/** A claim by name, either a top-level member or a dotted path into nested objects. */
function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  return objectAt(claims, name.split("."));
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** Why a condition fails, or undefined when it holds. */
function unmet(condition: unknown, claims: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof condition !== "object" || condition === null || Array.isArray(condition))
    return "a condition is not a JSON object";
  const node = condition as Record<string, unknown>;
  if (Array.isArray(node.allOf)) {
    for (const child of node.allOf as unknown[]) {
      const reason = unmet(child, claims);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
  if (Array.isArray(node.anyOf)) {
    const reasons: string[] = [];
    for (const child of node.anyOf as unknown[]) {
      const reason = unmet(child, claims);
      if (reason === undefined) return undefined;
      reasons.push(reason);
    }
    return reasons.length === 0 ? "an anyOf is empty" : reasons.join("; or ");
  }
  if (typeof node.claim === "string" && isPrimitive(node.equals)) {
    const actual = claimValue(claims, node.claim);
    // Policies written by hand say "true" where the token has true: compare as text.
    if (isPrimitive(actual) && String(actual) === String(node.equals)) return undefined;
    return `claim ${node.claim} is ${actual === undefined ? "missing" : JSON.stringify(actual)}, the policy wants ${JSON.stringify(node.equals)}`;
  }
  return "a condition has neither allOf, anyOf nor claim + equals";
}

/**
 * Checks the attestation against a release policy: some `anyOf` branch whose `authority` is the
 * token's issuer, and whose `allOf`/`anyOf` conditions (nested freely; leaves `claim` + `equals`)
 * hold for the token's claims.
 *
 * @throws ServiceError 403 ReleasePolicyNotSatisfied naming the first unmet claim or the issuer.
 */
export function checkReleasePolicy(
  keyName: string,
  policyJson: Buffer,
  attestation: AttestationClaims,
): void {
  let policy: unknown;
  try {
    policy = JSON.parse(policyJson.toString("utf8"));
  } catch {
    throw releasePolicyNotSatisfied(keyName, "the key's release policy is not JSON");
  }
  const branches = (policy as { anyOf?: unknown } | null)?.anyOf;
  if (!Array.isArray(branches) || branches.length === 0)
    throw releasePolicyNotSatisfied(keyName, "the key's release policy has no anyOf branches");
  const issuer = normalizeAuthority(attestation.issuer);
  const reasons: string[] = [];
  const authorities: string[] = [];
  for (const branch of branches as unknown[]) {
    const authority = (branch as { authority?: unknown } | null)?.authority;
    if (typeof authority !== "string") continue;
    authorities.push(authority);
    if (normalizeAuthority(authority) !== issuer) continue;
    const { allOf, anyOf } = branch as { allOf?: unknown; anyOf?: unknown };
    const reason = unmet(
      allOf !== undefined ? { allOf } : anyOf !== undefined ? { anyOf } : {},
      attestation.claims,
    );
    if (reason === undefined) return;
    reasons.push(reason);
  }
  if (reasons.length === 0) {
    throw releasePolicyNotSatisfied(
      keyName,
      `the attestation token's issuer ${attestation.issuer} is not an authority of the policy (${authorities.join(", ") || "none"})`,
    );
  }
  throw releasePolicyNotSatisfied(keyName, reasons.join("; "));
}
