/**
 * The request pipeline, its stages in order on one screen (STYLE.md rule 7):
 * route → faults → authenticate → authorize → validate → handle → store → error.
 * A write's handle and store run in its vault's write queue (`KeyStore.write`).
 *
 * One listener serves each vault (its own port, so stock clients need no DNS changes); any
 * listener also routes by a Host header of `{name}.managedhsm.azure.net` or
 * `{name}.vault.azure.net`. Key ids use the host the client used.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { vaultKindOfHost } from "../byok/index.js";
import { requireApiVersion } from "./apiVersion.js";
import { authenticateRequest } from "./authenticate.js";
import { authorizeRequest } from "./authorize.js";
import type { RbacDecision } from "./authorize.js";
import {
  badParameter,
  bodyTooLarge,
  internalError,
  isServiceError,
  renderServiceError,
  serviceUnavailable,
  throttled,
  unknownOperation,
  unknownVault,
} from "./errors.js";
import type { ServiceError } from "./errors.js";
import type { FaultInjector, InjectedFault } from "./faults.js";
import type { ReleaseSigner } from "./keyRelease.js";
import { OPERATIONS } from "./handlers/index.js";
import { logger } from "./logger.js";
import type { HandlerContext, HandlerResult, VaultRuntime } from "./operation.js";
import { matchRoute } from "./routes.js";
import type { KeyStore } from "./store/keyStore.js";
import type { TokenIssuer } from "./tokens.js";

/** What every listener shares. */
export interface ServerDeps {
  /** Served vaults by lower-cased name. */
  readonly vaults: ReadonlyMap<string, VaultRuntime>;
  readonly store: KeyStore;
  readonly tokens: TokenIssuer;
  readonly tenantId: string;
  readonly decide: RbacDecision;
  /** Signs key release results with the server certificate's key. */
  readonly releaseSigner: ReleaseSigner;
  /** How long a security domain download stays `InProgress`, in milliseconds. */
  readonly securityDomainDownloadDelayMs: number;
  /** How long a new role assignment takes to count for authorization, in milliseconds. */
  readonly roleAssignmentDelayMs: number;
  /** Faults a test asked for (issue 8); none unless set. */
  readonly faults?: FaultInjector;
}

/**
 * The `clientError` listener of a vault's server: a request Node's HTTP parser refuses (bad
 * framing, a body with no length, header bytes out of range) gets the service's 400 shape and
 * the connection closes, instead of Node's bare `400 Bad Request` with no body.
 */
export function answerUnparsableRequest(error: Error & { code?: string }, socket: Duplex): void {
  const requestId = randomUUID();
  logger.info(`${requestId} unparsable request ${error.code ?? error.message} 400`);
  // A body that breaks the framing after the pipeline began answering (a bad chunk): that
  // request's own answer is under way or sent; a second one would corrupt the stream.
  if (!socket.writable || socketsAnswering.has(socket)) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(
    renderServiceError(
      badParameter(`The request is not valid HTTP/1.1 (${error.code ?? "parse error"}).`),
      {
        managedHsm: false,
        activityId: requestId,
      },
    ),
  );
  socket.end(
    "HTTP/1.1 400 Bad Request\r\n" +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${String(Buffer.byteLength(body))}\r\n` +
      `x-ms-request-id: ${requestId}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}

/** Requests of the keys API are small; a backup of 100 RSA-4096 versions is well under this. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Beyond this a too-large body is not even read to the end: the connection is dropped. */
const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

/** Sockets whose current request the pipeline is answering (see answerUnparsableRequest). */
const socketsAnswering = new WeakSet<Duplex>();

/** The request listener of the vault served on one port. */
export function createVaultRequestListener(deps: ServerDeps, listenerVault: VaultRuntime) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    socketsAnswering.add(socket);
    res.once("close", () => socketsAnswering.delete(socket));
    void runPipeline(req, res, deps, listenerVault);
  };
}

async function runPipeline(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ServerDeps,
  listenerVault: VaultRuntime,
): Promise<void> {
  const started = process.hrtime.bigint();
  const requestId = randomUUID();
  let vault = listenerVault;
  let status = 500;
  let fault: InjectedFault | undefined;
  try {
    // 1. route: vault by Host, then api-version, then method + path.
    // HTTP/1.1 requires Host (RFC 9112 §3.2); the server leaves the check to us so the refusal
    // has the service's shape instead of Node's bare 400.
    if (req.headers.host === undefined && req.httpVersion === "1.1")
      throw badParameter("The request has no Host header, which HTTP/1.1 requires.");
    const host = (req.headers.host ?? `127.0.0.1:${String(req.socket.localPort)}`).toLowerCase();
    vault = vaultForHost(host, deps.vaults) ?? listenerVault;
    const url = parseRequestUrl(req.url ?? "/", host);
    const apiVersion = requireApiVersion(url.searchParams);
    const match = matchRoute(req.method ?? "GET", url.pathname);
    if (match.route === undefined) throw unknownOperation(req.method ?? "", url.pathname);
    // Faults a test asked for, before anything runs (reset-after-commit acts at the end).
    fault = deps.faults?.decide(match.route.operation);
    if (fault !== undefined) {
      if (injectEarlyFault(fault, req)) {
        status = 0;
        return;
      }
    }
    // 2. authenticate, before any body is read (contracts §3.4).
    const identity = authenticateRequest(
      req.headers.authorization,
      vault,
      deps.tokens,
      deps.tenantId,
    );
    // 3. authorize: the route's data action against the caller.
    authorizeRequest(match.route, match.params, vault, identity, {
      decide: deps.decide,
      store: deps.store,
    });
    // 4. validate: read and parse the body, then the operation's own schema.
    const body = await readJsonBody(req);
    // A latency fault holds the request once it is read, as a slow service does: a client that
    // gives up meanwhile does not stop the write. (Held before the read, a request whose client
    // left was destroyed by Node with its body unread, and the pipeline waited forever.)
    const holdMs = fault?.kind === "latency" ? fault.latencyMs : 0;
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    const context: HandlerContext = {
      vault,
      vaultUrl: `https://${host}`,
      store: deps.store,
      identity,
      requestId,
      apiVersion,
      now: Math.floor(Date.now() / 1000),
      releaseSigner: deps.releaseSigner,
      securityDomainDownloadDelayMs: deps.securityDomainDownloadDelayMs,
      roleAssignmentDelayMs: deps.roleAssignmentDelayMs,
    };
    const operation = OPERATIONS[match.route.operation];
    const request = operation.validate(
      { params: match.params, query: url.searchParams, body },
      context,
    );
    // 5. handle and 6. store: a write decides in its vault's write queue, on every write
    // accepted before it, and is durable before the reply; the rest run side by side.
    const result = match.route.writes
      ? await deps.store.write(vault.name, (reader) =>
          operation.handle(request, { ...context, store: reader }),
        )
      : await operation.handle(request, context);
    if (match.route.writes !== true && result.mutations !== undefined) {
      throw new Error(
        `${match.route.operation} returned mutations but its route is not marked writes: mark it in routes.ts`,
      );
    }
    status = result.status;
    if (fault?.kind === "reset-after-commit") {
      status = 0;
      req.socket.destroy();
      return;
    }
    sendResult(res, result, vault, requestId, started);
  } catch (error) {
    // 7. error: the service's shape, or a logged 500.
    const serviceError = toServiceError(error, requestId);
    status = serviceError.status;
    if (fault?.kind === "reset-after-commit") {
      status = 0;
      req.socket.destroy();
      return;
    }
    sendError(req, res, serviceError, vault, requestId, started);
  } finally {
    logger.info(
      `${requestId} ${req.method ?? ""} ${(req.url ?? "").split("?")[0] ?? ""} ${vault.name} ${status === 0 ? "reset" : status}${fault === undefined ? "" : ` fault=${fault.kind}`}`,
    );
  }
}

/**
 * Acts on a fault decided for this request: throws the 429/503/500, or
 * destroys the connection (reset before commit, answered `true`: nothing more to do).
 */
function injectEarlyFault(fault: InjectedFault, req: IncomingMessage): boolean {
  switch (fault.kind) {
    case "latency":
      // held later, once the body is read (see runPipeline)
      return false;
    case "429":
      throw throttled(fault.retryAfterSeconds);
    case "503":
      throw serviceUnavailable(fault.retryAfterSeconds);
    case "500":
      throw internalError();
    case "reset-before-commit":
      req.socket.destroy();
      return true;
    case "reset-after-commit":
      return false;
  }
}

/** The request's URL; a Host or path no URL parser accepts is the client's 400, not a bug. */
function parseRequestUrl(target: string, host: string): URL {
  try {
    // Joined as text: `new URL("///providers/…", base)` would read `providers` as a host, and
    // role API clients write the scope `/` as `//` or `///` (contracts §4.2).
    return target.startsWith("/") ? new URL(`https://${host}${target}`) : new URL(target);
  } catch {
    throw badParameter(`The Host header '${host}' or the request path is not a valid URL.`);
  }
}

function vaultForHost(
  host: string,
  vaults: ReadonlyMap<string, VaultRuntime>,
): VaultRuntime | undefined {
  const hostname = host.replace(/:\d+$/, "");
  const kind = vaultKindOfHost(hostname);
  if (kind === "unknown") return undefined;
  const vault = vaults.get(hostname.split(".")[0] ?? "");
  if (vault?.kind !== kind) throw unknownVault(host);
  return vault;
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT_BYTES) {
        // Not worth reading any further: answer what we can and drop the connection.
        reject(bodyTooLarge(MAX_BODY_BYTES));
        req.destroy();
        return;
      }
      // Over the limit: keep reading but discard, so the client can read the 413 instead of
      // meeting a reset in the middle of its upload.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        reject(bodyTooLarge(MAX_BODY_BYTES));
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (text === "") {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(badParameter("The request body is not valid JSON."));
      }
    });
  });
}

function commonHeaders(
  vault: VaultRuntime,
  requestId: string,
  started: bigint,
): Record<string, string> {
  const latencyMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  return {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "x-ms-request-id": requestId,
    "x-ms-keyvault-region": "emulator",
    "x-ms-keyvault-service-version": "1.9.0.0-azure-byok-emulator",
    ...(vault.kind === "managedhsm" ? { "x-ms-server-latency": String(latencyMs) } : {}),
  };
}

function sendResult(
  res: ServerResponse,
  result: HandlerResult,
  vault: VaultRuntime,
  requestId: string,
  started: bigint,
): void {
  const body = result.body === undefined ? "" : JSON.stringify(result.body);
  res.writeHead(result.status, { ...commonHeaders(vault, requestId, started), ...result.headers });
  res.end(body);
}

function toServiceError(error: unknown, requestId: string): ServiceError {
  if (isServiceError(error)) return error;
  logger.error(
    `${requestId} bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return internalError();
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: ServiceError,
  vault: VaultRuntime,
  requestId: string,
  started: bigint,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(
    renderServiceError(error, { managedHsm: vault.kind === "managedhsm", activityId: requestId }),
  );
  const answer = (closeAfter: boolean): void => {
    res.writeHead(error.status, {
      ...commonHeaders(vault, requestId, started),
      ...error.headers,
      ...(closeAfter ? { connection: "close" } : {}),
    });
    res.end(body);
  };
  if (req.readableEnded) {
    answer(false);
    return;
  }
  // A body never read (a 401, a bad api-version or an unknown route answers before it): discard
  // it before answering, so the connection's framing is intact and a keep-alive client can send
  // its next request on it. Answering first and closing raced the client's reuse of the socket
  // (a reset under the next request). A body over the limit is not worth reading: answer and close.
  let drained = 0;
  const onData = (chunk: Buffer): void => {
    drained += chunk.length;
    if (drained <= DISCARD_LIMIT_BYTES) return;
    req.off("data", onData);
    req.off("end", onEnd);
    answer(true);
  };
  const onEnd = (): void => {
    answer(false);
  };
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("error", () => res.destroy());
}
