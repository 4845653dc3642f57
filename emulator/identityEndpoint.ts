/**
 * The token endpoints, on 127.0.0.1 on their own port, which speaks plain HTTP and HTTPS
 * (`httpAndHttpsServer.ts`):
 * - App Service managed identity (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, plain HTTP as on App
 *   Service): `GET /msi/token?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER`,
 *   answering `{ access_token, expires_on, resource, token_type }` as MSAL's App Service source
 *   reads it (`expires_on` in Unix seconds), so `DefaultAzureCredential` works unchanged;
 * - OAuth2 client credentials: `POST /{tenant}/oauth2/v2.0/token` (`scope`) and
 *   `/{tenant}/oauth2/token` (`resource`), `client_id` = an identity's object id or name,
 *   `client_secret` = the `IDENTITY_HEADER` value: over HTTP for scripts and curl, over HTTPS as
 *   an authority host for `ClientSecretCredential` (which refuses `http://`), with the OpenID
 *   configuration MSAL reads first (`GET /{tenant}/v2.0/.well-known/openid-configuration`, its
 *   issuer on the same origin, as MSAL checks) and the signing key set (`jwks_uri`). MSAL's
 *   instance discovery asks login.microsoftonline.com, which is not on loopback: clients pass
 *   `disableInstanceDiscovery: true`.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { logger } from "./logger.js";
import { normalizeAudience } from "./tokens.js";
import type { TokenIssuer } from "./tokens.js";

/** An identity tokens are issued for. */
export interface IdentityRecord {
  readonly objectId: string;
  readonly name?: string;
}

/** What the endpoint needs. */
export interface IdentityEndpointOptions {
  readonly tokens: TokenIssuer;
  readonly identities: readonly IdentityRecord[];
  /** The `X-IDENTITY-HEADER` value and client secret. */
  readonly secret: string;
  readonly tenantId: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify(body));
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function findIdentity(
  identities: readonly IdentityRecord[],
  id: string | null | undefined,
): IdentityRecord | undefined {
  if (id === null || id === undefined || id === "") return identities[0];
  return identities.find((identity) => identity.objectId === id || identity.name === id);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", reject);
    req.on("end", () => {
      resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    });
  });
}

function isServedTenant(tenant: string, tenantId: string): boolean {
  return tenant === tenantId || tenant === "organizations" || tenant === "common";
}

function tenantNotFound(tenant: string, tenantId: string) {
  return {
    error: "invalid_request",
    error_description: `AADSTS90002: Tenant '${tenant}' not found: use ${tenantId}.`,
  };
}

/** `https://host:port` (or `http://`) as the client reached this endpoint. */
function originOf(req: IncomingMessage): string {
  const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
  const host = req.headers.host ?? `127.0.0.1:${String(req.socket.localPort)}`;
  return `${secure ? "https" : "http"}://${host}`;
}

/** What MSAL reads before a token request (it requires these four members). */
function openIdConfiguration(origin: string, tenant: string, tenantId: string) {
  return {
    issuer: `${origin}/${tenantId}/v2.0`,
    authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
    jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
    token_endpoint_auth_methods_supported: ["client_secret_post"],
    grant_types_supported: ["client_credentials"],
    response_types_supported: ["token"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

/** The request listener of the token endpoints. */
export function createIdentityRequestListener(options: IdentityEndpointOptions) {
  const { tokens, identities, secret, tenantId } = options;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/msi/token") {
      const header = req.headers["x-identity-header"];
      if (!sameSecret(typeof header === "string" ? header : undefined, secret)) {
        sendJson(res, 401, {
          statusCode: 401,
          message:
            "X-IDENTITY-HEADER is missing or wrong: use the IDENTITY_HEADER the emulator printed.",
        });
        return;
      }
      const resource = url.searchParams.get("resource");
      if (resource === null || resource === "") {
        sendJson(res, 400, {
          statusCode: 400,
          message: "resource is required, e.g. https://managedhsm.azure.net",
        });
        return;
      }
      const requested =
        url.searchParams.get("object_id") ??
        url.searchParams.get("principal_id") ??
        url.searchParams.get("client_id");
      const identity = findIdentity(identities, requested);
      if (identity === undefined) {
        sendJson(res, 400, {
          statusCode: 400,
          message: `No managed identity ${requested ?? ""} is assigned to this emulator.`,
        });
        return;
      }
      const { token, expiresOn } = tokens.issue({
        objectId: identity.objectId,
        audience: resource,
      });
      logger.info(
        `managed identity token for ${identity.objectId} (${normalizeAudience(resource)})`,
      );
      sendJson(res, 200, {
        access_token: token,
        expires_on: String(expiresOn),
        resource: normalizeAudience(resource),
        token_type: "Bearer",
        client_id: identity.objectId,
      });
      return;
    }
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (req.method === "GET" && discovery !== null) {
      const tenant = discovery[1] ?? "";
      if (!isServedTenant(tenant, tenantId)) {
        sendJson(res, 400, tenantNotFound(tenant, tenantId));
        return;
      }
      sendJson(res, 200, openIdConfiguration(originOf(req), tenant, tenantId));
      return;
    }
    const keysPath = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(url.pathname);
    if (req.method === "GET" && keysPath !== null) {
      sendJson(res, 200, tokens.jwks);
      return;
    }
    const tokenPath = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token$/.exec(url.pathname);
    if (req.method === "POST" && tokenPath !== null) {
      void readForm(req).then(
        (form) => {
          if (!isServedTenant(tokenPath[1] ?? "", tenantId)) {
            sendJson(res, 400, tenantNotFound(tokenPath[1] ?? "", tenantId));
            return;
          }
          if (form.get("grant_type") !== "client_credentials") {
            sendJson(res, 400, {
              error: "unsupported_grant_type",
              error_description: "Only client_credentials is supported.",
            });
            return;
          }
          const identity = findIdentity(identities, form.get("client_id") ?? "");
          if (
            form.get("client_id") === null ||
            identity === undefined ||
            !sameSecret(form.get("client_secret") ?? undefined, secret)
          ) {
            sendJson(res, 401, {
              error: "invalid_client",
              error_description: "AADSTS7000215: Invalid client id or secret.",
            });
            return;
          }
          const audience =
            tokenPath[2] === undefined ? form.get("resource") : form.get("scope")?.split(" ")[0];
          if (audience === null || audience === undefined || audience === "") {
            sendJson(res, 400, {
              error: "invalid_request",
              error_description:
                tokenPath[2] === undefined ? "resource is required." : "scope is required.",
            });
            return;
          }
          const expiresIn = 3600;
          const { token } = tokens.issue({
            objectId: identity.objectId,
            audience,
            expiresInSeconds: expiresIn,
          });
          sendJson(res, 200, {
            token_type: "Bearer",
            expires_in: expiresIn,
            ext_expires_in: expiresIn,
            access_token: token,
          });
        },
        () => {
          sendJson(res, 400, { error: "invalid_request" });
        },
      );
      return;
    }
    sendJson(res, 404, {
      error: "not_found",
      error_description: `No token endpoint at ${req.method ?? ""} ${url.pathname}.`,
    });
  };
}
