import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import {
  assembleByokFile,
  BYOK_TOOL_NAME,
  BYOK_TOOL_VERSION,
  buildByokFile,
  byokSha256,
  encodeTargetKey,
  KEY_SPEC_NAMES,
  loadKekPublicKey,
  oaepEncryptAesKey,
  parseByokFile,
  parseKeySpec,
  unwrapByokFile,
  wrapKeyWithPadding,
} from "../../byok/index.js";
import type { ByokErrorCode, TargetKey } from "../../byok/index.js";
import { throwsByok } from "../harness/assertByok.js";
import { KEK_KID, memoTargetKey, rsaPair } from "../harness/keys.js";
import { wrappedForRsa4096 } from "../harness/wrappedForLargerKek.js";

/** A valid file for the 2048-bit test KEK, as a JSON object to edit. */
async function validFile(spec = "oct-256"): Promise<Record<string, unknown>> {
  const kek = await rsaPair(2048);
  const built = buildByokFile(await memoTargetKey(spec), {
    kekPublicKey: kek.publicKeyPem,
    kekKid: KEK_KID,
  });
  return JSON.parse(built.text) as Record<string, unknown>;
}

/** A copy of `record` without `field`. */
function without(record: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...record };
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the field is the test's parameter
  delete copy[field];
  return copy;
}

function sameKey(recovered: ReturnType<typeof unwrapByokFile>, original: TargetKey): boolean {
  return encodeTargetKey(recovered).equals(encodeTargetKey(original));
}

for (const name of KEY_SPEC_NAMES) {
  test(`${name} round-trips build -> parse -> unwrap and the unwrapped key equals the original`, async (t) => {
    const kek = await rsaPair(2048);
    const target = await memoTargetKey(name);
    const built = buildByokFile(target, { kekPublicKey: kek.publicKeyPem, kekKid: KEK_KID });
    t.deepEqual(built.targetSpec, parseKeySpec(name));
    const pkg = parseByokFile(built.text, { kekModulusBytes: 256 });
    t.is(pkg.header.kid, KEK_KID);
    const recovered = unwrapByokFile(pkg, kek.privateKey, { expected: parseKeySpec(name) });
    t.deepEqual(recovered.spec, parseKeySpec(name));
    t.true(sameKey(recovered, target));
  });
}

for (const bits of [3072, 4096] as const) {
  test(`a ${bits}-bit KEK puts a ${bits / 8}-byte RSA block first, and the file round-trips`, async (t) => {
    const kek = await rsaPair(bits);
    const target = await memoTargetKey("ec-p384");
    const built = buildByokFile(target, { kekPublicKey: kek.publicKey, kekKid: KEK_KID });
    const pkg = parseByokFile(built.text, { kekModulusBytes: bits / 8 });
    t.true(sameKey(unwrapByokFile(pkg, kek.privateKey), target));
    t.true(pkg.ciphertext.length > bits / 8);
  });
}

test("the file has the specification's shape: schema 1.0.0, dir, CKM_RSA_AES_KEY_WRAP, unpadded base64url, this tool as generator", async (t) => {
  const file = await validFile();
  t.deepEqual(Object.keys(file), ["schema_version", "header", "ciphertext", "generator"]);
  t.is(file.schema_version, "1.0.0");
  t.deepEqual(file.header, { kid: KEK_KID, alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" });
  t.regex(file.ciphertext as string, /^[A-Za-z0-9_-]+$/);
  t.is(file.generator, `${BYOK_TOOL_NAME} ${BYOK_TOOL_VERSION}`);
});

test("the generator's version is the package's version", (t) => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  t.is(BYOK_TOOL_NAME, pkg.name);
  t.is(BYOK_TOOL_VERSION, pkg.version);
});

test('schema_version "1.0" (the service\'s own blobs) is accepted like "1.0.0"', async (t) => {
  const file = await validFile();
  const pkg = parseByokFile(JSON.stringify({ ...file, schema_version: "1.0" }));
  t.is(pkg.schemaVersion, "1.0");
});

test("base64url padded or unpadded and standard base64 (with line breaks) all decode to the same ciphertext and unwrap", async (t) => {
  const kek = await rsaPair(2048);
  // oct-256 under a 2048-bit KEK: 296 bytes, not a multiple of 3, so base64 has padding.
  const file = await validFile("oct-256");
  const reference = parseByokFile(JSON.stringify(file)).ciphertext;
  const standard = reference.toString("base64");
  t.regex(standard, /[+/].*=$/, "this ciphertext shows the standard alphabet and padding");
  const encodings = {
    unpadded: reference.toString("base64url"),
    padded: standard.replace(/\+/g, "-").replace(/\//g, "_"),
    standard,
    wrapped: standard.replace(/.{64}/g, "$&\n"),
  };
  for (const [name, ciphertext] of Object.entries(encodings)) {
    const pkg = parseByokFile(JSON.stringify({ ...file, ciphertext }));
    t.deepEqual(pkg.ciphertext, reference, name);
    t.is(unwrapByokFile(pkg, kek.privateKey).spec.kty, "oct", name);
  }
});

test("a UTF-8 byte order mark and bytes instead of text are accepted", async (t) => {
  const text = JSON.stringify(await validFile());
  t.is(parseByokFile(Buffer.from(`\uFEFF${text}`, "utf8")).header.kid, KEK_KID);
});

test("a file without generator is accepted (it is informational)", async (t) => {
  const rest = without(await validFile(), "generator");
  t.is(parseByokFile(JSON.stringify(rest)).generator, undefined);
});

interface BadCase {
  readonly title: string;
  readonly edit: (file: Record<string, unknown>) => unknown;
  readonly code: ByokErrorCode;
  readonly message: RegExp;
}

const header = (file: Record<string, unknown>): Record<string, unknown> =>
  file.header as Record<string, unknown>;

const badCases: readonly BadCase[] = [
  {
    title: "text that is not JSON",
    edit: () => "schema_version: 1.0.0",
    code: "ERR_BYOK_NOT_JSON",
    message: /^byok is not JSON: a \.byok file is a JSON object with schema_version/,
  },
  {
    title: "JSON that is not an object",
    edit: (file) => [file],
    code: "ERR_BYOK_NOT_JSON",
    message: /is JSON but not an object/,
  },
  ...(["schema_version", "header", "ciphertext"] as const).map((field): BadCase => ({
    title: `a missing ${field}`,
    edit: (file) => without(file, field),
    code: "ERR_BYOK_MISSING_FIELD",
    message: new RegExp(`^byok has no "${field}" field: it is required`),
  })),
  ...(["kid", "alg", "enc"] as const).map((field): BadCase => ({
    title: `a missing header.${field}`,
    edit: (file) => ({ ...file, header: without(header(file), field) }),
    code: "ERR_BYOK_MISSING_FIELD",
    message: new RegExp(`^byok\\.header has no "${field}" field`),
  })),
  {
    title: "a ciphertext that is a number",
    edit: (file) => ({ ...file, ciphertext: 42 }),
    code: "ERR_BYOK_FIELD_TYPE",
    message: /field "ciphertext" is a number: it must be a string/,
  },
  {
    title: "a header that is a string",
    edit: (file) => ({ ...file, header: "dir" }),
    code: "ERR_BYOK_FIELD_TYPE",
    message: /^byok\.header is not an object/,
  },
  {
    title: "a generator that is an object",
    edit: (file) => ({ ...file, generator: { name: "x" } }),
    code: "ERR_BYOK_FIELD_TYPE",
    message: /^byok\.generator is a object: it must be a string/,
  },
  {
    title: 'schema_version "2.0"',
    edit: (file) => ({ ...file, schema_version: "2.0" }),
    code: "ERR_BYOK_SCHEMA_VERSION",
    message: /schema_version is "2\.0": only "1\.0\.0" and "1\.0" are accepted/,
  },
  {
    title: 'alg "RSA-OAEP"',
    edit: (file) => ({ ...file, header: { ...header(file), alg: "RSA-OAEP" } }),
    code: "ERR_BYOK_ALG",
    message: /header\.alg is "RSA-OAEP": Azure BYOK requires "dir"/,
  },
  {
    title: 'enc "RSA_AES_KEY_WRAP_256"',
    edit: (file) => ({ ...file, header: { ...header(file), enc: "RSA_AES_KEY_WRAP_256" } }),
    code: "ERR_BYOK_ENC",
    message:
      /header\.enc is "RSA_AES_KEY_WRAP_256": Azure BYOK import requires "CKM_RSA_AES_KEY_WRAP"/,
  },
  {
    title: "a kid that is not a key id",
    edit: (file) => ({ ...file, header: { ...header(file), kid: "KEKforBYOK" } }),
    code: "ERR_BYOK_KID",
    message: /^byok\.header\.kid "KEKforBYOK" is not a Key Vault key id/,
  },
  {
    title: "a kid without a version",
    edit: (file) => ({
      ...file,
      header: { ...header(file), kid: "https://contoso.managedhsm.azure.net/keys/KEKforBYOK" },
    }),
    code: "ERR_BYOK_KID",
    message: /header\.kid ".*" has no version: use the KEK's full id/,
  },
  {
    title: "a ciphertext with characters outside base64",
    edit: (file) => ({ ...file, ciphertext: `${file.ciphertext as string}!` }),
    code: "ERR_BYOK_ENCODING",
    message: /^byok\.ciphertext is not base64url or base64/,
  },
  {
    title: "a ciphertext of a length no base64 produces",
    edit: (file) => ({ ...file, ciphertext: "A".repeat(401) }),
    code: "ERR_BYOK_ENCODING",
    message: /a length no encoding produces/,
  },
  {
    title: "padding that does not fit the length",
    edit: (file) => ({ ...file, ciphertext: "AAA==" }),
    code: "ERR_BYOK_ENCODING",
    message: /padding that does not fit its length/,
  },
  {
    title: "a ciphertext too short for any KEK",
    edit: (file) => ({ ...file, ciphertext: Buffer.alloc(200).toString("base64url") }),
    code: "ERR_BYOK_CIPHERTEXT_LENGTH",
    message: /is 200 bytes: too short to hold an RSA block of a 2048-bit or larger KEK/,
  },
  {
    title: "a wrapped part that is not a multiple of 8 bytes",
    edit: (file) => ({
      ...file,
      ciphertext: Buffer.from(file.ciphertext as string, "base64url")
        .subarray(0, -1)
        .toString("base64url"),
    }),
    code: "ERR_BYOK_CIPHERTEXT_LENGTH",
    message:
      /is 295 bytes: the part after the RSA block must be a multiple of 8 bytes \(RFC 5649\)/,
  },
];

for (const bad of badCases) {
  test(`parse refuses ${bad.title} with ${bad.code}`, async (t) => {
    const edited = bad.edit(await validFile());
    const text = typeof edited === "string" ? edited : JSON.stringify(edited);
    throwsByok(t, () => parseByokFile(text), bad.code, bad.message);
  });
}

test("a file for a 2048-bit KEK checked against a 4096-bit KEK fails with ERR_BYOK_KEK_SIZE_MISMATCH naming the size it fits", async (t) => {
  const text = JSON.stringify(await validFile("rsa-2048"));
  throwsByok(
    t,
    () => parseByokFile(text, { kekModulusBytes: 512, what: "byok" }),
    "ERR_BYOK_KEK_SIZE_MISMATCH",
    /does not fit a 4096-bit KEK's 512-byte RSA block followed by a wrapped key \(it fits a 2048-bit KEK\): the file was wrapped for another KEK; wrap the target key again with this KEK's public key/,
  );
});

test("an oct-256 file for an RSA-4096 KEK (its first bytes set to 0xff), checked against an RSA-3072 KEK its length also fits, is refused: its RSA block is not below that KEK's modulus", async (t) => {
  const { text, kek3072Pem } = await wrappedForRsa4096("above");
  // The length alone fits the RSA-3072 KEK (384-byte block + an EC key's 168 bytes).
  t.notThrows(() => parseByokFile(text, { kekModulusBytes: 384 }));
  throwsByok(
    t,
    () =>
      parseByokFile(text, {
        kekPublicKey: loadKekPublicKey(kek3072Pem, "--kek-pem kek3072.pem"),
      }),
    "ERR_BYOK_KEK_MISMATCH",
    new RegExp(
      `^byok\\.ciphertext's first 384 bytes, read as an integer, are not below the modulus of the RSA-3072 KEK \\(--kek-pem kek3072\\.pem\\), so they are no RSA block made with that key: the file \\(header\\.kid ${KEK_KID}\\) was wrapped for another KEK; wrap the target key again with this KEK's public key$`,
    ),
  );
});

test("an RSA block of all ones is above every KEK's modulus, and a block made with the KEK is below it", async (t) => {
  const kek = await rsaPair(2048);
  const kekPublicKey = loadKekPublicKey(kek.publicKeyPem);
  const file = await validFile();
  t.notThrows(() => parseByokFile(JSON.stringify(file), { kekPublicKey }));
  const ciphertext = Buffer.from(file.ciphertext as string, "base64url");
  ciphertext.fill(0xff, 0, 256);
  const text = JSON.stringify({ ...file, ciphertext: ciphertext.toString("base64url") });
  throwsByok(
    t,
    () => parseByokFile(text, { kekPublicKey }),
    "ERR_BYOK_KEK_MISMATCH",
    /not below the modulus of the RSA-2048 KEK \(the KEK public key\)/,
  );
  // The same bytes with only the size known: the length check cannot see it.
  t.notThrows(() => parseByokFile(text, { kekModulusBytes: 256 }));
});

test("the KEK public key sets the modulus size: kekModulusBytes beside it is ignored", async (t) => {
  const kekPublicKey = loadKekPublicKey((await rsaPair(2048)).publicKeyPem);
  const text = JSON.stringify(await validFile());
  t.notThrows(() => parseByokFile(text, { kekPublicKey, kekModulusBytes: 512 }));
});

test("a ciphertext that fits no KEK size with the known KEK says so", async (t) => {
  const file = await validFile();
  // 256 + 1000: no accepted key type wraps to 1000 bytes.
  const text = JSON.stringify({ ...file, ciphertext: Buffer.alloc(1256).toString("base64url") });
  throwsByok(
    t,
    () => parseByokFile(text, { kekModulusBytes: 256 }),
    "ERR_BYOK_KEK_SIZE_MISMATCH",
    /it fits no KEK size with a key type Azure imports/,
  );
});

test("a byte changed in the wrapped key fails the KWP integrity check on unwrap", async (t) => {
  const kek = await rsaPair(2048);
  const pkg = parseByokFile(JSON.stringify(await validFile("rsa-2048")));
  const ciphertext = Buffer.from(pkg.ciphertext);
  ciphertext[300] = (ciphertext[300] ?? 0) ^ 0x01;
  throwsByok(
    t,
    () => unwrapByokFile({ ...pkg, ciphertext }, kek.privateKey),
    "ERR_BYOK_KWP_INTEGRITY",
    /integrity check failed/,
  );
});

test("a byte changed in the RSA block fails the OAEP step on unwrap", async (t) => {
  const kek = await rsaPair(2048);
  const pkg = parseByokFile(JSON.stringify(await validFile()));
  const ciphertext = Buffer.from(pkg.ciphertext);
  ciphertext[10] = (ciphertext[10] ?? 0) ^ 0x80;
  throwsByok(t, () => unwrapByokFile({ ...pkg, ciphertext }, kek.privateKey), "ERR_BYOK_OAEP");
});

test("unwrap with an expected type that differs names both types", async (t) => {
  const kek = await rsaPair(2048);
  const pkg = parseByokFile(JSON.stringify(await validFile("ec-p256k")));
  throwsByok(
    t,
    () => unwrapByokFile(pkg, kek.privateKey, { expected: { kty: "EC", curve: "P-256" } }),
    "ERR_BYOK_TARGET_MISMATCH",
    /holds an EC P-256K key, but EC P-256 was requested/,
  );
  throwsByok(
    t,
    () => unwrapByokFile(pkg, kek.privateKey, { expected: { kty: "RSA" } }),
    "ERR_BYOK_TARGET_MISMATCH",
    /but RSA was requested/,
  );
});

test("a file whose wrapped plaintext is neither PKCS#8 nor an AES key is refused on unwrap", async (t) => {
  const kek = await rsaPair(2048);
  const aesKey = Buffer.alloc(32, 5);
  const ciphertext = Buffer.concat([
    oaepEncryptAesKey(kek.publicKey, aesKey),
    wrapKeyWithPadding(aesKey, Buffer.alloc(100, 0x30)),
  ]);
  const { text } = assembleByokFile({ kekKid: KEK_KID, ciphertext, kekModulusBytes: 256 });
  throwsByok(
    t,
    () => unwrapByokFile(parseByokFile(text), kek.privateKey),
    "ERR_BYOK_TARGET_KEY",
    /the wrapped key \(100 bytes\) is neither a PKCS#8 private key nor a 16\/24\/32-byte AES key/,
  );
});

test("assembleByokFile (parts made in a token) gives a file that unwraps to the key", async (t) => {
  const kek = await rsaPair(2048);
  const target = await memoTargetKey("ec-p521");
  const aesKey = Buffer.alloc(32, 6);
  const ciphertext = Buffer.concat([
    oaepEncryptAesKey(kek.publicKey, aesKey),
    wrapKeyWithPadding(aesKey, encodeTargetKey(target)),
  ]);
  const assembled = assembleByokFile({
    kekKid: KEK_KID,
    ciphertext,
    kekModulusBytes: 256,
    generator: "test; SoftHSM 2.6",
  });
  t.is(assembled.package.generator, "test; SoftHSM 2.6");
  t.true(sameKey(unwrapByokFile(assembled.package, kek.privateKey), target));
});

test("build refuses an RSA-1024 target key and says what Azure imports", async (t) => {
  const kek = await rsaPair(2048);
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  throwsByok(
    t,
    () => buildByokFile(privateKey, { kekPublicKey: kek.publicKeyPem, kekKid: KEK_KID }),
    "ERR_BYOK_TARGET_KEY",
    /is RSA-1024: Azure imports RSA 2048, 3072 or 4096 bits only \(RSA-1024 is not supported\)/,
  );
});

test("build refuses a target on another curve, an Ed25519 key and a 20-byte AES key", async (t) => {
  const kek = await rsaPair(2048);
  const options = { kekPublicKey: kek.publicKeyPem, kekKid: KEK_KID };
  const p224 = generateKeyPairSync("ec", { namedCurve: "secp224r1" }).privateKey;
  throwsByok(
    t,
    () => buildByokFile(p224, options),
    "ERR_BYOK_TARGET_KEY",
    /is on curve secp224r1: Azure imports P-256, P-256K, P-384 and P-521/,
  );
  const ed = generateKeyPairSync("ed25519").privateKey;
  throwsByok(
    t,
    () => buildByokFile(ed, options),
    "ERR_BYOK_TARGET_KEY",
    /is of type ed25519: Azure imports RSA, EC and AES \(oct\) keys/,
  );
  throwsByok(
    t,
    () => buildByokFile(Buffer.alloc(20), options),
    "ERR_BYOK_TARGET_KEY",
    /is 20 bytes: Azure imports AES keys of 16, 24 or 32 bytes/,
  );
});

test("build refuses a KEK that is not RSA 2048/3072/4096, and a KEK id without a version", async (t) => {
  const target = await memoTargetKey("oct-128");
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
  throwsByok(
    t,
    () => buildByokFile(target, { kekPublicKey: small, kekKid: KEK_KID }),
    "ERR_KEK_PUBLIC_KEY",
    /is RSA-1024: a KEK is RSA 2048, 3072 or 4096 bits/,
  );
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
  throwsByok(
    t,
    () => buildByokFile(target, { kekPublicKey: ec, kekKid: KEK_KID }),
    "ERR_KEK_PUBLIC_KEY",
    /is a ec key: a KEK is an RSA-HSM key/,
  );
  throwsByok(
    t,
    () =>
      buildByokFile(target, {
        kekPublicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        kekKid: KEK_KID,
      }),
    "ERR_KEK_PUBLIC_KEY",
    /does not parse: give the SPKI PEM/,
  );
  const kek = await rsaPair(2048);
  throwsByok(
    t,
    () =>
      buildByokFile(target, {
        kekPublicKey: kek.publicKeyPem,
        kekKid: "https://contoso.managedhsm.azure.net/keys/KEKforBYOK",
      }),
    "ERR_KEY_ID",
    /^kekKid ".*" has no version/,
  );
});

test("the KEK can be given as its JWK n and e", async (t) => {
  const kek = await rsaPair(2048);
  const jwk = kek.publicKey.export({ format: "jwk" });
  const target = await memoTargetKey("oct-192");
  const built = buildByokFile(target, {
    kekPublicKey: { n: jwk.n ?? "", e: jwk.e ?? "" },
    kekKid: KEK_KID,
  });
  t.true(sameKey(unwrapByokFile(built.package, kek.privateKey), target));
});

test("byokSha256 is the SHA-256 of the file's bytes, hex", (t) => {
  t.is(byokSha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.is(byokSha256(Buffer.from("abc")), byokSha256("abc"));
});
