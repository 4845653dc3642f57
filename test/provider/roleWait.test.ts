/**
 * `retryWhileRoleIsPending` on a virtual clock: a refusal for a missing role is retried until
 * `roleWaitSeconds` runs out, with a progress line per pause; anything else fails at once. The
 * refusals are the error seam's own (`mapAzureError` of the SDK's `RestError`), so a change there
 * that stopped marking role refusals would fail here. The same path runs against the emulator,
 * through the plugin host, in `roleWaitHost.test.ts`.
 */
import test from "ava";
import { RestError } from "@azure/core-rest-pipeline";
import { mapAzureError } from "../../provider/azure/errorMapping.js";
import { isProviderError } from "../../provider/errors.js";
import { retryWhileRoleIsPending } from "../../provider/roleWait.js";

const HSM = "https://contoso.managedhsm.azure.net";

function serviceRefusal(status: number, code: string, inner: string): Error {
  const error = new RestError(`${code}: refused`, { statusCode: status, code });
  error.details = { error: { code, message: "refused", innerError: { code: inner } } };
  const mapped = mapAzureError(error, { operation: "create the KEK", vaultUrl: HSM, name: "kek" });
  if (!(mapped instanceof Error)) throw new Error("the seam returned no error");
  return mapped;
}

const missingRole = (): Error => serviceRefusal(403, "Forbidden", "AccessDenied");

/** A clock that moves only when the code under test sleeps. */
function virtualClock() {
  let now = 0;
  const pauses: number[] = [];
  const lines: string[] = [];
  return {
    pauses,
    lines,
    options: (seconds: number) => ({
      seconds,
      subject: `KEK "kek" in ${HSM}`,
      log: (line: string) => lines.push(line),
      now: () => now,
      sleep: (ms: number) => {
        pauses.push(ms);
        now += ms;
        return Promise.resolve();
      },
    }),
  };
}

/** Work that is refused `refusals` times, then answers "done". */
function refusedTimes(refusals: number, error: () => Error = missingRole) {
  let calls = 0;
  return {
    calls: () => calls,
    work: () => {
      calls++;
      return calls <= refusals ? Promise.reject(error()) : Promise.resolve("done");
    },
  };
}

test("the seam marks a 403 for a missing role, and not a firewall, an inactive HSM or a 401", (t) => {
  const role = missingRole();
  t.true(isProviderError(role) && role.missingRole);
  for (const other of [
    serviceRefusal(403, "Forbidden", "ForbiddenByFirewall"),
    serviceRefusal(403, "Forbidden", "HsmNotActivated"),
    serviceRefusal(401, "Unauthorized", "AccessDenied"),
  ]) {
    t.true(isProviderError(other) && !other.missingRole);
  }
});

test("a role that takes effect after three refusals: retried after 2, 4 and 8 s, with a line for each pause", async (t) => {
  const clock = virtualClock();
  const work = refusedTimes(3);
  t.is(await retryWhileRoleIsPending(clock.options(60), work.work), "done");
  t.is(work.calls(), 4);
  t.deepEqual(clock.pauses, [2000, 4000, 8000]);
  t.is(clock.lines.length, 4);
  t.regex(
    clock.lines[0] ?? "",
    /KEK "kek" in https:\/\/contoso\.managedhsm\.azure\.net: refused for a missing role \(HTTP 403\).*trying again in 2 s \(60 s of roleWaitSeconds left\)/,
  );
  t.regex(clock.lines[3] ?? "", /the role took effect after 14 s/);
});

test("pauses grow to 15 s and no further, and the last one is cut to the time left", async (t) => {
  const clock = virtualClock();
  const work = refusedTimes(100);
  const error = await t.throwsAsync(retryWhileRoleIsPending(clock.options(40), work.work));
  t.deepEqual(clock.pauses, [2000, 4000, 8000, 15000, 11000]);
  t.is(work.calls(), 6);
  t.true(isProviderError(error));
  t.regex(error.message, /^ERR_ACCESS_DENIED: could not create the KEK "kek"/);
  t.regex(
    error.message,
    /still refused after waiting 40 s for a role assignment to take effect, roleWaitSeconds; if the role was granted, raise roleWaitSeconds/,
  );
  // the fix the seam wrote (the role and the command) is still there
  t.regex(error.message, /Managed HSM Crypto User/);
});

test("roleWaitSeconds 0 fails on the first refusal, unchanged and without waiting", async (t) => {
  const clock = virtualClock();
  const work = refusedTimes(1);
  const error = await t.throwsAsync(retryWhileRoleIsPending(clock.options(0), work.work));
  t.is(work.calls(), 1);
  t.deepEqual(clock.pauses, []);
  t.deepEqual(clock.lines, []);
  t.notRegex(error.message, /roleWaitSeconds/);
});

test("a firewall refusal, an HSM not activated and a plain error are not waited for", async (t) => {
  for (const make of [
    () => serviceRefusal(403, "Forbidden", "ForbiddenByFirewall"),
    () => serviceRefusal(403, "Forbidden", "HsmNotActivated"),
    () => new Error("socket hang up"),
  ]) {
    const clock = virtualClock();
    const work = refusedTimes(1, make);
    await t.throwsAsync(retryWhileRoleIsPending(clock.options(300), work.work));
    t.is(work.calls(), 1);
    t.deepEqual(clock.pauses, []);
  }
});
