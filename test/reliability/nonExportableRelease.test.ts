/**
 * A non-exportable key cannot be released (issue 8), on a Managed HSM and on a Premium vault, for
 * a key created in the vault and one imported from a .byok file. Every way there is refused over
 * the REST API, and nothing about the key changes:
 *
 * - release it directly (versionless and versioned): 400 BadParameter / KeyNotExportable;
 * - make it releasable first with a PATCH (exportable true, a release policy, or both; versionless
 *   and versioned), then release: each PATCH is 400 BadParameter (AKV.SKR.1014 "Cannot modify the
 *   exportable state of a key", AKV.SKR.1005 "Non-exportable keys must not have release
 *   policy"), and the release after it is still refused;
 * - create or import it not exportable but with a release policy: 400 (AKV.SKR.1005), and no key.
 *
 * The same attestation token releases an exportable key with the same policy in the same vault,
 * created and imported alike, so each refusal is the exportability rule and not a bad token.
 */
import { generateKeyPairSync } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import { buildByokFile } from "../../byok/index.js";
import {
  createTestKek,
  memoizedTargetKey,
  rawRequest,
  startTestEmulator,
} from "../harness/emulatorHarness.js";
import type { RawResponse, TestEmulator } from "../harness/emulatorHarness.js";
import { recordReliabilityResult } from "./reliabilitySettings.js";

const HSM = "noexport-hsm";
const VAULT = "noexport-vault";
type VaultName = typeof HSM | typeof VAULT;
const AUDIENCE = { [HSM]: "https://managedhsm.azure.net", [VAULT]: "https://vault.azure.net" };
const API = "api-version=7.6";
const AUTHORITY = "https://sharedeus.eus.attest.azure.net";

let env: TestEmulator;
const tally = { tried: 0, refused: 0, unchanged: 0, keys: 0 };

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  recordReliabilityResult("non-exportable-release", {
    inputsTried: tally.tried,
    inputsRejected: tally.refused,
    note: `${tally.keys} non-exportable keys (created and BYOK-imported, Managed HSM and Premium vault): releases, PATCHes that would make them releasable, and creates/imports with a release policy; ${tally.unchanged} keys read back unchanged`,
  });
  await (env as TestEmulator | undefined)?.emulator.stop();
});

const POLICY = {
  version: "1.0.0",
  anyOf: [
    { authority: AUTHORITY, allOf: [{ claim: "x-ms-attestation-type", equals: "sevsnpvm" }] },
  ],
};
const RELEASE_POLICY = { data: Buffer.from(JSON.stringify(POLICY)).toString("base64url") };

/** An attestation token that satisfies POLICY (the emulator checks claims, not the signature). */
function attestationToken(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const payload = {
    iss: AUTHORITY,
    iat: now,
    exp: now + 3600,
    "x-ms-attestation-type": "sevsnpvm",
    "x-ms-runtime": {
      keys: [{ kid: "TpmEphemeralEncryptionKey", ...publicKey.export({ format: "jwk" }) }],
    },
  };
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.${Buffer.alloc(64, 1).toString("base64url")}`;
}

function call(vault: VaultName, method: string, path: string, body?: unknown) {
  return rawRequest(`${env.emulator.url(vault)}${path}?${API}`, {
    method,
    headers: {
      authorization: `Bearer ${env.emulator.issueToken({ audience: AUDIENCE[vault] })}`,
    },
    ...(body === undefined ? {} : { body }),
  });
}

function codesOf(response: RawResponse): string {
  const error = (response.json as { error?: { code?: string; innererror?: { code?: string } } })
    .error;
  return `${response.status} ${error?.code ?? "-"}/${error?.innererror?.code ?? "-"}`;
}

/** Sends a request that must be refused, counts it, and returns `label: status code/inner`. */
async function refused(
  vault: VaultName,
  label: string,
  method: string,
  path: string,
  body: unknown,
): Promise<string> {
  tally.tried += 1;
  const response = await call(vault, method, path, body);
  if (response.status >= 400 && response.status < 500) tally.refused += 1;
  return `${label}: ${codesOf(response)}`;
}

/** What a user sees of a key: the latest version's bundle and the list of versions. */
async function observe(vault: VaultName, name: string): Promise<string> {
  const key = await call(vault, "GET", `/keys/${name}`);
  const versions = await call(vault, "GET", `/keys/${name}/versions`);
  return JSON.stringify({ key: key.json, versions: versions.json });
}

interface Made {
  readonly name: string;
  readonly version: string;
}

async function created(vault: VaultName, name: string, body: unknown): Promise<Made> {
  const response = await call(vault, "POST", `/keys/${name}/create`, body);
  if (response.status !== 200) throw new Error(`create ${name}: ${response.body}`);
  const kid = (response.json as { key: { kid: string } }).key.kid;
  return { name, version: kid.split("/").at(-1) ?? "" };
}

/** A .byok file wrapped for a new KEK in `vault`, and the import body's key for it. */
async function byokKey(vault: VaultName, kekName: string) {
  const { kek, publicKeyPem } = await createTestKek(env.keyClient(vault), kekName);
  const target = await memoizedTargetKey("ec-p256");
  const byok = buildByokFile(target, { kekPublicKey: publicKeyPem, kekKid: kek.id! }).text;
  return { kty: "EC-HSM", crv: "P-256", key_hsm: Buffer.from(byok).toString("base64url") };
}

async function imported(vault: VaultName, name: string, body: unknown): Promise<Made> {
  const response = await call(vault, "PUT", `/keys/${name}`, body);
  if (response.status !== 200) throw new Error(`import ${name}: ${response.body}`);
  const kid = (response.json as { key: { kid: string } }).key.kid;
  return { name, version: kid.split("/").at(-1) ?? "" };
}

const NOT_EXPORTABLE = "400 BadParameter/KeyNotExportable";
const EXPORTABLE_FIXED = "400 BadParameter/ExportableCannotChange";

/**
 * Every way of releasing `key` (not exportable) is refused, and the key reads back as before.
 */
async function cannotBeReleased(t: ExecutionContext, vault: VaultName, key: Made) {
  tally.keys += 1;
  const before = await observe(vault, key.name);
  t.regex(before, /"exportable":false/);
  const target = { target: attestationToken() };
  const release = (label: string, version = "") =>
    refused(vault, label, "POST", `/keys/${key.name}${version}/release`, target);
  const patch = (label: string, body: unknown, version = "") =>
    refused(vault, label, "PATCH", `/keys/${key.name}${version}`, body);
  const versioned = `/${key.version}`;

  const seen = [
    await release("release"),
    await release("release (versioned)", versioned),
    await patch("patch exportable", { attributes: { exportable: true } }),
    await release("then release"),
    await patch("patch release_policy", { release_policy: RELEASE_POLICY }),
    await release("then release"),
    await patch("patch both", { attributes: { exportable: true }, release_policy: RELEASE_POLICY }),
    await release("then release"),
    await patch(
      "patch both (versioned)",
      { attributes: { exportable: true }, release_policy: RELEASE_POLICY },
      versioned,
    ),
    await release("then release (versioned)", versioned),
    await patch("patch both with a tag", {
      attributes: { exportable: true, enabled: true },
      release_policy: { ...RELEASE_POLICY, immutable: true },
      tags: { made: "releasable" },
    }),
    await release("then release"),
  ];
  t.deepEqual(seen, [
    `release: ${NOT_EXPORTABLE}`,
    `release (versioned): ${NOT_EXPORTABLE}`,
    `patch exportable: ${EXPORTABLE_FIXED}`,
    `then release: ${NOT_EXPORTABLE}`,
    `patch release_policy: ${NOT_EXPORTABLE}`,
    `then release: ${NOT_EXPORTABLE}`,
    `patch both: ${EXPORTABLE_FIXED}`,
    `then release: ${NOT_EXPORTABLE}`,
    `patch both (versioned): ${EXPORTABLE_FIXED}`,
    `then release (versioned): ${NOT_EXPORTABLE}`,
    `patch both with a tag: ${EXPORTABLE_FIXED}`,
    `then release: ${NOT_EXPORTABLE}`,
  ]);
  const after = await observe(vault, key.name);
  t.is(after, before, "the key, its attributes, tags and versions are as they were");
  if (after === before) tally.unchanged += 1;
}

/** A create or import that would make a non-exportable key with a policy is refused; no key. */
async function refusedAtBirth(
  t: ExecutionContext,
  vault: VaultName,
  cases: ReadonlyArray<readonly [string, string, string, unknown]>,
) {
  const seen: string[] = [];
  for (const [label, method, path, body] of cases) {
    seen.push(await refused(vault, label, method, path, body));
    const name = path.split("/")[2] ?? "";
    const read = await call(vault, "GET", `/keys/${name}`);
    seen.push(`${label}, then read: ${String(read.status)}`);
  }
  t.deepEqual(
    seen,
    cases.flatMap(([label]) => [`${label}: ${NOT_EXPORTABLE}`, `${label}, then read: 404`]),
  );
}

/** An exportable key with the same policy is released with the same kind of token. */
async function releasable(t: ExecutionContext, vault: VaultName, name: string) {
  const response = await call(vault, "POST", `/keys/${name}/release`, {
    target: attestationToken(),
  });
  t.is(response.status, 200, `${name}: ${response.body}`);
}

for (const vault of [HSM, VAULT] as const) {
  const where = vault === HSM ? "a Managed HSM" : "a Premium vault";

  test(`on ${where}, a created key that is not exportable is not released directly or after a PATCH, and does not change`, async (t) => {
    await cannotBeReleased(
      t,
      vault,
      await created(vault, "made-here", { kty: "RSA-HSM", key_size: 2048 }),
    );
    await cannotBeReleased(
      t,
      vault,
      await created(vault, "made-here-explicit", {
        kty: "EC-HSM",
        crv: "P-256",
        attributes: { exportable: false },
      }),
    );
    await created(vault, "made-exportable", {
      kty: "RSA-HSM",
      key_size: 2048,
      attributes: { exportable: true },
      release_policy: RELEASE_POLICY,
    });
    await releasable(t, vault, "made-exportable");
  });

  test(`on ${where}, a BYOK-imported key that is not exportable is not released directly or after a PATCH, and does not change`, async (t) => {
    const key = await byokKey(vault, "import-kek");
    await cannotBeReleased(t, vault, await imported(vault, "brought", { key }));
    await cannotBeReleased(
      t,
      vault,
      await imported(vault, "brought-explicit", { key, attributes: { exportable: false } }),
    );
    await imported(vault, "brought-exportable", {
      key,
      attributes: { exportable: true },
      release_policy: RELEASE_POLICY,
    });
    await releasable(t, vault, "brought-exportable");
  });

  test(`on ${where}, creating or importing a key that is not exportable with a release policy is refused (AKV.SKR.1005) and makes no key`, async (t) => {
    const key = await byokKey(vault, "birth-kek");
    await refusedAtBirth(t, vault, [
      [
        "create with a policy",
        "POST",
        "/keys/born-policy/create",
        { kty: "RSA-HSM", key_size: 2048, release_policy: RELEASE_POLICY },
      ],
      [
        "create exportable false with a policy",
        "POST",
        "/keys/born-false/create",
        {
          kty: "EC-HSM",
          crv: "P-256",
          attributes: { exportable: false },
          release_policy: RELEASE_POLICY,
        },
      ],
      ["import with a policy", "PUT", "/keys/born-import", { key, release_policy: RELEASE_POLICY }],
      [
        "import exportable false with a policy",
        "PUT",
        "/keys/born-import-false",
        { key, attributes: { exportable: false }, release_policy: RELEASE_POLICY },
      ],
    ]);
  });
}
