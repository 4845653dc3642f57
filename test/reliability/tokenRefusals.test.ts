/**
 * The emulator refuses every request that lacks a valid token (issue 8), on a Managed HSM and on
 * a Premium vault alike: no token, an empty or non-Bearer header, a token that is not a JWT,
 * expired, for another audience, signed by another key (a second emulator, or any RSA key), its
 * payload changed under the original signature, `alg: none`, and HS256. Each is tried on reads,
 * writes and (on the HSM) the role API: every one is a 401 `Unauthorized` with the service's
 * challenge, and no write it attempted happened. test/emulator/api/authentication.test.ts covers
 * the messages on the HSM; this is the matrix, with counts for the reliability summary.
 */
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import { DEFAULT_IDENTITY, startEmulator } from "../../emulator/index.js";
import type { RunningEmulator } from "../../emulator/index.js";
import { TEST_CA_DIR, rawRequest, startTestEmulator } from "../harness/emulatorHarness.js";
import type { RawResponse, TestEmulator } from "../harness/emulatorHarness.js";
import { recordReliabilityResult } from "./reliabilitySettings.js";

const TENANT = "11111111-2222-3333-4444-555555555555";
const HSM = "refusal-hsm";
const VAULT = "refusal-vault";
const API = "api-version=7.6";
const AUDIENCE = {
  managedhsm: "https://managedhsm.azure.net",
  vault: "https://vault.azure.net",
} as const;
type Kind = keyof typeof AUDIENCE;

let env: TestEmulator;
/** A second emulator with the same tenant: its tokens are well formed but signed by another key. */
let stranger: RunningEmulator;
const tally = { tried: 0, refused: 0, kinds: 0 };

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
    ],
    tenantId: TENANT,
  });
  stranger = await startEmulator({
    caDir: TEST_CA_DIR,
    tenantId: TENANT,
    vaults: [{ name: "stranger-hsm", kind: "managedhsm" }],
  });
});

test.after.always(async () => {
  recordReliabilityResult("token-refusals", {
    inputsTried: tally.tried,
    inputsRejected: tally.refused,
    note: `requests without a valid token (${tally.kinds} kinds) on reads, writes and the role API of a Managed HSM and a vault: each a 401 with the challenge, no write done`,
  });
  await (stranger as RunningEmulator | undefined)?.stop();
  await (env as TestEmulator | undefined)?.emulator.stop();
});

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function partsOf(token: string): { header: string; payload: string; signature: string } {
  const [header = "", payload = "", signature = ""] = token.split(".");
  return { header, payload, signature };
}

/** A valid token's header and payload, signed with a key the emulator never saw. */
function signedByAnotherKey(token: string): string {
  const { header, payload } = partsOf(token);
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

/** A valid token with another caller's oid put into its payload; the signature is left as it was. */
function payloadChanged(token: string): string {
  const { header, payload, signature } = partsOf(token);
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as object;
  return `${header}.${b64url({ ...claims, oid: "00000000-0000-0000-0000-00000000beef" })}.${signature}`;
}

/** The claims of a valid token under `alg: none`, unsigned. */
function algNone(token: string): string {
  return `${b64url({ typ: "JWT", alg: "none" })}.${partsOf(token).payload}.`;
}

/** The claims of a valid token, HMAC-signed (HS256) with a secret anyone could pick. */
function hs256(token: string): string {
  const input = `${b64url({ typ: "JWT", alg: "HS256" })}.${partsOf(token).payload}`;
  return `${input}.${createHmac("sha256", "secret").update(input).digest("base64url")}`;
}

/** Each way to lack a valid token, as the Authorization header to send (undefined: none). */
function badAuthorizations(kind: Kind): Array<[string, string | undefined]> {
  const audience = AUDIENCE[kind];
  const other = kind === "managedhsm" ? AUDIENCE.vault : AUDIENCE.managedhsm;
  const valid = env.emulator.issueToken({ audience });
  const bearer = (token: string) => `Bearer ${token}`;
  return [
    ["no token", undefined],
    ["an empty Authorization header", ""],
    ["a Basic scheme", `Basic ${Buffer.from("user:password").toString("base64")}`],
    ["a token that is not a JWT", bearer("not-a-jwt")],
    ["an expired token", bearer(env.emulator.issueToken({ audience, expiresInSeconds: -60 }))],
    [
      "a token for the other service's audience",
      bearer(env.emulator.issueToken({ audience: other })),
    ],
    [
      "a token for Azure Resource Manager",
      bearer(env.emulator.issueToken({ audience: "https://management.azure.com" })),
    ],
    ["a token from another emulator", bearer(stranger.issueToken({ audience }))],
    ["a token signed by another RSA key", bearer(signedByAnotherKey(valid))],
    ["a token whose payload was changed after signing", bearer(payloadChanged(valid))],
    ["an alg none token", bearer(algNone(valid))],
    ["an HS256 token", bearer(hs256(valid))],
  ];
}

interface Probe {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

function probes(kind: Kind, existing: string): Probe[] {
  const fresh = `refused-${kind}`;
  const common: Probe[] = [
    { what: "list keys", method: "GET", path: `/keys?${API}` },
    { what: "get a key", method: "GET", path: `/keys/${existing}?${API}` },
    {
      what: "create a key",
      method: "POST",
      path: `/keys/${fresh}/create?${API}`,
      body: { kty: kind === "managedhsm" ? "EC-HSM" : "EC", crv: "P-256" },
    },
    {
      what: "import a key",
      method: "PUT",
      path: `/keys/${fresh}?${API}`,
      body: { key: { kty: "RSA-HSM", key_hsm: "e30" } },
    },
    {
      what: "update tags",
      method: "PATCH",
      path: `/keys/${existing}?${API}`,
      body: { tags: { changed: "yes" } },
    },
    { what: "delete a key", method: "DELETE", path: `/keys/${existing}?${API}` },
    {
      what: "sign",
      method: "POST",
      path: `/keys/${existing}/sign?${API}`,
      body: { alg: "ES256", value: Buffer.alloc(32).toString("base64url") },
    },
  ];
  if (kind === "vault") return common;
  return [
    ...common,
    {
      what: "list role assignments",
      method: "GET",
      path: `/providers/Microsoft.Authorization/roleAssignments?${API}`,
    },
    {
      what: "assign a role",
      method: "PUT",
      path: `/providers/Microsoft.Authorization/roleAssignments/0a0a0a0a-0000-0000-0000-000000000001?${API}`,
      body: {
        properties: {
          roleDefinitionId:
            "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b",
          principalId: "00000000-0000-0000-0000-00000000beef",
        },
      },
    },
  ];
}

function send(kind: Kind, probe: Probe, authorization: string | undefined): Promise<RawResponse> {
  const url = `${env.emulator.url(kind === "managedhsm" ? HSM : VAULT)}${probe.path}`;
  return rawRequest(url, {
    method: probe.method,
    headers: authorization === undefined ? {} : { authorization },
    ...(probe.body === undefined ? {} : { body: probe.body }),
  });
}

/** What a refused request must look like; the problems, [] when it is one. */
function refusalProblems(response: RawResponse, kind: Kind): string[] {
  const problems: string[] = [];
  if (response.status !== 401) problems.push(`status ${response.status}`);
  const code = (response.json as { error?: { code?: string } } | undefined)?.error?.code;
  if (code !== "Unauthorized") problems.push(`error code ${String(code)}`);
  const challenge = String(response.headers["www-authenticate"]);
  if (
    challenge !==
    `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="${AUDIENCE[kind]}"`
  )
    problems.push(`challenge ${challenge}`);
  return problems;
}

async function refusesEverything(t: ExecutionContext, kind: Kind): Promise<void> {
  const vaultName = kind === "managedhsm" ? HSM : VAULT;
  const keys = env.keyClient(vaultName);
  const existing = `kept-${kind}`;
  const before = await keys.createEcKey(existing, { curve: "P-256", hsm: kind === "managedhsm" });
  const assignmentsBefore = kind === "managedhsm" ? env.emulator.roleAssignments(HSM).length : 0;

  const failures: string[] = [];
  const bad = badAuthorizations(kind);
  tally.kinds = bad.length;
  for (const [how, authorization] of bad) {
    for (const probe of probes(kind, existing)) {
      tally.tried += 1;
      const problems = refusalProblems(await send(kind, probe, authorization), kind);
      if (problems.length === 0) tally.refused += 1;
      else failures.push(`${probe.what} with ${how}: ${problems.join(", ")}`);
    }
  }
  t.deepEqual(failures, []);

  // nothing any of them tried was done
  const after = await keys.getKey(existing);
  t.is(after.properties.version, before.properties.version);
  t.deepEqual(after.properties.tags ?? {}, {});
  const created: string[] = [];
  for await (const properties of keys.listPropertiesOfKeys()) created.push(properties.name);
  t.deepEqual(created, [existing]);
  if (kind === "managedhsm") t.is(env.emulator.roleAssignments(HSM).length, assignmentsBefore);

  // the same requests with a valid token get through, so the refusals above were the token's doing
  const valid = `Bearer ${env.emulator.issueToken({ audience: AUDIENCE[kind], objectId: DEFAULT_IDENTITY.objectId })}`;
  const create = probes(kind, existing).find((probe) => probe.what === "create a key")!;
  t.is((await send(kind, create, valid)).status, 200);
  t.is((await send(kind, probes(kind, existing)[0]!, valid)).status, 200);
}

test("a Managed HSM refuses every request without a valid token (401 with the challenge) and does none of them", async (t) => {
  await refusesEverything(t, "managedhsm");
});

test("a Premium vault refuses every request without a valid token (401 with the challenge) and does none of them", async (t) => {
  await refusesEverything(t, "vault");
});
