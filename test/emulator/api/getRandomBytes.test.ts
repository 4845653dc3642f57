/**
 * `POST /rng` on a Managed HSM (contracts §3.1: 1 to 128 bytes) with the stock SDK: the asked
 * number of bytes, different each time; a count out of range is a 400 BadParameter. GetRandomBytes
 * is a Managed HSM operation: a Key Vault Premium vault answers 404 NotFound.
 */
import test from "ava";
import { rawRequest, serviceErrorOf, startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "rng-hsm", kind: "managedhsm" },
      { name: "rng-vault", kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  await env.emulator.stop();
});

test("getRandomBytes answers exactly the count asked, 1 to 128, different each time", async (t) => {
  const keys = env.keyClient();
  for (const count of [1, 37, 128]) t.is((await keys.getRandomBytes(count)).length, count);
  const [a, b] = await Promise.all([keys.getRandomBytes(128), keys.getRandomBytes(128)]);
  t.notDeepEqual(Buffer.from(a), Buffer.from(b));
});

test("a count of 0, 129, a fraction or none is a 400 BadParameter naming the range", async (t) => {
  const token = (await env.credential.getToken("https://managedhsm.azure.net/.default"))!.token;
  for (const body of [{ count: 0 }, { count: 129 }, { count: 1.5 }, {}]) {
    const response = await rawRequest(`${env.emulator.url("rng-hsm")}/rng?api-version=7.6`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body,
    });
    t.is(response.status, 400, JSON.stringify(body));
    const error = (response.json as { error: { code: string; message: string } }).error;
    t.is(error.code, "BadParameter");
    if (body.count !== 1.5) t.regex(error.message, /ask for 1 to 128 bytes/);
  }
});

test("a Key Vault Premium vault serves no /rng: 404 NotFound saying to ask a Managed HSM", async (t) => {
  const error = serviceErrorOf(await t.throwsAsync(env.keyClient("rng-vault").getRandomBytes(16)));
  t.is(error.statusCode, 404, error.message);
  t.is(error.code, "NotFound");
  t.regex(error.message, /POST \/rng is a Managed HSM API; rng-vault is a Key Vault/);
  t.regex(error.message, /ask a Managed HSM for random bytes/);
});
