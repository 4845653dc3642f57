/**
 * Fuzzing the BYOK import's parsing path (issue 8): mutated `.byok` files (fields deleted or
 * replaced by any JSON, header values changed, the kid pointed elsewhere, ciphertext bits
 * flipped, cut, extended or re-encoded, the file text cut or spliced with bytes) go through the
 * import's own parse + KEK lookup + unwrap (`unwrapKeyHsm`, in-process), and as many again
 * through `PUT /keys/{name}` over HTTPS, 16 at a time (10,000 each at full size; 1,000 and 200 in
 * CI). Each one is refused with a 400 BadParameter and an inner code from the import's list, or,
 * when the mutation changed nothing that matters (padding, a schema_version of 1.0), imports
 * exactly the original key. Never another error, a 5xx or a dropped connection.
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from "node:crypto";
import type { KeyObject } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { buildByokFile } from "../../byok/index.js";
import type { RecoveredTargetKey } from "../../byok/index.js";
import { unwrapKeyHsm } from "../../emulator/byokImport.js";
import type { ByokTarget } from "../../emulator/byokImport.js";
import { isServiceError } from "../../emulator/errors.js";
import type { HandlerContext } from "../../emulator/operation.js";
import { createMemoryStore } from "../../emulator/store/memoryStore.js";
import { rawRequest, startTestEmulator } from "../harness/emulatorHarness.js";
import type { RawResponse } from "../harness/emulatorHarness.js";
import { RELIABILITY_SEED, recordReliabilityResult, sized } from "./reliabilitySettings.js";

/** The inner codes a BYOK import may refuse with (emulator/byokImport.ts). */
const IMPORT_CODES = new Set([
  "KekNotFound",
  "KekNotImportOnly",
  "KekNotUsable",
  "KekSizeMismatch",
  "InvalidKeyTransferPackage",
  "UnwrapFailed",
  "TargetKeyNotSupported",
  "TargetKeyTypeMismatch",
]);

const VAULT = "fuzz-hsm";
const VAULT_URL = `https://${VAULT}.managedhsm.azure.net`;
const KEK_VERSION = "0123456789abcdef0123456789abcdef";
const KEK_KID = `${VAULT_URL}/keys/fuzz-kek/${KEK_VERSION}`;

const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kekPem = kek.publicKey.export({ type: "spki", format: "pem" }).toString();

interface Seed {
  readonly name: string;
  readonly target: ByokTarget;
  readonly file: string;
  /** What the original key is, to compare a successful unwrap against. */
  readonly identity: string;
}

function identityOf(recovered: RecoveredTargetKey): string {
  return "octKey" in recovered
    ? recovered.octKey.toString("hex")
    : JSON.stringify(recovered.publicKey.export({ format: "jwk" }));
}

function seedFiles(kekKid: string): Seed[] {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
  const oct = Buffer.alloc(32, 0x5a);
  const pub = (key: KeyObject): string =>
    JSON.stringify(createPublicKey(key).export({ format: "jwk" }));
  return [
    { name: "rsa", target: { family: "RSA" }, file: wrap(rsa, kekKid), identity: pub(rsa) },
    {
      name: "ec",
      target: { family: "EC", crv: "P-256" },
      file: wrap(ec, kekKid),
      identity: pub(ec),
    },
    {
      name: "ec-k1",
      target: { family: "EC", crv: "P-256K" },
      file: wrap(k1, kekKid),
      identity: pub(k1),
    },
    {
      name: "oct",
      target: { family: "oct" },
      file: wrap(oct, kekKid),
      identity: oct.toString("hex"),
    },
  ];
}

function wrap(target: KeyObject | Buffer, kekKid: string): string {
  return buildByokFile(target, { kekPublicKey: kekPem, kekKid }).text;
}

/** One mutation of a `.byok` file, as bytes. */
type Mutation = (file: string) => Buffer;

const anyJson = fc.jsonValue({ maxDepth: 2 });
const field = fc.constantFrom(
  "schema_version",
  "header",
  "ciphertext",
  "generator",
  "kid",
  "alg",
  "enc",
);

function mutateJson(edit: (doc: Record<string, unknown>) => void): Mutation {
  return (file) => {
    const doc = JSON.parse(file) as Record<string, unknown>;
    edit(doc);
    return Buffer.from(JSON.stringify(doc));
  };
}

function header(doc: Record<string, unknown>): Record<string, unknown> {
  const value = doc.header;
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function ciphertextOf(doc: Record<string, unknown>): Buffer {
  return Buffer.from(String(doc.ciphertext), "base64url");
}

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  // A top-level or header field deleted.
  field.map((name) =>
    mutateJson((doc) => {
      Reflect.deleteProperty(doc, name);
      Reflect.deleteProperty(header(doc), name);
    }),
  ),
  // A field replaced by any JSON value (wrong types, nested objects, huge numbers).
  fc.tuple(field, anyJson, fc.boolean()).map(([name, value, inHeader]) =>
    mutateJson((doc) => {
      if (inHeader && typeof doc.header === "object" && doc.header !== null)
        (doc.header as Record<string, unknown>)[name] = value;
      else doc[name] = value;
    }),
  ),
  // Header values: other schema versions, algorithms, kids.
  fc
    .tuple(
      fc.constantFrom("schema_version", "alg", "enc", "kid"),
      fc.oneof(
        fc.constantFrom(
          "1.0",
          "1.0.0",
          "2.0",
          "",
          "dir",
          "RSA-OAEP",
          "CKM_RSA_AES_KEY_WRAP",
          "RSA_AES_KEY_WRAP_256",
          `${VAULT_URL}/keys/fuzz-kek`,
          `${VAULT_URL}/keys/fuzz-kek/ffffffffffffffffffffffffffffffff`,
          `${VAULT_URL}/keys/other-kek/${KEK_VERSION}`,
          `https://other-hsm.managedhsm.azure.net/keys/fuzz-kek/${KEK_VERSION}`,
          `${VAULT_URL}/keys/fuzz-kek/${KEK_VERSION}?x=1`,
          "not a url",
        ),
        fc.string({ maxLength: 300 }),
      ),
    )
    .map(([name, value]) =>
      mutateJson((doc) => {
        if (name === "schema_version") doc.schema_version = value;
        else header(doc)[name] = value;
      }),
    ),
  // Ciphertext bits flipped.
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) =>
    mutateJson((doc) => {
      const bytes = ciphertextOf(doc);
      const i = at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
      doc.ciphertext = bytes.toString("base64url");
    }),
  ),
  // Ciphertext cut short, extended, or replaced by random bytes of any length.
  fc.oneof(
    fc.nat({ max: 2000 }).map((keep) =>
      mutateJson((doc) => {
        doc.ciphertext = ciphertextOf(doc).subarray(0, keep).toString("base64url");
      }),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) =>
      mutateJson((doc) => {
        doc.ciphertext = Buffer.concat([ciphertextOf(doc), extra]).toString("base64url");
      }),
    ),
    fc.uint8Array({ maxLength: 1600 }).map((random) =>
      mutateJson((doc) => {
        doc.ciphertext = Buffer.from(random).toString("base64url");
      }),
    ),
  ),
  // Ciphertext re-encoded: standard base64, padding, line breaks, invalid characters.
  fc.constantFrom("base64", "padded", "lines", "bad-char", "spaces").map((encoding) =>
    mutateJson((doc) => {
      const bytes = ciphertextOf(doc);
      const b64url = bytes.toString("base64url");
      doc.ciphertext =
        encoding === "base64"
          ? bytes.toString("base64")
          : encoding === "padded"
            ? `${b64url}${"=".repeat((4 - (b64url.length % 4)) % 4)}`
            : encoding === "lines"
              ? b64url.replace(/(.{76})/g, "$1\n")
              : encoding === "bad-char"
                ? `${b64url.slice(0, 10)}*${b64url.slice(11)}`
                : ` ${b64url} `;
    }),
  ),
  // The file's text cut, or bytes spliced in (not UTF-8, NULs, a BOM).
  fc.nat().map((at) => (file: string) => Buffer.from(file).subarray(0, at % file.length)),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([at, bytes]) => (file: string) => {
      const text = Buffer.from(file);
      const i = at % text.length;
      return Buffer.concat([text.subarray(0, i), bytes, text.subarray(i)]);
    }),
  fc.constant((file: string) =>
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(file)]),
  ),
  // Not a .byok file at all.
  fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((bytes) => () => Buffer.from(bytes)),
    anyJson.map((value) => () => Buffer.from(JSON.stringify(value))),
  ),
);

/** Another requested type than the file holds, sometimes. */
const targets: fc.Arbitrary<ByokTarget | undefined> = fc.option(
  fc.constantFrom<ByokTarget>(
    { family: "RSA" },
    { family: "EC", crv: "P-256" },
    { family: "EC", crv: "P-384" },
    { family: "EC", crv: "P-256K" },
    { family: "oct" },
  ),
  { freq: 4 },
);

function fuzzContext(): HandlerContext {
  const store = createMemoryStore();
  const der = kek.privateKey.export({ type: "pkcs8", format: "der" });
  void store.commit([
    {
      op: "putVersion",
      vault: VAULT,
      name: "fuzz-kek",
      key: {
        version: KEK_VERSION,
        kty: "RSA-HSM",
        keyOps: ["import"],
        keySize: 2048,
        enabled: true,
        created: 0,
        updated: 0,
        exportable: false,
        tags: {},
        material: { kind: "pkcs8", der },
      },
    },
  ]);
  return {
    vault: {
      name: VAULT,
      kind: "managedhsm",
      purgeProtection: false,
      softDeleteRetentionDays: 90,
      activated: true,
    },
    vaultUrl: VAULT_URL,
    store,
    identity: { objectId: randomUUID(), tenantId: randomUUID(), appId: "fuzz", audience: "x" },
    requestId: "fuzz",
    apiVersion: "7.6",
    now: Math.floor(Date.now() / 1000),
    releaseSigner: { sign: () => "unused" },
  };
}

test("mutated .byok files through the import's parse + unwrap path: each refused with a 400 and an import inner code, or the original key; nothing else", (t) => {
  const context = fuzzContext();
  const seeds = seedFiles(KEK_KID);
  const runs = sized(1000, 10_000);
  let tried = 0;
  let rejected = 0;
  let accepted = 0;
  const codes = new Map<string, number>();
  t.teardown(() => {
    recordReliabilityResult("byok-fuzz-in-process", {
      inputsTried: tried,
      inputsRejected: rejected,
      note: `mutated .byok files through unwrapKeyHsm; ${accepted} benign mutations imported the original key`,
    });
  });
  fc.assert(
    fc.property(fc.nat({ max: seeds.length - 1 }), mutations, targets, (index, mutate, asked) => {
      const seed = seeds[index]!;
      const bytes = mutate(seed.file);
      const target = asked ?? seed.target;
      tried++;
      try {
        const recovered = unwrapKeyHsm(bytes, target, context);
        accepted++;
        // Accepted only if it is the very key the file was made with, of the requested type.
        return identityOf(recovered) === seed.identity && recovered.spec.kty === target.family;
      } catch (error) {
        rejected++;
        if (!isServiceError(error)) return false;
        codes.set(error.innerCode ?? "-", (codes.get(error.innerCode ?? "-") ?? 0) + 1);
        return (
          error.status === 400 &&
          error.code === "BadParameter" &&
          IMPORT_CODES.has(error.innerCode ?? "") &&
          error.message.startsWith("BYOK import failed: ")
        );
      }
    }),
    { numRuns: runs, seed: RELIABILITY_SEED },
  );
  t.is(tried, runs);
  t.true(rejected > runs * 0.8, `${rejected} of ${runs} rejected`);
  // Every way of refusing is reached, so the mutations cover the import's checks.
  for (const code of [
    "InvalidKeyTransferPackage",
    "KekNotFound",
    "UnwrapFailed",
    "TargetKeyTypeMismatch",
  ])
    t.true((codes.get(code) ?? 0) > 0, `no ${code} refusal`);
  t.log(
    `${tried} files: ${rejected} rejected, ${accepted} accepted as the original key; ${JSON.stringify(Object.fromEntries(codes))}`,
  );
});

/** Runs `jobs` with at most `limit` at a time. */
async function pool(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]?.();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

/** Requests in flight at once over HTTPS: enough to keep both cores busy. */
const HTTP_CONCURRENCY = 16;

test("mutated .byok files through PUT /keys/{name} over HTTPS: 400 with an import inner code, or 200 with the original key; never 5xx, never a dropped connection", async (t) => {
  t.timeout(30 * 60_000);
  const env = await startTestEmulator({ vaults: [{ name: "byok-fuzz-hsm", kind: "managedhsm" }] });
  t.teardown(() => env.emulator.stop());
  const url = env.emulator.url("byok-fuzz-hsm");
  const host = new URL(url).host;
  const keys = env.keyClient();
  const kekKey = await keys.createRsaKey("fuzz-kek", {
    hsm: true,
    keySize: 2048,
    keyOps: ["import"],
  });
  const pem = createPublicKey({
    key: {
      kty: "RSA",
      n: Buffer.from(kekKey.key!.n!).toString("base64url"),
      e: Buffer.from(kekKey.key!.e!).toString("base64url"),
    },
    format: "jwk",
  })
    .export({ type: "spki", format: "pem" })
    .toString();
  const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  const ecX = ec.export({ format: "jwk" }).x;
  const file = buildByokFile(ec, {
    kekPublicKey: pem,
    kekKid: kekKey.id!.replace(`https://${host}`, "https://byok-fuzz-hsm.managedhsm.azure.net"),
  }).text;
  const token = env.emulator.issueToken({});
  const runs = sized(200, 10_000);
  // The same seed gives the same files; they are sent concurrently, which a property's one at a
  // time would not allow at this count (10,000 one after another took minutes).
  const cases = fc.sample(mutations, { numRuns: runs, seed: RELIABILITY_SEED });
  let tried = 0;
  let rejected = 0;
  const statuses = new Map<number, number>();
  const violations: string[] = [];
  t.teardown(() => {
    recordReliabilityResult("byok-fuzz-http", {
      inputsTried: tried,
      inputsRejected: rejected,
      note: `mutated .byok files PUT over HTTPS, ${HTTP_CONCURRENCY} at a time; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${violations.length} violations`,
    });
  });
  await pool(
    cases.map((mutate, n) => async () => {
      tried++;
      let response: RawResponse;
      try {
        response = await rawRequest(`${url}/keys/fuzzed-${n}?api-version=7.6`, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}` },
          body: {
            key: { kty: "EC-HSM", crv: "P-256", key_hsm: mutate(file).toString("base64url") },
          },
        });
      } catch (error) {
        violations.push(`case ${n}: no answer: ${String(error)}`);
        return;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) {
        const x = (response.json as { key: { x: string } }).key.x;
        if (x !== ecX) violations.push(`case ${n}: 200 with another key`);
        return;
      }
      rejected++;
      const error = (response.json as { error?: { code?: string; innererror?: { code?: string } } })
        .error;
      if (
        response.status !== 400 ||
        error?.code !== "BadParameter" ||
        !IMPORT_CODES.has(error.innererror?.code ?? "")
      )
        violations.push(`case ${n}: ${response.status} ${response.body.slice(0, 200)}`);
    }),
    HTTP_CONCURRENCY,
  );
  t.deepEqual(violations.slice(0, 10), [], `${violations.length} violations`);
  t.is(tried, runs);
  // most mutations break the file; the rest (padding, re-encoding) import the original key
  t.true(rejected > runs / 2, `${rejected} of ${runs} rejected`);
  // the emulator still serves, and its KEK is as it was
  t.deepEqual((await keys.getKey("fuzz-kek")).keyOperations, ["import"]);
  t.log(`${tried} files over HTTPS: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
});
