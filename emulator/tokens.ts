/**
 * The emulator's access tokens: RS256 JWTs it signs itself and verifies on every call (signature,
 * audience, expiry), shaped like Entra ID v1 tokens (`oid`, `tid`, `appid`) so tools that peek at
 * a token see familiar claims.
 *
 * @module
 */
import { createHash, createPublicKey, randomUUID, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** The token audience of each service (contracts §4.1). */
export const MANAGED_HSM_RESOURCE = "https://managedhsm.azure.net";
export const VAULT_RESOURCE = "https://vault.azure.net";

/** Who a verified token speaks for. */
export interface TokenIdentity {
  readonly objectId: string;
  readonly tenantId: string;
  readonly appId: string;
  readonly audience: string;
}

/** What {@link TokenIssuer.issue} takes. */
export interface IssueTokenOptions {
  readonly objectId: string;
  /** The resource, with or without `/.default` or a trailing slash. */
  readonly audience: string;
  /** Lifetime in seconds; negative gives an already expired token. Default 3600. */
  readonly expiresInSeconds?: number;
}

/** A token that does not verify; the reason goes into the 401's message. */
export class TokenError extends Error {
  override readonly name = "TokenError";
}

/** Issues and verifies the emulator's tokens. */
export interface TokenIssuer {
  issue(options: IssueTokenOptions): { token: string; expiresOn: number };
  /** @throws TokenError naming what is wrong. */
  verify(token: string, audience: string): TokenIdentity;
  /** The public key tokens are signed with, as a JWK Set (the OpenID configuration's `jwks_uri`). */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
}

/** `https://managedhsm.azure.net/.default`, `https://managedhsm.azure.net/` → `https://managedhsm.azure.net`. */
export function normalizeAudience(value: string): string {
  return value.replace(/\/\.default$/, "").replace(/\/+$/, "");
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new TokenError(`The token's ${what} is not base64url JSON.`);
}

/** Verified tokens kept per issuer before the cache starts over. */
const MAX_VERIFIED_TOKENS = 1024;

/** A token issuer over an RSA private key (kept in the data dir, or made per run). */
export function createTokenIssuer(signingKey: KeyObject, tenantId: string): TokenIssuer {
  const publicKey = createPublicKey(signingKey);
  const kid = createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("base64url")
    .slice(0, 27);
  const issuer = `https://sts.windows.net/${tenantId}/`;
  // Tokens whose signature verified, with their payload: a client sends one token for an hour,
  // and RS256 verification of it on every request was ~6% of the emulator's CPU under a sign
  // load (issue 7). Expiry, audience and issuer are still checked on every request.
  const verified = new Map<string, Record<string, unknown>>();
  /** Checks a token's form and signature; its payload. */
  function verifySignature(token: string): Record<string, unknown> {
    const parts = token.split(".");
    if (parts.length !== 3)
      throw new TokenError("The token is not a JWT (three dot-separated parts).");
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodePart(headerPart, "header");
    if (header.alg !== "RS256")
      throw new TokenError(
        `The token's alg is ${String(header.alg)}: only RS256 tokens from the emulator's endpoints are accepted.`,
      );
    const valid = verify(
      "sha256",
      Buffer.from(`${headerPart}.${payloadPart}`),
      publicKey,
      Buffer.from(signaturePart, "base64url"),
    );
    if (!valid)
      throw new TokenError(
        "The token's signature does not verify: get a token from the emulator's identity endpoint.",
      );
    const payload = decodePart(payloadPart, "payload");
    if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
    verified.set(token, payload);
    return payload;
  }
  const jwk = publicKey.export({ format: "jwk" });
  return {
    jwks: { keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid, use: "sig", alg: "RS256" }] },
    issue({ objectId, audience, expiresInSeconds = 3600 }) {
      const now = Math.floor(Date.now() / 1000);
      const expiresOn = now + expiresInSeconds;
      const payload = {
        aud: normalizeAudience(audience),
        iss: issuer,
        iat: now,
        nbf: Math.min(now, expiresOn) - 300,
        exp: expiresOn,
        oid: objectId,
        sub: objectId,
        tid: tenantId,
        appid: objectId,
        idtyp: "app",
        uti: randomUUID(),
        ver: "1.0",
      };
      const signingInput = `${encodePart({ typ: "JWT", alg: "RS256", kid })}.${encodePart(payload)}`;
      const signature = sign("sha256", Buffer.from(signingInput), signingKey).toString("base64url");
      return { token: `${signingInput}.${signature}`, expiresOn };
    },
    verify(token, audience) {
      const payload = verified.get(token) ?? verifySignature(token);
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.exp !== "number" || payload.exp <= now)
        throw new TokenError("The token is expired.");
      if (typeof payload.nbf === "number" && payload.nbf > now + 300)
        throw new TokenError("The token is not yet valid.");
      const tokenAudience = typeof payload.aud === "string" ? normalizeAudience(payload.aud) : "";
      if (tokenAudience !== normalizeAudience(audience)) {
        throw new TokenError(
          `The audience '${tokenAudience}' is invalid: this service accepts tokens for '${normalizeAudience(audience)}'.`,
        );
      }
      if (payload.iss !== issuer)
        throw new TokenError("The token's issuer is not this emulator's tenant.");
      if (typeof payload.oid !== "string") throw new TokenError("The token has no oid claim.");
      return {
        objectId: payload.oid,
        tenantId,
        appId: typeof payload.appid === "string" ? payload.appid : payload.oid,
        audience: tokenAudience,
      };
    },
  };
}
