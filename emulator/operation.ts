/**
 * What flows between the stages: the typed input a handler validates, the context it runs in,
 * and the result the store stage commits and the last stage sends. Handlers see no Node
 * `req`/`res` (STYLE.md rule 7).
 *
 * @module
 */
import type { ReleaseSigner } from "./keyRelease.js";
import type { KeyStoreReader, StoreMutation } from "./store/keyStore.js";
import type { TokenIdentity } from "./tokens.js";
import type { RouteParams } from "./routes.js";

/** A served vault or Managed HSM, with its settings. */
export interface VaultRuntime {
  readonly name: string;
  readonly kind: "managedhsm" | "vault";
  readonly purgeProtection: boolean;
  /** 7..90 days. */
  readonly softDeleteRetentionDays: number;
  /**
   * Managed HSM only: whether it started activated. One that did not is activated once its
   * security domain download finishes (`securityDomain/activation.ts`).
   */
  readonly activated: boolean;
}

/** The request as a handler's validate step sees it. */
export interface RequestInput {
  readonly params: RouteParams;
  readonly query: URLSearchParams;
  /** The parsed JSON body; `undefined` when there is none. */
  readonly body: unknown;
}

/** What a handler runs with. */
export interface HandlerContext {
  readonly vault: VaultRuntime;
  /** `https://host:port` as the client addressed it: key ids use it (contracts §3.1). */
  readonly vaultUrl: string;
  /**
   * The vault's state. A write (a route marked `writes`) reads it with every write accepted
   * before it applied; anything else reads what is durable.
   */
  readonly store: KeyStoreReader;
  readonly identity: TokenIdentity;
  readonly requestId: string;
  readonly apiVersion: string;
  /** Unix seconds at the start of the request. */
  readonly now: number;
  /** Signs key release results (keyRelease.ts). */
  readonly releaseSigner: ReleaseSigner;
  /**
   * How long a security domain download stays `InProgress`, in milliseconds. Default
   * {@link DEFAULT_SECURITY_DOMAIN_DELAY_MS} (optional so contexts built by hand in tests of
   * other operations need not name it).
   */
  readonly securityDomainDownloadDelayMs?: number;
  /**
   * How long a new role assignment takes to count for authorization, in milliseconds. Default 0
   * (optional, as above).
   */
  readonly roleAssignmentDelayMs?: number;
}

/** How long a security domain download stays `InProgress` unless told otherwise. */
export const DEFAULT_SECURITY_DOMAIN_DELAY_MS = 1000;

/** A handler's answer: the store stage commits `mutations` before `body` is sent. */
export interface HandlerResult {
  readonly status: number;
  /** Extra response headers (`Azure-AsyncOperation`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly mutations?: readonly StoreMutation[];
}

/** One operation: validate at the edge into a typed request, then handle it. */
export interface Operation<T> {
  /** @throws ServiceError (400) naming the property at fault. */
  readonly validate: (input: RequestInput, context: HandlerContext) => T;
  readonly handle: (request: T, context: HandlerContext) => Promise<HandlerResult> | HandlerResult;
}

declare const validated: unique symbol;
/** A validated request whose type only its operation knows. */
export type ValidatedRequest = { readonly [validated]: true };

/** An operation with its request type erased, for the registry. */
export interface AnyOperation {
  readonly validate: (input: RequestInput, context: HandlerContext) => ValidatedRequest;
  readonly handle: (request: ValidatedRequest, context: HandlerContext) => Promise<HandlerResult>;
}

/** Erases an operation's request type so the registry can hold them all. */
export function defineOperation<T>(operation: Operation<T>): AnyOperation {
  return {
    validate: (input, context) =>
      ({ value: operation.validate(input, context) }) as unknown as ValidatedRequest,
    handle: async (request, context) =>
      operation.handle((request as unknown as { value: T }).value, context),
  };
}
