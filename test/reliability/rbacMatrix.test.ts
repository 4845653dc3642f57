/**
 * Issue 8: the RBAC matrix. Each of the nine Managed HSM built-in roles, held alone at `/` by its
 * own identity, tries every key action as a real request; a cell is "refused" when the answer is
 * 403 AccessDenied and "allowed" otherwise. The expected table is the documented role → data
 * action list (contracts §4.2, `built-in-roles.md`), written out here, not read from emulator/.
 * Then a KEK (key_ops exactly ["import"]) refuses every cryptographic operation even for an
 * identity holding every role.
 */
import { createHash, createPublicKey, randomUUID } from "node:crypto";
import test from "ava";
import { buildByokFile } from "../../byok/index.js";
import { DEFAULT_IDENTITY } from "../../emulator/index.js";
import { memoizedTargetKey, rawRequest, startTestEmulator } from "../harness/emulatorHarness.js";
import type { RawResponse, TestEmulator } from "../harness/emulatorHarness.js";
import { recordReliabilityResult } from "./reliabilitySettings.js";

const HSM = "rbac-matrix-hsm";
const API = "api-version=7.5";
const DA = "Microsoft.KeyVault/managedHsm";
const ROLE_DEFINITION_PREFIX =
  "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/";
/** Crypto Auditor: what the role-assignment write probe grants (to a principal no probe uses). */
const AUDITOR_ROLE_ID = "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3";
const CONCURRENCY = 8;

const ROLE_DEFS = ["read", "write", "delete"].map((v) => `${DA}/roleDefinitions/${v}/action`);
const ROLE_ASSIGNMENTS = ["read", "write", "delete"].map(
  (v) => `${DA}/roleAssignments/${v}/action`,
);

/** The documented data actions of each built-in role (contracts §4.2). */
const DOCUMENTED: Readonly<Record<string, readonly string[]>> = {
  "Managed HSM Administrator": [
    ...ROLE_DEFS,
    ...ROLE_ASSIGNMENTS,
    `${DA}/securitydomain/download/action`,
    `${DA}/securitydomain/download/read`,
    `${DA}/securitydomain/upload/action`,
    `${DA}/securitydomain/upload/read`,
    `${DA}/securitydomain/transferkey/read`,
    `${DA}/backup/start/action`,
    `${DA}/backup/status/action`,
    `${DA}/restore/start/action`,
    `${DA}/restore/status/action`,
  ],
  "Managed HSM Crypto Officer": [
    ...ROLE_DEFS,
    ...ROLE_ASSIGNMENTS,
    `${DA}/keys/deletedKeys/read/action`,
    `${DA}/keys/deletedKeys/delete`,
    `${DA}/keys/deletedKeys/recover/action`,
    `${DA}/keys/export/action`,
  ],
  "Managed HSM Crypto User": [
    `${DA}/keys/read/action`,
    `${DA}/keys/write/action`,
    `${DA}/keys/rotate/action`,
    `${DA}/keys/create`,
    `${DA}/keys/delete`,
    `${DA}/keys/import/action`,
    `${DA}/keys/release/action`,
    `${DA}/keys/backup/action`,
    `${DA}/keys/restore/action`,
    `${DA}/keys/encrypt/action`,
    `${DA}/keys/decrypt/action`,
    `${DA}/keys/wrap/action`,
    `${DA}/keys/unwrap/action`,
    `${DA}/keys/sign/action`,
    `${DA}/keys/verify/action`,
    `${DA}/roleDefinitions/read/action`,
    `${DA}/roleAssignments/read/action`,
    `${DA}/rng/action`,
  ],
  "Managed HSM Policy Administrator": [...ROLE_DEFS, ...ROLE_ASSIGNMENTS],
  "Managed HSM Crypto Auditor": [
    `${DA}/roleDefinitions/read/action`,
    `${DA}/roleAssignments/read/action`,
    `${DA}/keys/read/action`,
    `${DA}/keys/deletedKeys/read/action`,
  ],
  "Managed HSM Crypto Service Encryption User": [
    `${DA}/keys/read/action`,
    `${DA}/keys/wrap/action`,
    `${DA}/keys/unwrap/action`,
  ],
  "Managed HSM Crypto Service Release User": [`${DA}/keys/release/action`],
  "Managed HSM Backup": [
    `${DA}/backup/start/action`,
    `${DA}/backup/status/action`,
    `${DA}/keys/backup/action`,
  ],
  "Managed HSM Restore": [
    `${DA}/restore/start/action`,
    `${DA}/restore/status/action`,
    `${DA}/keys/restore/action`,
  ],
};
const ROLES = Object.keys(DOCUMENTED);

/** The documented data action each probe needs. */
const ACTIONS = {
  create: `${DA}/keys/create`,
  import: `${DA}/keys/import/action`,
  get: `${DA}/keys/read/action`,
  list: `${DA}/keys/read/action`,
  update: `${DA}/keys/write/action`,
  rotate: `${DA}/keys/rotate/action`,
  delete: `${DA}/keys/delete`,
  "deletedKeys read": `${DA}/keys/deletedKeys/read/action`,
  recover: `${DA}/keys/deletedKeys/recover/action`,
  purge: `${DA}/keys/deletedKeys/delete`,
  backup: `${DA}/keys/backup/action`,
  restore: `${DA}/keys/restore/action`,
  sign: `${DA}/keys/sign/action`,
  verify: `${DA}/keys/verify/action`,
  encrypt: `${DA}/keys/encrypt/action`,
  decrypt: `${DA}/keys/decrypt/action`,
  wrapKey: `${DA}/keys/wrap/action`,
  unwrapKey: `${DA}/keys/unwrap/action`,
  release: `${DA}/keys/release/action`,
  rng: `${DA}/rng/action`,
  "roleAssignments read": `${DA}/roleAssignments/read/action`,
  "roleAssignment write": `${DA}/roleAssignments/write/action`,
} as const;
type Action = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

const ADMIN = DEFAULT_IDENTITY.objectId;
const objectIdOf = (index: number): string =>
  `00000000-0000-0000-0000-0000000b${index.toString(16).padStart(4, "0")}`;
const ROLE_IDENTITY = new Map(ROLES.map((role, i) => [role, objectIdOf(i + 1)]));
const EVERY_ROLE = objectIdOf(0xff);
const GRANTEE = objectIdOf(0xfe);

let env: TestEmulator;

test.before(async () => {
  env = await startTestEmulator({
    vaults: [{ name: HSM, kind: "managedhsm" }],
    identities: [
      DEFAULT_IDENTITY,
      ...[...ROLE_IDENTITY].map(([role, objectId]) => ({ objectId, name: role })),
      { objectId: EVERY_ROLE, name: "every role" },
    ],
    roleAssignments: [
      { objectId: ADMIN, roleName: "Managed HSM Crypto Officer" },
      { objectId: ADMIN, roleName: "Managed HSM Crypto User" },
      ...[...ROLE_IDENTITY].map(([roleName, objectId]) => ({ objectId, roleName })),
      ...ROLES.map((roleName) => ({ objectId: EVERY_ROLE, roleName })),
    ],
  });
});

test.after.always(async () => {
  // Recorded whatever the outcome, with what was measured.
  recordReliabilityResult("rbac-matrix", {
    inputsTried: matrix.tried + kekProbes.tried,
    inputsRejected: matrix.refused + kekProbes.refused,
    note: `${String(ROLES.length)} built-in roles × ${String(ACTION_NAMES.length)} actions vs contracts §4.2 (${String(matrix.mismatches)} mismatches) + KEK crypto ops refused ${String(kekProbes.refused)}/${String(kekProbes.tried)}`,
  });
  await (env as TestEmulator | undefined)?.emulator.stop();
});

function call(
  objectId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<RawResponse> {
  return rawRequest(`${env.emulator.url(HSM)}${path}?${API}`, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: { authorization: `Bearer ${env.emulator.issueToken({ objectId })}` },
  });
}

/** An admin call that must succeed; returns its JSON. */
async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await call(ADMIN, method, path, body);
  if (response.status < 200 || response.status > 299)
    throw new Error(`setup ${method} ${path}: ${String(response.status)} ${response.body}`);
  return response.json;
}

const ALL_OPS = ["sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey"];
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

function createKey(name: string, keyOps: readonly string[] = ALL_OPS): Promise<unknown> {
  return admin("POST", `/keys/${name}/create`, { kty: "RSA-HSM", key_size: 2048, key_ops: keyOps });
}

/** A key the admin created, then deleted (soft) for a recover or purge probe. */
async function deletedKey(name: string): Promise<void> {
  await createKey(name);
  await admin("DELETE", `/keys/${name}`);
}

async function pool<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index];
      if (job !== undefined) results[index] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

function isAccessDenied(response: RawResponse): boolean {
  const code = (response.json as { error?: { code?: string } } | undefined)?.error?.code;
  return response.status === 403 && code === "AccessDenied";
}

interface Fixtures {
  readonly shared: string;
  readonly digest: string;
  readonly signature: string;
  readonly ciphertext: string;
  readonly wrapped: string;
  readonly byok: string;
}

/** The request a probe sends, after the admin set up what it needs. */
async function probe(
  action: Action,
  objectId: string,
  tag: string,
  f: Fixtures,
): Promise<RawResponse> {
  const own = `${action.replace(/[^a-zA-Z]/g, "")}-${tag}`;
  switch (action) {
    case "create":
      return call(objectId, "POST", `/keys/${own}/create`, { kty: "RSA-HSM", key_size: 2048 });
    case "import":
      return call(objectId, "PUT", `/keys/${own}`, {
        key: { kty: "RSA-HSM", key_ops: ["sign", "verify"], key_hsm: f.byok },
      });
    case "get":
      return call(objectId, "GET", `/keys/${f.shared}`);
    case "list":
      return call(objectId, "GET", "/keys");
    case "update":
      return call(objectId, "PATCH", `/keys/${f.shared}`, { tags: { probe: tag } });
    case "rotate":
      await createKey(own);
      return call(objectId, "POST", `/keys/${own}/rotate`);
    case "delete":
      await createKey(own);
      return call(objectId, "DELETE", `/keys/${own}`);
    case "deletedKeys read":
      await deletedKey(own);
      return call(objectId, "GET", `/deletedkeys/${own}`);
    case "recover":
      await deletedKey(own);
      return call(objectId, "POST", `/deletedkeys/${own}/recover`);
    case "purge":
      await deletedKey(own);
      return call(objectId, "DELETE", `/deletedkeys/${own}`);
    case "backup":
      return call(objectId, "POST", `/keys/${f.shared}/backup`);
    case "restore": {
      await createKey(own);
      const { value } = (await admin("POST", `/keys/${own}/backup`)) as { value: string };
      await admin("DELETE", `/keys/${own}`);
      await admin("DELETE", `/deletedkeys/${own}`);
      return call(objectId, "POST", "/keys/restore", { value });
    }
    case "sign":
      return call(objectId, "POST", `/keys/${f.shared}/sign`, { alg: "RS256", value: f.digest });
    case "verify":
      return call(objectId, "POST", `/keys/${f.shared}/verify`, {
        alg: "RS256",
        digest: f.digest,
        value: f.signature,
      });
    case "encrypt":
      return call(objectId, "POST", `/keys/${f.shared}/encrypt`, {
        alg: "RSA-OAEP-256",
        value: f.digest,
      });
    case "decrypt":
      return call(objectId, "POST", `/keys/${f.shared}/decrypt`, {
        alg: "RSA-OAEP-256",
        value: f.ciphertext,
      });
    case "wrapKey":
      return call(objectId, "POST", `/keys/${f.shared}/wrapkey`, {
        alg: "RSA-OAEP-256",
        value: f.digest,
      });
    case "unwrapKey":
      return call(objectId, "POST", `/keys/${f.shared}/unwrapkey`, {
        alg: "RSA-OAEP-256",
        value: f.wrapped,
      });
    case "release":
      return call(objectId, "POST", `/keys/${f.shared}/release`, { target: "not.an.attestation" });
    case "rng":
      return call(objectId, "POST", "/rng", { count: 16 });
    case "roleAssignments read":
      return call(objectId, "GET", "//providers/Microsoft.Authorization/roleAssignments");
    case "roleAssignment write":
      return call(
        objectId,
        "PUT",
        `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
        {
          properties: {
            roleDefinitionId: `${ROLE_DEFINITION_PREFIX}${AUDITOR_ROLE_ID}`,
            principalId: GRANTEE,
          },
        },
      );
  }
}

let kekId = "";
let matrix = { tried: 0, refused: 0, mismatches: 0 };
const kekProbes = { tried: 0, refused: 0 };

test.serial("the nine built-in roles × the key actions match the documented table", async (t) => {
  t.timeout(60_000);
  const kek = (await createKey("rbac-kek", ["import"])) as {
    key: { kid: string; n: string; e: string };
  };
  kekId = kek.key.kid;
  const kekPem = createPublicKey({
    key: { kty: "RSA", n: kek.key.n, e: kek.key.e },
    format: "jwk",
  })
    .export({ type: "spki", format: "pem" })
    .toString();
  const target = await memoizedTargetKey("rsa-2048");
  const byok = b64(
    Buffer.from(buildByokFile(target, { kekPublicKey: kekPem, kekKid: kekId }).text),
  );

  const shared = "rbac-shared";
  await createKey(shared);
  const digest = b64(createHash("sha256").update("rbac matrix").digest());
  const signed = (await admin("POST", `/keys/${shared}/sign`, { alg: "RS256", value: digest })) as {
    value: string;
  };
  const encrypted = (await admin("POST", `/keys/${shared}/encrypt`, {
    alg: "RSA-OAEP-256",
    value: digest,
  })) as { value: string };
  const wrapped = (await admin("POST", `/keys/${shared}/wrapkey`, {
    alg: "RSA-OAEP-256",
    value: digest,
  })) as { value: string };
  const fixtures: Fixtures = {
    shared,
    digest,
    signature: signed.value,
    ciphertext: encrypted.value,
    wrapped: wrapped.value,
    byok,
  };

  const cells = ROLES.flatMap((role, r) =>
    ACTION_NAMES.map((action) => ({
      role,
      action,
      expected: DOCUMENTED[role]?.includes(ACTIONS[action]) === true,
      run: () => probe(action, ROLE_IDENTITY.get(role) ?? "", `r${String(r)}`, fixtures),
    })),
  );
  const responses = await pool(
    cells.map((cell) => cell.run),
    CONCURRENCY,
  );

  const mismatches: string[] = [];
  const rows = cells.map((cell, i) => {
    const response = responses[i];
    const allowed = response !== undefined && !isAccessDenied(response);
    const status = response?.status ?? 0;
    const detail = `${String(status)} ${response?.body.slice(0, 160) ?? ""}`;
    if (allowed !== cell.expected) {
      mismatches.push(
        `${cell.role} / ${cell.action}: documented ${cell.expected ? "allowed" : "refused"}, got ${detail}`,
      );
    } else if (allowed && cell.action !== "release" && (status < 200 || status > 299)) {
      mismatches.push(
        `${cell.role} / ${cell.action}: allowed but not a 2xx, the probe is broken: ${detail}`,
      );
    }
    return { ...cell, allowed };
  });

  const short = (role: string): string => role.replace(/^Managed HSM /, "");
  const width = Math.max(...ROLES.map((role) => short(role).length));
  const header = `${"".padEnd(width)} | ${ACTION_NAMES.join(" | ")}`;
  const lines = ROLES.map(
    (role) =>
      `${short(role).padEnd(width)} | ${ACTION_NAMES.map((action) => {
        const cell = rows.find((row) => row.role === role && row.action === action);
        return (cell?.allowed === true ? "✓" : "✗").padEnd(action.length);
      }).join(" | ")}`,
  );
  t.log(["RBAC matrix (✓ allowed, ✗ 403 AccessDenied)", header, ...lines].join("\n"));

  matrix = {
    tried: rows.length,
    refused: rows.filter((row) => !row.allowed).length,
    mismatches: mismatches.length,
  };
  t.deepEqual(mismatches, []);
});

test.serial(
  "a KEK (key_ops [import]) refuses every crypto operation even for an identity holding every role",
  async (t) => {
    const name = "rbac-kek-only";
    await createKey(name, ["import"]);
    const digest = b64(createHash("sha256").update("kek").digest());
    const bodies: Record<string, unknown> = {
      sign: { alg: "RS256", value: digest },
      verify: { alg: "RS256", digest, value: b64(Buffer.alloc(256, 1)) },
      encrypt: { alg: "RSA-OAEP-256", value: digest },
      decrypt: { alg: "RSA-OAEP-256", value: b64(Buffer.alloc(256, 1)) },
      wrapkey: { alg: "RSA-OAEP-256", value: digest },
      unwrapkey: { alg: "RSA-OAEP-256", value: b64(Buffer.alloc(256, 1)) },
    };
    const results = await Promise.all(
      Object.entries(bodies).map(async ([op, body]) => ({
        op,
        response: await call(EVERY_ROLE, "POST", `/keys/${name}/${op}`, body),
      })),
    );
    for (const { op, response } of results) {
      const error = (response.json as { error?: { code?: string; innererror?: { code?: string } } })
        .error;
      t.is(response.status, 403, `${op}: ${response.body}`);
      t.is(error?.code, "Forbidden", op);
      t.is(error?.innererror?.code, "KeyOperationForbidden", op);
    }
    t.log(results.map(({ op, response }) => `${op}: ${String(response.status)}`).join(", "));
    t.truthy(kekId);
    kekProbes.tried = results.length;
    kekProbes.refused = results.filter(({ response }) => response.status === 403).length;
  },
);
