/**
 * Waiting for a role assignment to take effect. A role granted in the same `pulumi up` (Azure
 * RBAC on a Key Vault, Managed HSM local RBAC) is listed at once but can take seconds to minutes
 * before the service honours it, so the first key call after the grant may be refused with 403.
 * With `roleWaitSeconds`, create retries such a refusal until the time is up, saying so on stderr
 * (which the plugin host passes to the engine's log); other failures, and a 403 for another
 * reason (firewall, HSM not activated), fail at once.
 *
 * @module
 * @internal
 */
import { setTimeout as pause } from "node:timers/promises";
import { isProviderError, ProviderError } from "./errors.js";

/** Options of {@link retryWhileRoleIsPending}. */
export interface RoleWaitOptions {
  /** How long to keep retrying a refusal for a missing role, in seconds; 0 fails at once. */
  readonly seconds: number;
  /** What is waiting, for the progress lines: `KEK "name" in https://…`. */
  readonly subject: string;
  /** Where progress goes; default the process's stderr. */
  readonly log?: (line: string) => void;
  /** The clock and the pause, replaceable in tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** First pause and largest pause between tries, in milliseconds. */
const FIRST_PAUSE_MS = 2_000;
const LONGEST_PAUSE_MS = 15_000;

function isRoleRefusal(error: unknown): error is ProviderError {
  return isProviderError(error) && error.code === "ERR_ACCESS_DENIED" && error.missingRole;
}

/**
 * Runs `work`; while it fails because the caller lacks a role and the wait is not over, pauses
 * (2 s, doubling to 15 s) and runs it again. `work` must be safe to run again after such a
 * failure: the refused call changed nothing.
 *
 * @returns what `work` returns.
 * @throws the last refusal, its message saying how long it waited, once the time is up.
 */
export async function retryWhileRoleIsPending<T>(
  options: RoleWaitOptions,
  work: () => Promise<T>,
): Promise<T> {
  const { seconds, subject } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => pause(ms));
  const started = now();
  const deadline = started + seconds * 1000;
  let pauseMs = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await work();
      if (attempt > 1) {
        const waited = Math.round((now() - started) / 1000);
        log(`azure-byok: ${subject}: the role took effect after ${waited} s`);
      }
      return result;
    } catch (error) {
      if (!isRoleRefusal(error) || seconds <= 0) throw error;
      const left = deadline - now();
      if (left <= 0) {
        throw new ProviderError(
          "ERR_ACCESS_DENIED",
          `${error.message.replace(/^ERR_ACCESS_DENIED: /, "")} (still refused after waiting ${seconds} s for a role assignment to take effect, roleWaitSeconds; if the role was granted, raise roleWaitSeconds or run pulumi up again later)`,
          { cause: error, statusCode: 403, missingRole: true },
        );
      }
      const wait = Math.min(pauseMs, left);
      log(
        `azure-byok: ${subject}: refused for a missing role (HTTP 403); a new role assignment can take a while to take effect, trying again in ${Math.ceil(wait / 1000)} s (${Math.ceil(left / 1000)} s of roleWaitSeconds left)`,
      );
      await sleep(wait);
      pauseMs = Math.min(pauseMs * 2, LONGEST_PAUSE_MS);
    }
  }
}
