/**
 * Activating a Managed HSM by downloading its security domain (contracts §4.3), over HTTPS: key
 * calls refused before (403 HsmNotActivated), `POST /securitydomain/download` → 202 with the
 * domain, the pending status `InProgress` then `Success`, key calls working after; bad
 * certificate sets refused field by field; the domain secret recoverable from `required` of the
 * certificates' private keys and not from fewer; a restart with a data directory keeps the
 * activation and the role assignments.
 */
import { constants, createHash, privateDecrypt, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import test from "ava";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { combineShares, DEFAULT_IDENTITY, startEmulator } from "../../../emulator/index.js";
import type { RunningEmulator, SecurityDomainDocument } from "../../../emulator/index.js";
import { generateSecurityDomainCertificates } from "../../../provider/generateSecurityDomainCertificates.js";
import type { GeneratedCertificate } from "../../../provider/generateSecurityDomainCertificates.js";
import { securityDomainJwkOf } from "../../../provider/securityDomainCertificates.js";
import type { SecurityDomainJwk } from "../../../provider/securityDomainCertificates.js";
import { rawRequest, serviceErrorOf, TEST_CA_DIR } from "../../harness/emulatorHarness.js";
import type { RawResponse } from "../../harness/emulatorHarness.js";

const DELAY_MS = 300;
const HSMS = ["sd-flow", "sd-bad", "sd-shares"];

let emulator: RunningEmulator;
let certificates: GeneratedCertificate[];
let jwks: SecurityDomainJwk[];

test.before(async () => {
  emulator = await startEmulator({
    caDir: TEST_CA_DIR,
    vaults: HSMS.map((name) => ({ name, kind: "managedhsm" as const, activated: false })),
    securityDomainDownloadDelayMs: DELAY_MS,
  });
  certificates = await generateSecurityDomainCertificates(4);
  jwks = certificates.map((c) => securityDomainJwkOf(c.certificatePem));
});

test.after.always(async () => {
  await (emulator as RunningEmulator | undefined)?.stop();
});

function credentialOf(on: RunningEmulator, objectId = DEFAULT_IDENTITY.objectId): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({
        token: on.issueToken({ objectId }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      }),
  };
}

function clientOf(on: RunningEmulator, hsm: string): KeyClient {
  return new KeyClient(on.url(hsm), credentialOf(on), {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
}

function call(
  on: RunningEmulator,
  hsm: string,
  route: string,
  options: { method?: string; body?: unknown } = {},
): Promise<RawResponse> {
  return rawRequest(`${on.url(hsm)}${route}?api-version=7.5`, {
    ...options,
    headers: { authorization: `Bearer ${on.issueToken({})}` },
  });
}

async function keyCall(on: RunningEmulator, hsm: string): Promise<string> {
  try {
    await clientOf(on, hsm).createRsaKey(`k-${randomUUID().slice(0, 8)}`, {
      hsm: true,
      keySize: 2048,
    });
    return "ok";
  } catch (error) {
    const e = serviceErrorOf(error);
    return `${e.statusCode ?? "?"} ${e.innerCode ?? e.code ?? ""}`;
  }
}

async function waitForSuccess(on: RunningEmulator, hsm: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 50; i++) {
    const status = (await call(on, hsm, "/securitydomain/download/pending")).json as {
      status: string;
    };
    seen.push(status.status);
    if (status.status === "Success") return seen;
    await sleep(50);
  }
  return seen;
}

test("an HSM that is not activated refuses key calls; download → 202 + pending InProgress → Success, then keys work", async (t) => {
  t.is(await keyCall(emulator, "sd-flow"), "403 HsmNotActivated");
  t.is((await call(emulator, "sd-flow", "/securitydomain/download/pending")).status, 404);
  const started = await call(emulator, "sd-flow", "/securitydomain/download", {
    method: "POST",
    body: { certificates: jwks.slice(0, 3), required: 2 },
  });
  t.is(started.status, 202);
  t.is(
    started.headers["azure-asyncoperation"],
    `${emulator.url("sd-flow")}/securitydomain/download/pending`,
  );
  t.is(started.headers["retry-after"], "1");
  const value = (started.json as { value: string }).value;
  t.is((JSON.parse(value) as SecurityDomainDocument).shares.length, 3);
  t.is(await keyCall(emulator, "sd-flow"), "403 HsmNotActivated", "not while InProgress");
  const seen = await waitForSuccess(emulator, "sd-flow");
  t.is(seen[0], "InProgress");
  t.is(seen.at(-1), "Success");
  t.is(await keyCall(emulator, "sd-flow"), "ok");

  const again = await call(emulator, "sd-flow", "/securitydomain/download", {
    method: "POST",
    body: { certificates: jwks.slice(0, 3), required: 2 },
  });
  t.is(again.status, 409);
  t.like(again.json, {
    error: { code: "Conflict", innererror: { code: "SecurityDomainAlreadyDownloaded" } },
  });
});

test("bad certificate sets are refused with 400 BadParameter naming the field, and activate nothing", async (t) => {
  const [a, b, c] = jwks as [SecurityDomainJwk, SecurityDomainJwk, SecurityDomainJwk];
  const cases: Array<[string, unknown, RegExp]> = [
    ["two certificates", { certificates: [a, b] }, /^certificates must be an array of 3 to 10/],
    ["eleven certificates", { certificates: Array(11).fill(a) }, /^certificates must be/],
    [
      "required above the count",
      { certificates: [a, b, c], required: 4 },
      /^required 4 is out of range/,
    ],
    ["required 1", { certificates: [a, b, c], required: 1 }, /^required 1 is out of range/],
    ["kty EC", { certificates: [a, { ...b, kty: "EC" }, c] }, /^certificates\[1\]\.kty 'EC'/],
    [
      "alg RSA-OAEP",
      { certificates: [a, b, { ...c, alg: "RSA-OAEP" }] },
      /^certificates\[2\]\.alg/,
    ],
    ["no x5c", { certificates: [{ ...a, x5c: [] }, b, c] }, /^certificates\[0\]\.x5c/],
    [
      "wrong x5t#S256",
      { certificates: [a, { ...b, "x5t#S256": c["x5t#S256"] }, c] },
      /^certificates\[1\]\.x5t#S256/,
    ],
    [
      "n of another certificate",
      { certificates: [a, { ...b, n: c.n }, c] },
      /^certificates\[1\]\.n and/,
    ],
    ["the same certificate twice", { certificates: [a, b, a] }, /^certificates\[2\] repeats/],
    ["no key_ops", { certificates: [a, b, { ...c, key_ops: [] }] }, /^certificates\[2\]\.key_ops/],
  ];
  for (const [label, body, message] of cases) {
    const response = await call(emulator, "sd-bad", "/securitydomain/download", {
      method: "POST",
      body,
    });
    t.is(response.status, 400, label);
    const error = (response.json as { error: { code: string; message: string } }).error;
    t.is(error.code, "BadParameter", label);
    t.regex(error.message, message, label);
  }
  t.is(await keyCall(emulator, "sd-bad"), "403 HsmNotActivated");
});

function decryptShares(document: SecurityDomainDocument, privateKeyPems: readonly string[]) {
  return privateKeyPems.map((pem, i) => {
    const share = document.shares[i];
    if (share === undefined) throw new Error(`no share ${i}`);
    return {
      x: share.x,
      y: privateDecrypt(
        { key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        Buffer.from(share.value, "base64url"),
      ),
    };
  });
}

test("`required` of the certificates' private keys recover the domain secret; fewer do not", async (t) => {
  const started = await call(emulator, "sd-shares", "/securitydomain/download", {
    method: "POST",
    body: { certificates: jwks, required: 3 },
  });
  t.is(started.status, 202);
  const document = JSON.parse((started.json as { value: string }).value) as SecurityDomainDocument;
  t.is(document.required, 3);
  t.false(
    JSON.stringify(document).includes("PRIVATE KEY"),
    "the domain holds no private key material",
  );
  const all = decryptShares(
    document,
    certificates.map((c) => c.privateKeyPem),
  );
  const digest = (secret: Buffer) => createHash("sha256").update(secret).digest("base64url");
  for (const pick of [
    [0, 1, 2],
    [1, 2, 3],
    [0, 2, 3],
    [3, 0, 1, 2],
  ]) {
    const shares = pick.map((i) => all[i]).filter((s) => s !== undefined);
    t.is(digest(combineShares(shares)), document.secretSha256, `shares ${pick.join(",")}`);
  }
  for (const pick of [[0, 1], [2, 3], [1]]) {
    const shares = pick.map((i) => all[i]).filter((s) => s !== undefined);
    t.not(digest(combineShares(shares)), document.secretSha256, `only shares ${pick.join(",")}`);
  }
});

test("a restart with the same data directory keeps the activation and the role assignments made since", async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "azure-byok-sd-"));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const grantee = "00000000-0000-0000-0000-00000000d0d1";
  const options = {
    caDir: TEST_CA_DIR,
    dataDir,
    vaults: [{ name: "sd-durable", kind: "managedhsm" as const, activated: false }],
    securityDomainDownloadDelayMs: DELAY_MS,
  };
  const first = await startEmulator(options);
  const assignment = randomUUID();
  try {
    const started = await call(first, "sd-durable", "/securitydomain/download", {
      method: "POST",
      body: { certificates: jwks.slice(0, 3) },
    });
    t.is(started.status, 202);
    t.is((await waitForSuccess(first, "sd-durable")).at(-1), "Success");
    const put = await call(
      first,
      "sd-durable",
      `/keys/providers/Microsoft.Authorization/roleAssignments/${assignment}`,
      {
        method: "PUT",
        body: {
          properties: {
            roleDefinitionId: "21dbd100-6940-42c2-9190-5d6cb909625b",
            principalId: grantee,
          },
        },
      },
    );
    t.is(put.status, 201);
  } finally {
    await first.stop();
  }
  // Another roleAssignments option on restart changes nothing: what was stored stands.
  const second = await startEmulator({ ...options, roleAssignments: [] });
  t.teardown(() => second.stop());
  t.is(await keyCall(second, "sd-durable"), "ok");
  const status = (await call(second, "sd-durable", "/securitydomain/download/pending")).json;
  t.like(status, { status: "Success" });
  const held = second.roleAssignments("sd-durable");
  t.true(
    held.some((a) => a.name === assignment && a.principalId === grantee && a.scope === "/keys"),
  );
  t.true(
    held.some(
      (a) =>
        a.principalId === DEFAULT_IDENTITY.objectId && a.roleName === "Managed HSM Crypto User",
    ),
    "the defaults of the first start are kept",
  );
});
