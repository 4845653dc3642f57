import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { buildByokFile } from "../../byok/index.js";
import { cli, tempDir } from "../harness/cliRun.js";
import { KEK_KID, memoTargetKey, rsaPair } from "../harness/keys.js";
import { wrappedForRsa4096 } from "../harness/wrappedForLargerKek.js";

/** A temp dir with kek.pem (2048-bit) and good.byok wrapping `spec` for it. */
async function workDir(t: ExecutionContext, spec = "rsa-2048"): Promise<string> {
  const dir = tempDir(t);
  const kek = await rsaPair(2048);
  writeFileSync(join(dir, "kek.pem"), kek.publicKeyPem);
  const built = buildByokFile(await memoTargetKey(spec), {
    kekPublicKey: kek.publicKeyPem,
    kekKid: KEK_KID,
  });
  writeFileSync(join(dir, "good.byok"), built.text);
  return dir;
}

test("wrap --generate then inspect shows the header, generator, sizes and what the file can hold", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "kek.pem"), (await rsaPair(2048)).publicKeyPem);
  const wrapped = await cli(
    [
      "wrap",
      "--kek-pem",
      "kek.pem",
      "--kek-kid",
      KEK_KID,
      "--generate",
      "rsa-2048",
      "--out",
      "k.byok",
    ],
    dir,
  );
  t.is(wrapped.code, 0, wrapped.stderr);
  const result = await cli(["inspect", "k.byok", "--kek-pem", "kek.pem"], dir);
  t.is(result.code, 0, result.stderr);
  const out = result.stdout;
  t.regex(out, /^file {12}k\.byok \(\d+ bytes, sha256 [0-9a-f]{64}\)$/m);
  t.regex(out, /^schema_version {2}1\.0\.0$/m);
  t.regex(out, new RegExp(`^header\\.kid {6}${KEK_KID}$`, "m"));
  t.regex(out, /^ {2}vault {9}https:\/\/contoso\.managedhsm\.azure\.net \(Managed HSM\)$/m);
  t.regex(out, /^ {2}KEK {11}KEKforBYOK, version 0123456789abcdef0123456789abcdef$/m);
  t.regex(out, /^header\.alg {6}dir$/m);
  t.regex(out, /^header\.enc {6}CKM_RSA_AES_KEY_WRAP$/m);
  t.regex(out, /^generator {7}pulumi-azure-byok \d+\.\d+\.\d+$/m);
  t.regex(out, /^ciphertext {6}\d+ bytes \(base64url, unpadded\)$/m);
  t.regex(out, /^fits KEK sizes {2}RSA-2048$/m);
  t.regex(
    out,
    /RSA-2048 KEK: RSA block 256 bytes \+ wrapped key \d+ bytes, which can hold RSA-2048$/m,
  );
  t.regex(
    out,
    /^KEK check {7}fits the RSA-2048 KEK \(from kek\.pem\): RSA block 256 bytes, below its modulus, \+ wrapped key \d+ bytes, which can hold RSA-2048$/m,
  );
  t.regex(out, /^not checked {5}that the KEK's key pair wrapped it/m);
});

test("inspect --kek-pem with a KEK of another size exits 3 with ERR_BYOK_KEK_SIZE_MISMATCH", async (t) => {
  const dir = await workDir(t);
  writeFileSync(join(dir, "kek4096.pem"), (await rsaPair(4096)).publicKeyPem);
  const result = await cli(["inspect", "good.byok", "--kek-pem", "kek4096.pem"], dir);
  t.is(result.code, 3);
  t.regex(
    result.stderr,
    /does not fit a 4096-bit KEK's 512-byte RSA block .*\(it fits a 2048-bit KEK\).* \[ERR_BYOK_KEK_SIZE_MISMATCH\]$/,
  );
});

test("inspect of a file whose length fits two KEK sizes says the size is ambiguous, not which it fits", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "o256.byok"), (await wrappedForRsa4096("below")).text);
  const result = await cli(["inspect", "o256.byok"], dir);
  t.is(result.code, 0, result.stderr);
  t.regex(
    result.stdout,
    /^fits KEK sizes {2}RSA-3072, RSA-4096 \(ambiguous: the length alone cannot tell which; --kek-pem checks a KEK\)$/m,
  );
  t.regex(
    result.stdout,
    /^ {2}RSA-3072 KEK: .*which can hold EC P-256, EC P-256K, EC P-384, EC P-521$/m,
  );
  t.regex(
    result.stdout,
    /^ {2}RSA-4096 KEK: RSA block 512 bytes \+ wrapped key 40 bytes, which can hold oct-256$/m,
  );
  t.notRegex(result.stdout, /^KEK check/m);
  const json = await cli(["inspect", "o256.byok", "--json"], dir);
  t.true((JSON.parse(json.stdout) as { kekSizeAmbiguous: boolean }).kekSizeAmbiguous);
});

test("inspect --kek-pem with a KEK whose size the length fits, but not alone, says it is consistent and ambiguous, not that it fits", async (t) => {
  const dir = tempDir(t);
  const { text, kek3072Pem } = await wrappedForRsa4096("below");
  writeFileSync(join(dir, "o256.byok"), text);
  writeFileSync(join(dir, "kek3072.pem"), kek3072Pem);
  const result = await cli(["inspect", "o256.byok", "--kek-pem", "kek3072.pem"], dir);
  t.is(result.code, 0, result.stderr);
  t.regex(
    result.stdout,
    /^fits KEK sizes {2}RSA-3072, RSA-4096 \(ambiguous: the length alone cannot tell which\)$/m,
  );
  t.regex(
    result.stdout,
    /^KEK check {7}ambiguous: consistent with the RSA-3072 KEK \(from kek3072\.pem\): RSA block 384 bytes, below its modulus, \+ wrapped key 168 bytes, which can hold EC P-256, EC P-256K, EC P-384, EC P-521; but the length also fits an RSA-4096 KEK, so it may have been wrapped for another KEK: compare header\.kid with this KEK's key id$/m,
  );
  t.notRegex(result.stdout, /fits the RSA-3072/);
  const json = await cli(["inspect", "o256.byok", "--kek-pem", "kek3072.pem", "--json"], dir);
  const report = JSON.parse(json.stdout) as {
    kekCheck: { kekBits: number; ambiguous: boolean; alsoFitsKekBits: number[] };
  };
  t.is(report.kekCheck.kekBits, 3072);
  t.true(report.kekCheck.ambiguous);
  t.deepEqual(report.kekCheck.alsoFitsKekBits, [4096]);
});

test("inspect --kek-pem refuses a file whose RSA block is not below the KEK's modulus (exit 3, ERR_BYOK_KEK_MISMATCH naming the KEK)", async (t) => {
  const dir = tempDir(t);
  const { text, kek3072Pem } = await wrappedForRsa4096("above");
  writeFileSync(join(dir, "o256.byok"), text);
  writeFileSync(join(dir, "kek3072.pem"), kek3072Pem);
  const result = await cli(["inspect", "o256.byok", "--kek-pem", "kek3072.pem"], dir);
  t.is(result.code, 3);
  t.regex(
    result.stderr,
    /o256\.byok\.ciphertext's first 384 bytes, read as an integer, are not below the modulus of the RSA-3072 KEK \(--kek-pem kek3072\.pem\), so they are no RSA block made with that key: the file \(header\.kid \S+\) was wrapped for another KEK; wrap the target key again with this KEK's public key \[ERR_BYOK_KEK_MISMATCH\]$/,
  );
});

const badFiles: readonly [string, string, RegExp][] = [
  ["not JSON", "hello", /bad\.byok is not JSON.* \[ERR_BYOK_NOT_JSON\]/],
  [
    "a wrong alg",
    JSON.stringify({
      schema_version: "1.0.0",
      header: { kid: KEK_KID, alg: "RSA-OAEP", enc: "CKM_RSA_AES_KEY_WRAP" },
      ciphertext: "AAAA",
    }),
    /bad\.byok\.header\.alg is "RSA-OAEP": Azure BYOK requires "dir" \[ERR_BYOK_ALG\]/,
  ],
  [
    "a missing ciphertext",
    JSON.stringify({
      schema_version: "1.0.0",
      header: { kid: KEK_KID, alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" },
    }),
    /bad\.byok has no "ciphertext" field: it is required \[ERR_BYOK_MISSING_FIELD\]/,
  ],
  [
    "a ciphertext no KEK size fits",
    JSON.stringify({
      schema_version: "1.0.0",
      header: { kid: KEK_KID, alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" },
      ciphertext: Buffer.alloc(256 + 1000).toString("base64url"),
    }),
    /no KEK size \(RSA 2048, 3072, 4096\) leaves a wrapped key of a type Azure imports.* \[ERR_BYOK_CIPHERTEXT_LENGTH\]/,
  ],
];

for (const [title, content, message] of badFiles) {
  test(`inspect of a file with ${title} exits 3 with the reason and its code`, async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "bad.byok"), content);
    const result = await cli(["inspect", "bad.byok"], dir);
    t.is(result.code, 3);
    t.regex(result.stderr, message);
  });
}

test("inspect reads a file another tool wrote: schema 1.0, standard base64 with padding", async (t) => {
  const dir = await workDir(t, "oct-256");
  const good = JSON.parse(readFileSync(join(dir, "good.byok"), "utf8")) as {
    ciphertext: string;
    header: unknown;
  };
  const standard = Buffer.from(good.ciphertext, "base64url").toString("base64");
  writeFileSync(
    join(dir, "other.byok"),
    JSON.stringify({
      schema_version: "1.0",
      header: good.header,
      ciphertext: standard,
      generator: "Primus Java BYOK-Tool v1.2",
    }),
  );
  const result = await cli(["inspect", "other.byok", "--kek-pem", "kek.pem"], dir);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^schema_version {2}1\.0$/m);
  t.regex(result.stdout, /^generator {7}Primus Java BYOK-Tool v1\.2$/m);
  t.regex(
    result.stdout,
    /^ciphertext {6}296 bytes \((standard base64|base64url or base64 .*), padded\)$/m,
  );
  t.regex(result.stdout, /which can hold oct-256$/m);
});

test("inspect --json prints one object, and a bad file's error as {error: {code, message}}", async (t) => {
  const dir = await workDir(t);
  const good = await cli(["inspect", "good.byok", "--json", "--kek-pem", "kek.pem"], dir);
  t.is(good.code, 0, good.stderr);
  const report = JSON.parse(good.stdout) as {
    schemaVersion: string;
    kek: { name: string; vaultKind: string };
    kekFits: { kekBits: number; targets: string[] }[];
    kekCheck: { kekBits: number };
  };
  t.is(report.schemaVersion, "1.0.0");
  t.deepEqual(report.kek.name, "KEKforBYOK");
  t.is(report.kek.vaultKind, "managedhsm");
  t.deepEqual(
    report.kekFits.map((fit) => fit.kekBits),
    [2048],
  );
  t.true(report.kekFits[0]?.targets.includes("RSA-2048"));
  t.is(report.kekCheck.kekBits, 2048);

  writeFileSync(join(dir, "bad.byok"), "{}");
  const bad = await cli(["inspect", "bad.byok", "--json"], dir);
  t.is(bad.code, 3);
  const error = JSON.parse(bad.stdout) as { error: { code: string; message: string } };
  t.is(error.error.code, "ERR_BYOK_MISSING_FIELD");
  t.regex(error.error.message, /bad\.byok has no "schema_version" field/);
});

const usage: readonly [string, string[], RegExp][] = [
  ["no file", ["inspect"], /say which file: azure-byok inspect <file\.byok>/],
  ["two files", ["inspect", "a.byok", "b.byok"], /one file at a time \(got 2\)/],
  ["an unknown option", ["inspect", "a.byok", "--verbose"], /Unknown option '--verbose'/],
];

for (const [title, argv, message] of usage) {
  test(`inspect with ${title} is a usage error (exit 2)`, async (t) => {
    const result = await cli(argv, tempDir(t));
    t.is(result.code, 2);
    t.regex(result.stderr, message);
  });
}

test("inspect of a file that does not exist exits 3 naming it", async (t) => {
  const result = await cli(["inspect", "nowhere.byok"], tempDir(t));
  t.is(result.code, 3);
  t.regex(result.stderr, /the \.byok file nowhere\.byok cannot be read \(no such file\)/);
});

test("inspect --help prints the usage and exits 0", async (t) => {
  const result = await cli(["inspect", "--help"], tempDir(t));
  t.is(result.code, 0);
  t.regex(
    result.stdout,
    /^Usage: azure-byok inspect <file\.byok> \[--kek-pem <kek\.pem>\] \[--json\]/,
  );
});
