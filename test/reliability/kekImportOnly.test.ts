/**
 * The KEK can do nothing but import (issue 8; contracts §1.2: `key_ops` exactly `["import"]`,
 * mutually exclusive with every other operation). On a Managed HSM and on a Premium vault, every
 * cryptographic operation and key release asked of a KEK directly over the REST API (the SDK would
 * refuse locally once it has read `key_ops`) is refused with 403 `KeyOperationForbidden`; a PATCH
 * cannot give it another operation; and it still does the one thing it is for: a .byok wrapped
 * for it imports.
 */
import { generateKeyPairSync } from "node:crypto";
import test from "ava";
import type { ExecutionContext } from "ava";
import { buildByokFile, hsmKeyType } from "../../byok/index.js";
import {
  createTestKek,
  memoizedTargetKey,
  rawRequest,
  startTestEmulator,
} from "../harness/emulatorHarness.js";
import type { RawResponse, TestEmulator } from "../harness/emulatorHarness.js";
import { recordReliabilityResult } from "./reliabilitySettings.js";

const HSM = "kekonly-hsm";
const VAULT = "kekonly-vault";
const AUDIENCE = { [HSM]: "https://managedhsm.azure.net", [VAULT]: "https://vault.azure.net" };
const API = "api-version=7.6";

let env: TestEmulator;
const tally = { tried: 0, refused: 0 };

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: HSM, kind: "managedhsm" },
      { name: VAULT, kind: "vault" },
    ],
  });
});

test.after.always(async () => {
  recordReliabilityResult("kek-import-only", {
    inputsTried: tally.tried,
    inputsRejected: tally.refused,
    note: "sign, verify, encrypt, decrypt, wrapKey, unwrapKey and release asked of a KEK, and PATCHes adding operations, on a Managed HSM and a vault: all refused; a .byok still imports",
  });
  await (env as TestEmulator | undefined)?.emulator.stop();
});

const b64 = (bytes: number, fill = 1): string => Buffer.alloc(bytes, fill).toString("base64url");

/** An attestation token with an RSA runtime key, enough for release to reach its key checks. */
function attestationToken(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const payload = {
    iss: "https://sharedeus.eus.attest.azure.net",
    iat: now,
    exp: now + 3600,
    "x-ms-attestation-type": "sevsnpvm",
    "x-ms-runtime": {
      keys: [
        {
          kid: "TpmEphemeralEncryptionKey",
          key_ops: ["encrypt"],
          ...publicKey.export({ format: "jwk" }),
        },
      ],
    },
  };
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.${b64(64)}`;
}

/** The operations a KEK must refuse: path suffix and body. */
const OPERATIONS: ReadonlyArray<readonly [string, unknown]> = [
  ["sign", { alg: "RS256", value: b64(32) }],
  ["verify", { alg: "RS256", digest: b64(32), value: b64(256) }],
  ["encrypt", { alg: "RSA-OAEP", value: b64(32) }],
  ["decrypt", { alg: "RSA-OAEP", value: b64(256) }],
  ["wrapkey", { alg: "RSA-OAEP-256", value: b64(32) }],
  ["unwrapkey", { alg: "RSA-OAEP-256", value: b64(256) }],
  ["release", { target: attestationToken() }],
];

function call(vault: typeof HSM | typeof VAULT, method: string, path: string, body: unknown) {
  return rawRequest(`${env.emulator.url(vault)}${path}?${API}`, {
    method,
    headers: {
      authorization: `Bearer ${env.emulator.issueToken({ audience: AUDIENCE[vault] })}`,
    },
    body,
  });
}

function codesOf(response: RawResponse): string {
  const error = (response.json as { error?: { code?: string; innererror?: { code?: string } } })
    .error;
  return `${response.status} ${error?.code ?? "-"}/${error?.innererror?.code ?? "-"}`;
}

async function kekDoesOnlyImport(t: ExecutionContext, vault: typeof HSM | typeof VAULT) {
  const keys = env.keyClient(vault);
  const { kek, publicKeyPem } = await createTestKek(keys, `kek-${vault}`);
  const seen: string[] = [];
  for (const [operation, body] of OPERATIONS) {
    for (const version of ["", `/${kek.properties.version!}`]) {
      tally.tried += 1;
      const response = await call(vault, "POST", `/keys/${kek.name}${version}/${operation}`, body);
      if (response.status === 403) tally.refused += 1;
      seen.push(`${operation}${version === "" ? "" : " (versioned)"}: ${codesOf(response)}`);
    }
  }
  t.deepEqual(
    seen,
    OPERATIONS.flatMap(([operation]) => [
      `${operation}: 403 Forbidden/KeyOperationForbidden`,
      `${operation} (versioned): 403 Forbidden/KeyOperationForbidden`,
    ]),
  );

  const patches: string[] = [];
  for (const keyOps of [
    ["sign"],
    ["import", "sign"],
    ["import", "export"],
    ["encrypt", "decrypt"],
  ]) {
    tally.tried += 1;
    const response = await call(vault, "PATCH", `/keys/${kek.name}`, { key_ops: keyOps });
    if (response.status === 400) tally.refused += 1;
    patches.push(`${keyOps.join("+")}: ${codesOf(response)}`);
  }
  t.deepEqual(
    patches.map((line) => line.replace(/\/.*$/, "")),
    [
      "sign: 400 BadParameter",
      "import+sign: 400 BadParameter",
      "import+export: 400 BadParameter",
      "encrypt+decrypt: 400 BadParameter",
    ],
  );
  t.deepEqual((await keys.getKey(kek.name)).keyOperations, ["import"]);

  // what it is for still works
  const target = await memoizedTargetKey("ec-p256");
  const byok = buildByokFile(target, { kekPublicKey: publicKeyPem, kekKid: kek.id! }).text;
  const imported = await keys.importKey(`imported-${vault}`, {
    kty: hsmKeyType("EC"),
    crv: "P-256",
    t: Buffer.from(byok, "utf8"),
  });
  t.is(imported.keyType, "EC-HSM");
}

test("a Managed HSM KEK refuses every operation but import, and cannot be given another", async (t) => {
  await kekDoesOnlyImport(t, HSM);
});

test("a Premium vault KEK refuses every operation but import, and cannot be given another", async (t) => {
  await kekDoesOnlyImport(t, VAULT);
});
