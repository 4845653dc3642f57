/**
 * Requests to the Managed HSM data plane that `@azure/keyvault-keys` does not make: the security
 * domain download and local RBAC (contracts §4.2, §4.3). No stock JavaScript client covers the
 * security domain, so this sends them through the same Azure core pipeline the Key Vault clients
 * use: Key Vault challenge authentication (`@azure/keyvault-common`), the SDK's retry policies
 * (429/503 wait for `Retry-After`) and its header-sanitizing logger.
 *
 * Challenge resource verification stays on under the Azure DNS suffixes and is relaxed only for
 * other hosts (an emulator on 127.0.0.1), as for the key clients (`keyClients.ts`).
 *
 * @module
 * @internal
 */
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import type { HttpClient, Pipeline } from "@azure/core-rest-pipeline";
import { keyVaultAuthenticationPolicy } from "@azure/keyvault-common";
import { parseVaultUrl } from "../../byok/index.js";
import { getCredential } from "./credential.js";
import { RETRY_OPTIONS } from "./keyClients.js";

/** The data-plane API version of these calls (`securitydomain.json`, `rbac.json` in 7.5). */
export const HSM_API_VERSION = "7.5";

/** A response, body parsed when it is JSON. */
export interface HsmResponse {
  readonly status: number;
  /** `Retry-After` in seconds, when the service sent one. */
  readonly retryAfterSeconds: number | undefined;
  readonly body: unknown;
}

/** One request. */
export interface HsmRequest {
  readonly method: "GET" | "PUT" | "POST" | "DELETE";
  /** The path under the HSM's URL, starting with `/`, without the query. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
}

const pipelines = new Map<string, Pipeline>();
let httpClient: HttpClient | undefined;

function pipelineFor(hsmUrl: string): Pipeline {
  const parsed = parseVaultUrl(hsmUrl);
  let pipeline = pipelines.get(parsed.vaultUrl);
  if (pipeline === undefined) {
    pipeline = createPipelineFromOptions({ retryOptions: RETRY_OPTIONS });
    pipeline.addPolicy(
      keyVaultAuthenticationPolicy(getCredential(), {
        disableChallengeResourceVerification: parsed.vaultKind === "unknown",
      }),
    );
    pipelines.set(parsed.vaultUrl, pipeline);
  }
  return pipeline;
}

function retryAfterOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * Sends one request to the HSM and returns whatever status came back (after the pipeline's
 * retries); the caller decides what each status means. Network failures throw.
 */
export async function sendHsmRequest(hsmUrl: string, request: HsmRequest): Promise<HsmResponse> {
  const base = parseVaultUrl(hsmUrl).vaultUrl;
  const url = `${base}${request.path}?api-version=${HSM_API_VERSION}`;
  const pipelineRequest = createPipelineRequest({
    url,
    method: request.method,
    headers: createHttpHeaders({
      accept: "application/json",
      ...(request.body === undefined ? {} : { "content-type": "application/json" }),
    }),
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
  httpClient ??= createDefaultHttpClient();
  const response = await pipelineFor(hsmUrl).sendRequest(httpClient, pipelineRequest);
  const text = response.bodyAsText ?? "";
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    retryAfterSeconds: retryAfterOf(response.headers.get("retry-after") ?? undefined),
    body,
  };
}
