import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { validateImportedKeyInputs } from "../../provider/validateImportedKey.js";
import { validateImportKekInputs } from "../../provider/validateImportKek.js";
import { UNKNOWN_VALUE } from "../../provider/unknowns.js";
import { byokSha256, plausibleKekSizes } from "../../byok/index.js";
import { HSM_URL, KEK_VERSION, VAULT_URL, wrappedTarget } from "../harness/byokFixtures.js";

const KEK_KID = `${HSM_URL}/keys/KEKforBYOK/${KEK_VERSION}`;

async function validInputs(spec = "rsa-2048", extra: Record<string, unknown> = {}) {
  const { text } = await wrappedTarget(spec, { kekKid: KEK_KID });
  return {
    vaultUrl: HSM_URL,
    name: "app-key",
    byok: text,
    keyType: "RSA",
    kekKid: KEK_KID,
    ...extra,
  };
}

function properties(result: { failures: { property: string }[] }): string[] {
  return result.failures.map((f) => f.property);
}

test("the unknown sentinel is pulumi.runtime.unknownValue", (t) => {
  t.is(UNKNOWN_VALUE, pulumi.runtime.unknownValue);
});

test("valid inputs pass and the .byok content is replaced by its digest in the checked inputs", async (t) => {
  const news = await validInputs();
  const result = validateImportedKeyInputs(news);
  t.deepEqual(result.failures, []);
  t.is(result.inputs.byok, `sha256:${byokSha256(news.byok)}`);
  t.is(result.byokText, news.byok);
  t.false(JSON.stringify(result.inputs).includes("ciphertext"));
});

test("every failure is reported at once, each naming its property", (t) => {
  const result = validateImportedKeyInputs({
    vaultUrl: "http://contoso.vault.azure.net",
    name: "bad_name!",
    byok: "{not json",
    keyType: "DSA",
    enabled: "yes",
    expiresOn: "tomorrow",
    tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"])),
  });
  t.deepEqual(properties(result).sort(), [
    "byok",
    "enabled",
    "expiresOn",
    "keyType",
    "name",
    "tags",
    "vaultUrl",
  ]);
  t.regex(result.failures.find((f) => f.property === "vaultUrl")!.reason, /must use https/);
  t.regex(
    result.failures.find((f) => f.property === "name")!.reason,
    /1-127 characters of 0-9, a-z, A-Z and -/,
  );
  t.regex(result.failures.find((f) => f.property === "byok")!.reason, /ERR_BYOK_NOT_JSON/);
  t.regex(result.failures.find((f) => f.property === "tags")!.reason, /at most 15/);
});

test("vaultUrl with a path names the fix", (t) => {
  const r = validateImportedKeyInputs({
    vaultUrl: `${HSM_URL}/keys`,
    name: "k",
    byok: UNKNOWN_VALUE,
    keyType: "RSA",
  });
  t.deepEqual(properties(r), ["vaultUrl"]);
  t.regex(r.failures[0]!.reason, /give only the vault's base URL/);
});

test("EC needs a valid curve; other types refuse one", async (t) => {
  const ec = await validInputs("ec-p256", { keyType: "EC" });
  t.deepEqual(properties(validateImportedKeyInputs(ec)), ["curve"]);
  t.deepEqual(properties(validateImportedKeyInputs({ ...ec, curve: "P-192" })), ["curve"]);
  t.deepEqual(validateImportedKeyInputs({ ...ec, curve: "P-256" }).failures, []);
  const rsa = await validInputs("rsa-2048", { curve: "P-256" });
  const r = validateImportedKeyInputs(rsa);
  t.deepEqual(properties(r), ["curve"]);
  t.regex(r.failures[0]!.reason, /applies only to EC keys; remove curve/);
});

test("oct is refused for a Key Vault URL, accepted for a Managed HSM", async (t) => {
  const kid = `${VAULT_URL}/keys/KEKforBYOK/${KEK_VERSION}`;
  const { text } = await wrappedTarget("oct-256", { kekKid: kid });
  const r = validateImportedKeyInputs({
    vaultUrl: VAULT_URL,
    name: "aes",
    byok: text,
    keyType: "oct",
  });
  t.deepEqual(properties(r), ["keyType"]);
  t.regex(r.failures[0]!.reason, /only be imported into a Managed HSM/);
  const hsm = await validInputs("oct-256", { keyType: "oct" });
  t.deepEqual(validateImportedKeyInputs(hsm).failures, []);
});

test("keyType must fit what the ciphertext can hold", async (t) => {
  const rsaFileAsEc = await validInputs("rsa-2048", { keyType: "EC", curve: "P-256" });
  const r = validateImportedKeyInputs(rsaFileAsEc);
  t.deepEqual(properties(r), ["keyType"]);
  t.regex(r.failures[0]!.reason, /can only hold RSA-2048/);
});

test("key operations: unknown, duplicated, import and wrong-for-type are refused", async (t) => {
  const ec = await validInputs("ec-p384", { keyType: "EC", curve: "P-384" });
  const r = validateImportedKeyInputs({ ...ec, keyOps: ["sign", "sign", "import", "encrypt", 3] });
  t.deepEqual(properties(r), ["keyOps[1]", "keyOps[2]", "keyOps[3]", "keyOps[4]"]);
  t.regex(r.failures.find((f) => f.property === "keyOps[2]")!.reason, /only for a KEK/);
  t.regex(
    r.failures.find((f) => f.property === "keyOps[3]")!.reason,
    /not an operation of EC keys/,
  );
  t.deepEqual(properties(validateImportedKeyInputs({ ...ec, keyOps: "sign" })), ["keyOps"]);
});

test("dates must parse and expiresOn must be after notBefore", async (t) => {
  const base = await validInputs();
  const r = validateImportedKeyInputs({
    ...base,
    notBefore: "2030-01-01T00:00:00Z",
    expiresOn: "2029-01-01T00:00:00Z",
  });
  t.deepEqual(properties(r), ["expiresOn"]);
  t.regex(r.failures[0]!.reason, /is not after notBefore/);
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, notBefore: "01/02/2030" })), [
    "notBefore",
  ]);
});

test("dates after 2038-01-19T03:14:07Z are refused: the Azure SDK would send them as dates before 1970", async (t) => {
  const base = await validInputs();
  const late = validateImportedKeyInputs({ ...base, expiresOn: "2099-01-01T00:00:00Z" });
  t.deepEqual(properties(late), ["expiresOn"]);
  t.is(
    late.failures[0]!.reason,
    'expiresOn is "2099-01-01T00:00:00Z": the latest date the Azure SDK can send is 2038-01-19T03:14:07.000Z (it writes dates as 32-bit seconds, so a later one would reach the vault as a date before 1970); give an earlier date, or leave expiresOn unset',
  );
  t.deepEqual(
    validateImportedKeyInputs({ ...base, expiresOn: "2038-01-19T03:14:07Z" }).failures,
    [],
    "the last second that fits is accepted",
  );
  const kek = validateImportKekInputs({
    vaultUrl: HSM_URL,
    name: "KEKforBYOK",
    notBefore: "2038-01-19T03:14:08Z",
  });
  t.deepEqual(properties(kek), ["notBefore"]);
});

test("tags: values must be strings of at most 256 characters", async (t) => {
  const base = await validInputs();
  const r = validateImportedKeyInputs({
    ...base,
    tags: { a: 1, b: "x".repeat(257), ["n".repeat(257)]: "v" },
  });
  t.is(r.failures.length, 3);
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, tags: ["a"] })), ["tags"]);
});

test("the .byok header must name kekKid, and a KEK in the same vault", async (t) => {
  const base = await validInputs();
  const otherVersion = `${HSM_URL}/keys/KEKforBYOK/${"f".repeat(32)}`;
  const r = validateImportedKeyInputs({ ...base, kekKid: otherVersion });
  t.deepEqual(properties(r), ["byok"]);
  t.regex(
    r.failures[0]!.reason,
    /wrapped for another KEK \(or KEK version\); wrap the target key again/,
  );
  const otherVault = validateImportedKeyInputs({
    ...base,
    kekKid: undefined,
    vaultUrl: "https://other.managedhsm.azure.net",
  });
  t.deepEqual(properties(otherVault), ["byok"]);
  t.regex(otherVault.failures[0]!.reason, /must live in the vault the key is imported into/);
  const badKid = validateImportedKeyInputs({ ...base, kekKid: `${HSM_URL}/keys/KEKforBYOK` });
  t.deepEqual(properties(badKid), ["kekKid"]);
  t.regex(badKid.failures[0]!.reason, /has no version/);
});

test("a .byok header with a bad alg is refused with its code", async (t) => {
  const base = await validInputs();
  const json = JSON.parse(base.byok) as { header: { alg: string }; ciphertext: string };
  const badAlg = validateImportedKeyInputs({
    ...base,
    byok: JSON.stringify({ ...json, header: { ...json.header, alg: "RSA-OAEP" } }),
  });
  t.deepEqual(properties(badAlg), ["byok"]);
  t.regex(badAlg.failures[0]!.reason, /ERR_BYOK_ALG/);
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, byok: "" })), ["byok"]);
});

/** The inputs with the .byok ciphertext cut to its first `bytes` bytes. */
async function withCiphertextCut(bytes: number) {
  const base = await validInputs();
  const json = JSON.parse(base.byok) as { ciphertext: string };
  const ciphertext = Buffer.from(json.ciphertext, "base64url").subarray(0, bytes);
  if (ciphertext.length !== bytes)
    throw new Error(`the fixture's ciphertext is under ${bytes} bytes`);
  return {
    ...base,
    byok: JSON.stringify({ ...json, ciphertext: ciphertext.toString("base64url") }),
  };
}

test("a truncated ciphertext is refused in each of its three ways, with ERR_BYOK_CIPHERTEXT_LENGTH", async (t) => {
  // not a whole number of RFC 5649 blocks after the RSA block
  const ragged = validateImportedKeyInputs(await withCiphertextCut(300));
  t.deepEqual(properties(ragged), ["byok"]);
  t.regex(
    ragged.failures[0]!.reason,
    /must be a multiple of 8 bytes.*\(ERR_BYOK_CIPHERTEXT_LENGTH\)$/,
  );
  // shorter than the RSA block of the smallest KEK plus one wrapped block
  const short = validateImportedKeyInputs(await withCiphertextCut(264));
  t.deepEqual(properties(short), ["byok"]);
  t.regex(short.failures[0]!.reason, /264 bytes: too short.*\(ERR_BYOK_CIPHERTEXT_LENGTH\)$/);
  // whole blocks, but after the RSA block of every KEK size the rest fits no target key
  t.deepEqual(plausibleKekSizes(856), [], "856 bytes fits no KEK size");
  const fitsNone = validateImportedKeyInputs(await withCiphertextCut(856));
  t.deepEqual(properties(fitsNone), ["byok"]);
  t.is(
    fitsNone.failures[0]!.reason,
    "byok.ciphertext is 856 bytes, which fits no 2048/3072/4096-bit KEK and target key: the file is damaged or not a CKM_RSA_AES_KEY_WRAP package; export it again (ERR_BYOK_CIPHERTEXT_LENGTH)",
  );
});

test("exportable needs a release policy, and a release policy must be JSON on an exportable key", async (t) => {
  const base = await validInputs();
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, exportable: true })), [
    "releasePolicy",
  ]);
  t.deepEqual(
    properties(
      validateImportedKeyInputs({ ...base, exportable: true, releasePolicy: { policy: "{nope" } }),
    ),
    ["releasePolicy.policy"],
  );
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, releasePolicy: { policy: "{}" } })), [
    "exportable",
  ]);
  t.deepEqual(
    validateImportedKeyInputs({
      ...base,
      exportable: true,
      releasePolicy: { policy: '{"version":"1.0.0","anyOf":[]}' },
    }).failures,
    [],
  );
});

test("a release policy must be an object, and its immutable a boolean", async (t) => {
  const base = { ...(await validInputs()), exportable: true };
  for (const releasePolicy of ['{"version":"1.0.0"}', ["policy"], 1]) {
    const r = validateImportedKeyInputs({ ...base, releasePolicy });
    t.deepEqual(properties(r), ["releasePolicy"], JSON.stringify(releasePolicy));
    t.is(r.failures[0]!.reason, 'releasePolicy must be { policy: "<JSON>", immutable?: boolean }');
  }
  const immutable = validateImportedKeyInputs({
    ...base,
    releasePolicy: { policy: '{"version":"1.0.0","anyOf":[]}', immutable: "yes" },
  });
  t.deepEqual(properties(immutable), ["releasePolicy.immutable"]);
  t.is(immutable.failures[0]!.reason, "releasePolicy.immutable is a string: give true or false");
});

test("expectedPublicKeyPem must parse, match the key type, and is refused for oct", async (t) => {
  const { text, target } = await wrappedTarget("ec-p256", { kekKid: KEK_KID });
  const base = { vaultUrl: HSM_URL, name: "ec", byok: text, keyType: "EC", curve: "P-256" };
  if (!("privateKey" in target)) throw new Error("expected an EC key");
  const { createPublicKey } = await import("node:crypto");
  const pem = createPublicKey(target.privateKey).export({ type: "spki", format: "pem" }).toString();
  t.deepEqual(validateImportedKeyInputs({ ...base, expectedPublicKeyPem: pem }).failures, []);
  t.deepEqual(properties(validateImportedKeyInputs({ ...base, expectedPublicKeyPem: "garbage" })), [
    "expectedPublicKeyPem",
  ]);
  // (P-256 and P-384 PKCS#8 lengths overlap, so only the public key tells the curves apart)
  const wrongCurve = validateImportedKeyInputs({
    ...base,
    curve: "P-384",
    expectedPublicKeyPem: pem,
  });
  t.deepEqual(properties(wrongCurve), ["expectedPublicKeyPem"]);
  t.regex(wrongCurve.failures[0]!.reason, /on curve prime256v1 but curve is P-384/);
  const oct = await validInputs("oct-128", { keyType: "oct", expectedPublicKeyPem: pem });
  t.deepEqual(properties(validateImportedKeyInputs(oct)), ["expectedPublicKeyPem"]);
  // an EC public key given for an RSA key
  const rsa = await validInputs("rsa-2048", { expectedPublicKeyPem: pem });
  const wrongKind = validateImportedKeyInputs(rsa);
  t.deepEqual(properties(wrongKind), ["expectedPublicKeyPem"]);
  t.is(
    wrongKind.failures[0]!.reason,
    'expectedPublicKeyPem is a public key of type "ec" but keyType is RSA: give the public key of the key you wrapped',
  );
});

test("kekKid must be a string", async (t) => {
  const base = await validInputs();
  for (const kekKid of [42, { kid: KEK_KID }, [KEK_KID]]) {
    const r = validateImportedKeyInputs({ ...base, kekKid });
    t.deepEqual(properties(r), ["kekKid"], JSON.stringify(kekKid));
    t.is(r.failures[0]!.reason, "kekKid must be the KEK's versioned key id, such as kek.kid");
  }
});

test("booleans are checked", async (t) => {
  const base = await validInputs();
  const r = validateImportedKeyInputs({
    ...base,
    exportable: 1,
    purgeOnDelete: "no",
    adoptExisting: {},
  });
  t.deepEqual(properties(r).sort(), ["adoptExisting", "exportable", "purgeOnDelete"]);
});

test("unknown values are tolerated everywhere and cross-checks are skipped", (t) => {
  const r = validateImportedKeyInputs({
    vaultUrl: UNKNOWN_VALUE,
    name: UNKNOWN_VALUE,
    byok: UNKNOWN_VALUE,
    keyType: UNKNOWN_VALUE,
    kekKid: UNKNOWN_VALUE,
    tags: { a: UNKNOWN_VALUE },
    keyOps: [UNKNOWN_VALUE],
    expiresOn: UNKNOWN_VALUE,
  });
  t.deepEqual(r.failures, []);
  t.is(r.inputs.byok, UNKNOWN_VALUE);
});

test("an unknown kekKid skips only the header match; the file is still validated", async (t) => {
  const base = await validInputs();
  t.deepEqual(validateImportedKeyInputs({ ...base, kekKid: UNKNOWN_VALUE }).failures, []);
  t.deepEqual(
    properties(validateImportedKeyInputs({ ...base, kekKid: UNKNOWN_VALUE, byok: "[]" })),
    ["byok"],
  );
});

test("ImportKek: size, name, vaultUrl, dates and tags are checked; size defaults to 4096", (t) => {
  const ok = validateImportKekInputs({ vaultUrl: HSM_URL, name: "KEKforBYOK" });
  t.deepEqual(ok.failures, []);
  t.is(ok.inputs.size, 4096);
  const bad = validateImportKekInputs({
    vaultUrl: "ftp://x",
    name: "",
    size: 1024,
    enabled: "true",
    notBefore: "2030-01-01T00:00:00Z",
    expiresOn: "2020-01-01T00:00:00Z",
    tags: "env=prod",
    purgeOnDelete: 0,
  });
  t.deepEqual(properties(bad).sort(), [
    "enabled",
    "expiresOn",
    "name",
    "purgeOnDelete",
    "size",
    "tags",
    "vaultUrl",
  ]);
  t.regex(bad.failures.find((f) => f.property === "size")!.reason, /2048, 3072, 4096/);
  t.deepEqual(
    validateImportKekInputs({ vaultUrl: UNKNOWN_VALUE, name: UNKNOWN_VALUE, size: UNKNOWN_VALUE })
      .failures,
    [],
  );
});
