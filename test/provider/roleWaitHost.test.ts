/**
 * `roleWaitSeconds` through the real plugin host against an emulated Managed HSM whose new role
 * assignments count only 1.5 s after they are made (`roleAssignmentDelayMs`, as the service's
 * take a while to take effect). The deploying identity starts as Administrator only; it grants
 * itself Crypto User with `ManagedHsmRoleAssignment` and creates a KEK at once: without a wait
 * the create is refused, with one it goes through after the role counts, and says so in the
 * host's log. The same for a `.byok` import after the grant was revoked and made again.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { wrappedTarget } from "../harness/byokFixtures.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { startProviderTestBed } from "../harness/providerTestBed.js";
import type { ProviderTestBed } from "../harness/providerTestBed.js";
import { ResourceDriver } from "../harness/resourceDriver.js";

const HSM = "role-wait-hsm";
const ROLE_DELAY_MS = 1500;

let bed: ProviderTestBed | undefined;
let emulator: TestEmulator;
let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  bed = await startProviderTestBed({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    identities: [DEFAULT_IDENTITY],
    // given (even empty): the deploying identity is only the HSM's Administrator at "/"
    roleAssignments: [],
    roleAssignmentDelayMs: ROLE_DELAY_MS,
  });
  ({ emulator, host, providers } = bed);
});

test.after.always(async () => {
  await bed?.stop();
});

function hsmUri(): string {
  return emulator.emulator.url(HSM);
}

const cryptoUser = () => ({
  hsmUri: hsmUri(),
  scope: "/keys",
  role: "Managed HSM Crypto User",
  principalId: DEFAULT_IDENTITY.objectId,
});

async function failureOf(t: ExecutionContext, run: Promise<unknown>): Promise<string> {
  const error: unknown = await t.throwsAsync(run);
  return error instanceof Error ? error.message : "";
}

test.serial(
  "a KEK and an import right after their grant: refused without roleWaitSeconds, created with it once the role counts",
  async (t) => {
    const grant = new ResourceDriver(
      host,
      urnOf("ManagedHsmRoleAssignment", "wait-grant"),
      providers.hsmRoleAssignment,
    );
    t.is(await grant.up(cryptoUser()), "create");
    // listed at once, as the service lists it
    t.true(
      emulator.emulator
        .roleAssignments(HSM)
        .some((a) => a.principalId === DEFAULT_IDENTITY.objectId && a.scope === "/keys"),
    );

    const impatient = new ResourceDriver(
      host,
      urnOf("ImportKek", "impatient"),
      providers.importKek,
    );
    const refused = await failureOf(
      t,
      impatient.up({ vaultUrl: hsmUri(), name: "wait-kek-impatient", size: 2048 }),
    );
    t.regex(refused, /ERR_ACCESS_DENIED/);
    t.regex(refused, /Managed HSM Crypto User/);
    t.notRegex(refused, /roleWaitSeconds/);
    t.is(impatient.state, undefined);

    const kek = new ResourceDriver(host, urnOf("ImportKek", "patient"), providers.importKek);
    const started = Date.now();
    t.is(
      await kek.up({ vaultUrl: hsmUri(), name: "wait-kek", size: 2048, roleWaitSeconds: 30 }),
      "create",
    );
    t.true(Date.now() - started >= 500, "the create waited for the role");
    t.regex(
      host.stderr(),
      /KEK "wait-kek" in https:\/\/127\.0\.0\.1:\d+: refused for a missing role \(HTTP 403\).*trying again in 2 s/,
    );
    t.regex(host.stderr(), /KEK "wait-kek" in .*: the role took effect after \d+ s/);
    // roleWaitSeconds is only how create behaves: changing it is no change
    t.is(
      await kek.up({ vaultUrl: hsmUri(), name: "wait-kek", size: 2048, roleWaitSeconds: 60 }),
      "same",
    );

    // revoking counts at once; granting again counts only after the delay
    await grant.destroy();
    const regrant = new ResourceDriver(
      host,
      urnOf("ManagedHsmRoleAssignment", "wait-regrant"),
      providers.hsmRoleAssignment,
    );
    t.is(await regrant.up(cryptoUser()), "create");
    const outputs = kek.state?.outputs ?? {};
    const { text } = await wrappedTarget("ec-p256", {
      kekKid: String(outputs.kid),
      kekPublicKeyPem: String(outputs.publicKeyPem),
    });
    const key = new ResourceDriver(
      host,
      urnOf("ByokImportedKey", "patient"),
      providers.byokImportedKey,
    );
    t.is(
      await key.up({
        vaultUrl: hsmUri(),
        name: "wait-key",
        byok: text,
        keyType: "EC",
        curve: "P-256",
        roleWaitSeconds: 30,
      }),
      "create",
    );
    t.regex(host.stderr(), /key "wait-key" in .*: refused for a missing role/);
    t.regex(String(key.state?.outputs.kid), /\/keys\/wait-key\/[0-9a-f]{32}$/);
  },
);

test.serial("roleWaitSeconds out of range is a check failure naming it", async (t) => {
  const kek = new ResourceDriver(host, urnOf("ImportKek", "bad-wait"), providers.importKek);
  for (const roleWaitSeconds of [-1, 1.5, 1801, "60"]) {
    const { failures } = await kek.check({
      vaultUrl: hsmUri(),
      name: "bad-wait",
      roleWaitSeconds,
    });
    t.deepEqual(
      failures.map((f) => f.property),
      ["roleWaitSeconds"],
      `roleWaitSeconds ${JSON.stringify(roleWaitSeconds)}`,
    );
  }
});
