/**
 * Fault injection (issue 8): a running emulator can be told, per test, to answer some requests
 * with a 429 (with `Retry-After`), a 503 or a 500, to reset the connection before the request
 * runs or after its writes are committed, or to answer late. The choice is made by a seeded
 * generator, so a run with the same seed and the same order of requests injects the same faults,
 * and every fault is counted.
 *
 * @module
 */
import type { OperationName } from "./routes.js";

/**
 * What can go wrong with one request.
 *
 * - `"429"`: 429 `Throttled` with `Retry-After: retryAfterSeconds`; nothing runs.
 * - `"503"`: 503 `ServiceUnavailable` with `Retry-After: retryAfterSeconds`; nothing runs.
 * - `"500"`: 500 `InternalError`; nothing runs.
 * - `"reset-before-commit"`: the connection is destroyed before the request is authenticated
 *   or handled; nothing is written.
 * - `"reset-after-commit"`: the request runs to the end and its writes are durable, then the
 *   connection is destroyed instead of sending the reply (the client cannot tell whether the
 *   write happened: an import it retries makes a second version).
 * - `"latency"`: the request is authenticated, authorized and read, then waits `latencyMs`,
 *   then runs normally: a slow service. A client that gives up meanwhile does not stop it (its
 *   write commits unanswered); a request refused before that (401, 403) is answered at once.
 */
export type FaultKind =
  "429" | "503" | "500" | "reset-before-commit" | "reset-after-commit" | "latency";

/** Every fault kind, in a fixed order. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "429",
  "503",
  "500",
  "reset-before-commit",
  "reset-after-commit",
  "latency",
];

/** What {@link FaultInjector.set} takes. */
export interface FaultSettings {
  /** Probability that an eligible request gets a fault, 0 to 1. */
  readonly rate: number;
  /** The kinds to choose from, uniformly. Default: all of {@link FAULT_KINDS}. */
  readonly kinds?: readonly FaultKind[];
  /** `Retry-After` of 429 and 503 answers, in whole seconds. Default 0 (retry at once). */
  readonly retryAfterSeconds?: number;
  /** Delay of a `"latency"` fault, in milliseconds. Default 200. */
  readonly latencyMs?: number;
  /** Seed of the generator: the same seed and request order give the same faults. Default 1. */
  readonly seed?: number;
  /** Only requests of these operations are eligible. Default: every operation. */
  readonly operations?: readonly OperationName[];
  /** At most this many faults, then none until the next `set`. Default: no limit. */
  readonly limit?: number;
}

/** Counts since the last {@link FaultInjector.set} or {@link FaultInjector.clear}. */
export interface FaultCounters {
  /** Requests that matched a route. */
  readonly requests: number;
  /** Requests whose operation was eligible, faulted or not. */
  readonly eligible: number;
  /** Faults injected, all kinds. */
  readonly injected: number;
  /** Faults injected, by kind. */
  readonly byKind: Readonly<Record<FaultKind, number>>;
}

/**
 * The fault settings of a running emulator: `emulator.faults`.
 *
 * @example
 * ```ts
 * const { emulator } = await startTestEmulator();
 * emulator.faults.set({ rate: 0.2, kinds: ["429", "503", "reset-after-commit"], seed: 42 });
 * // … a deploy with retries on …
 * t.true(emulator.faults.counters().injected > 0);
 * emulator.faults.clear();
 * ```
 *
 * A reset that hides one committed import, and nothing else:
 * ```ts
 * emulator.faults.set({ rate: 1, kinds: ["reset-after-commit"], operations: ["importKey"], limit: 1 });
 * ```
 */
export interface FaultInjector {
  /**
   * Replaces the settings, restarts the generator from the seed and zeroes the counters.
   *
   * @throws Error when `rate` is not within 0..1, `kinds` is empty or names an unknown kind,
   *   or a number is negative.
   */
  set(settings: FaultSettings): void;
  /** No more faults; counters zeroed. */
  clear(): void;
  /** The counts since the last `set` or `clear`. */
  counters(): FaultCounters;
  /**
   * The pipeline's question for one routed request: the fault to inject, if any.
   *
   * @internal
   */
  decide(operation: OperationName): InjectedFault | undefined;
}

/** A decided fault with the numbers it needs. @internal */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly retryAfterSeconds: number;
  readonly latencyMs: number;
}

/** mulberry32: small, fast and good enough to pick faults; the same seed gives the same stream. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zeroByKind(): Record<FaultKind, number> {
  return {
    "429": 0,
    "503": 0,
    "500": 0,
    "reset-before-commit": 0,
    "reset-after-commit": 0,
    latency: 0,
  };
}

function checkSettings(settings: FaultSettings): void {
  const { rate, kinds, retryAfterSeconds, latencyMs, limit } = settings;
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1))
    throw new Error(`faults.rate is ${String(rate)}: use a probability from 0 to 1`);
  if (kinds !== undefined) {
    if (kinds.length === 0) throw new Error("faults.kinds is empty: leave it out for every kind");
    const unknown = kinds.filter((kind) => !FAULT_KINDS.includes(kind));
    if (unknown.length > 0)
      throw new Error(
        `faults.kinds has ${unknown.join(", ")}: the kinds are ${FAULT_KINDS.join(", ")}`,
      );
  }
  for (const [name, value] of Object.entries({ retryAfterSeconds, latencyMs, limit })) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      throw new Error(`faults.${name} is ${String(value)}: use a whole number, 0 or more`);
  }
}

/** A fault injector that injects nothing until {@link FaultInjector.set} is called. */
export function createFaultInjector(): FaultInjector {
  let settings: FaultSettings | undefined;
  let random = seededRandom(1);
  let requests = 0;
  let eligible = 0;
  let injected = 0;
  let byKind = zeroByKind();
  const reset = (): void => {
    requests = 0;
    eligible = 0;
    injected = 0;
    byKind = zeroByKind();
  };
  return {
    set(next) {
      checkSettings(next);
      settings = { ...next };
      random = seededRandom(next.seed ?? 1);
      reset();
    },
    clear() {
      settings = undefined;
      reset();
    },
    counters() {
      return { requests, eligible, injected, byKind: { ...byKind } };
    },
    decide(operation) {
      requests++;
      if (settings === undefined) return undefined;
      if (settings.operations !== undefined && !settings.operations.includes(operation))
        return undefined;
      eligible++;
      if (settings.limit !== undefined && injected >= settings.limit) return undefined;
      // Two draws per eligible request whatever the outcome, so one request's fault does not
      // shift the choices of the requests after it.
      const hit = random() < settings.rate;
      const kinds = settings.kinds ?? FAULT_KINDS;
      const kind = kinds[Math.floor(random() * kinds.length)] ?? "500";
      if (!hit) return undefined;
      injected++;
      byKind[kind]++;
      return {
        kind,
        retryAfterSeconds: settings.retryAfterSeconds ?? 0,
        latencyMs: settings.latencyMs ?? 200,
      };
    },
  };
}
