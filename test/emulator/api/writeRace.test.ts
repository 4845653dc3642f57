/**
 * Writes sent together to one vault on the durable (journal) store: every write the emulator
 * acknowledges is there afterwards, and a write that no longer fits once another landed is
 * refused, never acknowledged and dropped. A DELETE racing a create of the same name, two role
 * assignment PUTs of one name, more assignments than the limit, and two security domain downloads.
 * Each is checked again after a restart on the same data directory.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "ava";
import { startEmulator } from "../../../emulator/index.js";
import type { EmulatorOptions, RunningEmulator } from "../../../emulator/index.js";
import { generateSecurityDomainCertificates } from "../../../provider/generateSecurityDomainCertificates.js";
import { securityDomainJwkOf } from "../../../provider/securityDomainCertificates.js";
import { rawRequest, TEST_CA_DIR } from "../../harness/emulatorHarness.js";
import type { RawResponse } from "../../harness/emulatorHarness.js";

const HSM = "race-hsm";
const FRESH_HSM = "race-fresh";
const CRYPTO_USER = "21dbd100-6940-42c2-9190-5d6cb909625b";

let dataDir: string;
let emulator: RunningEmulator;
const options = (): EmulatorOptions => ({
  caDir: TEST_CA_DIR,
  dataDir,
  vaults: [
    { name: HSM, kind: "managedhsm" },
    { name: FRESH_HSM, kind: "managedhsm", activated: false },
  ],
  securityDomainDownloadDelayMs: 0,
});

test.before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "azure-byok-race-"));
  emulator = await startEmulator(options());
});

test.after.always(async () => {
  await (emulator as RunningEmulator | undefined)?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Restarts the emulator on the same data directory: what survives is what the disk has. */
async function restart(): Promise<void> {
  await emulator.stop();
  emulator = await startEmulator(options());
}

function call(
  vault: string,
  route: string,
  options: { method?: string; body?: unknown } = {},
): Promise<RawResponse> {
  const separator = route.includes("?") ? "&" : "?";
  return rawRequest(`${emulator.url(vault)}${route}${separator}api-version=7.6`, {
    ...options,
    headers: { authorization: `Bearer ${emulator.issueToken({})}` },
  });
}

function innerCode(response: RawResponse): string | undefined {
  return (response.json as { error?: { innererror?: { code?: string } } } | undefined)?.error
    ?.innererror?.code;
}

// Serial: the tests restart the one emulator they share.
test.serial(
  "a DELETE and a create of the same key sent together: an acknowledged create's version survives recover and a restart",
  async (t) => {
    const acknowledged: { name: string; version: string }[] = [];
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const name = `race-${round}`;
      const first = await call(HSM, `/keys/${name}/create`, {
        method: "POST",
        body: { kty: "EC-HSM", crv: "P-256" },
      });
      t.is(first.status, 200, first.body);
      const sendDelete = () => call(HSM, `/keys/${name}`, { method: "DELETE" });
      const sendCreate = () =>
        call(HSM, `/keys/${name}/create`, {
          method: "POST",
          body: { kty: "EC-HSM", crv: "P-384" },
        });
      // Sent in both orders, so both outcomes are seen: the create lands first (and is deleted
      // with the key), or it finds the key deleted.
      const [deleted, created] =
        round % 2 === 0
          ? await Promise.all([sendDelete(), sendCreate()])
          : await Promise.all([sendCreate(), sendDelete()]).then(([c, d]) => [d, c] as const);
      t.is(deleted.status, 200, deleted.body);
      if (created.status === 200) {
        const kid = (created.json as { key: { kid: string } }).key.kid;
        acknowledged.push({ name, version: kid.split("/").at(-1) ?? "" });
      } else {
        // The create ran after the delete: the name is soft-deleted, as the service says.
        t.is(created.status, 409, created.body);
        t.is(innerCode(created), "ObjectIsDeletedButRecoverable");
        refused++;
      }
      t.is((await call(HSM, `/deletedkeys/${name}/recover`, { method: "POST" })).status, 200);
    }
    t.log(`${acknowledged.length} creates acknowledged, ${refused} refused`);
    const missing = async () => {
      const lost: string[] = [];
      for (const { name, version } of acknowledged) {
        if ((await call(HSM, `/keys/${name}/${version}`)).status !== 200) lost.push(name);
      }
      return lost;
    };
    t.deepEqual(await missing(), [], "acknowledged versions missing after recover");
    await restart();
    t.deepEqual(await missing(), [], "acknowledged versions missing after a restart");
  },
);

function assignment(principalId: string, scope: string) {
  return {
    properties: {
      roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`,
      principalId,
    },
    scope,
  };
}

test.serial(
  "two role assignment PUTs of one name sent together: one is created, the other is a 409 and does not overwrite it",
  async (t) => {
    const name = randomUUID();
    const principals = [randomUUID(), randomUUID()];
    const answers = await Promise.all(
      principals.map((principal) =>
        call(HSM, `/providers/Microsoft.Authorization/roleAssignments/${name}`, {
          method: "PUT",
          body: assignment(principal, "/"),
        }),
      ),
    );
    t.deepEqual(
      answers.map((a) => a.status).sort(),
      [201, 409],
      answers.map((a) => a.body).join("\n"),
    );
    const winner = principals[answers.findIndex((a) => a.status === 201)] ?? "";
    const read = async () =>
      (
        (await call(HSM, `/providers/Microsoft.Authorization/roleAssignments/${name}`)).json as {
          properties: { principalId: string };
        }
      ).properties.principalId;
    t.is(await read(), winner);
    await restart();
    t.is(await read(), winner, "after a restart");
  },
);

test.serial("role assignments sent together never exceed the per-key limit of 10", async (t) => {
  const scope = "/keys/race-limit";
  const answers = await Promise.all(
    Array.from({ length: 14 }, () =>
      call(
        HSM,
        `/keys/race-limit/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
        {
          method: "PUT",
          body: assignment(randomUUID(), scope),
        },
      ),
    ),
  );
  t.is(answers.filter((a) => a.status === 201).length, 10);
  for (const refused of answers.filter((a) => a.status !== 201)) {
    t.is(refused.status, 400, refused.body);
    t.is(innerCode(refused), "LimitExceeded");
  }
  const listed = async () =>
    (
      (
        await call(
          HSM,
          `/keys/race-limit/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()`,
        )
      ).json as { value: { properties: { scope: string } }[] }
    ).value.filter((a) => a.properties.scope === scope).length;
  t.is(await listed(), 10);
  await restart();
  t.is(await listed(), 10, "after a restart");
});

test.serial(
  "two security domain downloads sent together: one is accepted (202), the other is a 409",
  async (t) => {
    const certificates = await generateSecurityDomainCertificates(3);
    const body = {
      certificates: certificates.map((c) => securityDomainJwkOf(c.certificatePem)),
      required: 2,
    };
    const answers = await Promise.all(
      [1, 2].map(() => call(FRESH_HSM, "/securitydomain/download", { method: "POST", body })),
    );
    t.deepEqual(answers.map((a) => a.status).sort(), [202, 409]);
    t.is(innerCode(answers.find((a) => a.status === 409)!), "SecurityDomainAlreadyDownloaded");
  },
);
