import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { encodeTargetKey, parseByokFile, unwrapByokFile } from "../../byok/index.js";
import type { RecoveredTargetKey, TargetKey } from "../../byok/index.js";
import { cli, tempDir } from "../harness/cliRun.js";
import { KEK_KID, memoTargetKey, rsaPair } from "../harness/keys.js";

/** A temp dir holding kek.pem (the 2048-bit test KEK's public key). */
async function workDir(t: ExecutionContext): Promise<string> {
  const dir = tempDir(t);
  writeFileSync(join(dir, "kek.pem"), (await rsaPair(2048)).publicKeyPem);
  return dir;
}

async function unwrapOut(dir: string, file = "out.byok"): Promise<RecoveredTargetKey> {
  const pkg = parseByokFile(readFileSync(join(dir, file)), { kekModulusBytes: 256 });
  return unwrapByokFile(pkg, (await rsaPair(2048)).privateKey);
}

const base = ["wrap", "--kek-pem", "kek.pem", "--kek-kid", KEK_KID, "--out", "out.byok"];

for (const spec of ["rsa-2048", "ec-p256k", "oct-192"] as const) {
  test(`wrap --generate ${spec} writes a .byok that unwraps to a ${spec} key, and never the private key`, async (t) => {
    const dir = await workDir(t);
    const result = await cli([...base, "--generate", spec], dir);
    t.is(result.code, 0, result.stderr);
    t.is(result.stderr, "");
    const recovered = await unwrapOut(dir);
    const asymmetric = "publicKey" in recovered;
    t.is(asymmetric, spec !== "oct-192");
    t.deepEqual(
      readdirSync(dir).sort(),
      asymmetric ? ["kek.pem", "out.byok", "out.byok.pub.pem"] : ["kek.pem", "out.byok"],
    );
    if ("publicKey" in recovered) {
      // The public key written next to the file is the wrapped key's public half.
      const pem = readFileSync(join(dir, "out.byok.pub.pem"), "utf8");
      t.is(pem, recovered.publicKey.export({ type: "spki", format: "pem" }).toString());
    }
    t.notRegex(result.stdout, /PRIVATE KEY/);
    const lines = result.stdout.split("\n");
    t.regex(lines[0] ?? "", /^KEK: RSA-2048 public key from kek\.pem, id https:\/\/contoso/);
    t.regex(lines[1] ?? "", /^generating the target key: /);
    t.regex(
      lines[2] ?? "",
      /^wrapped with CKM_RSA_AES_KEY_WRAP .*256-byte RSA block \+ \d+-byte wrapped key$/,
    );
    t.regex(lines[3] ?? "", /^wrote .*out\.byok \(sha256 [0-9a-f]{64}\)$/);
  });
}

interface KeyFileCase {
  readonly title: string;
  readonly spec: string;
  readonly encode: (target: TargetKey) => string | Buffer;
  readonly format: string;
}

function privateKeyOf(target: TargetKey): ReturnType<typeof createPrivateKey> {
  if (!("privateKey" in target)) throw new Error("an asymmetric target is needed");
  return target.privateKey;
}

const keyFiles: readonly KeyFileCase[] = [
  {
    title: "PKCS#8 PEM",
    spec: "rsa-3072",
    encode: (k) => privateKeyOf(k).export({ type: "pkcs8", format: "pem" }),
    format: "PKCS#8 PEM",
  },
  {
    title: "PKCS#1 PEM",
    spec: "rsa-2048",
    encode: (k) => privateKeyOf(k).export({ type: "pkcs1", format: "pem" }),
    format: "PKCS#1 PEM",
  },
  {
    title: "SEC1 PEM after an EC PARAMETERS block (openssl ecparam -genkey)",
    spec: "ec-p384",
    encode: (k) =>
      `-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n${privateKeyOf(k).export({ type: "sec1", format: "pem" }).toString()}`,
    format: "SEC1 PEM",
  },
  {
    title: "PKCS#8 DER",
    spec: "ec-p521",
    encode: (k) => privateKeyOf(k).export({ type: "pkcs8", format: "der" }),
    format: "PKCS#8 DER",
  },
  {
    title: "PKCS#1 DER",
    spec: "rsa-2048",
    encode: (k) => privateKeyOf(k).export({ type: "pkcs1", format: "der" }),
    format: "PKCS#1 DER",
  },
  {
    title: "SEC1 DER",
    spec: "ec-p256k",
    encode: (k) => privateKeyOf(k).export({ type: "sec1", format: "der" }),
    format: "SEC1 DER",
  },
  {
    title: "raw AES bytes",
    spec: "oct-256",
    encode: (k) => encodeTargetKey(k),
    format: "raw 32-byte AES key",
  },
];

for (const keyFile of keyFiles) {
  test(`wrap --key reads ${keyFile.title} and the file unwraps to that key`, async (t) => {
    const dir = await workDir(t);
    const target = await memoTargetKey(keyFile.spec);
    writeFileSync(join(dir, "target.key"), keyFile.encode(target));
    const result = await cli([...base, "--key", "target.key"], dir);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`target key: .* from target\\.key \\(${keyFile.format}\\)`));
    t.deepEqual(encodeTargetKey(await unwrapOut(dir)), encodeTargetKey(target));
    t.false(existsSync(join(dir, "out.byok.pub.pem")), "--key writes no public key file");
  });
}

test("wrap --write-private-key writes the generated key with mode 0600 and warns on stderr", async (t) => {
  const dir = await workDir(t);
  const result = await cli(
    [...base, "--generate", "ec-p256", "--write-private-key", "target.pem"],
    dir,
  );
  t.is(result.code, 0, result.stderr);
  t.regex(
    result.stderr,
    /^warning: writing the generated EC P-256 private key IN CLEAR to .*target\.pem/,
  );
  t.is(statSync(join(dir, "target.pem")).mode & 0o777, 0o600);
  const written = createPrivateKey(readFileSync(join(dir, "target.pem")));
  const recovered = await unwrapOut(dir);
  t.true("publicKey" in recovered);
  if ("publicKey" in recovered) {
    t.deepEqual(
      createPublicKey(written).export({ type: "spki", format: "der" }),
      recovered.publicKey.export({ type: "spki", format: "der" }),
    );
  }
});

test("wrap refuses to replace an existing output, and --force replaces it", async (t) => {
  const dir = await workDir(t);
  writeFileSync(join(dir, "out.byok"), "keep me");
  const refused = await cli([...base, "--generate", "oct-128"], dir);
  t.is(refused.code, 3);
  t.regex(
    refused.stderr,
    /out\.byok exists: choose another --out, move the file away, or pass --force to replace it/,
  );
  t.is(readFileSync(join(dir, "out.byok"), "utf8"), "keep me");
  const forced = await cli([...base, "--generate", "oct-128", "--force"], dir);
  t.is(forced.code, 0, forced.stderr);
  t.is((await unwrapOut(dir)).spec.kty, "oct");
});

const usageCases: readonly [string, string[], RegExp][] = [
  [
    "no --kek-pem",
    ["wrap", "--kek-kid", KEK_KID, "--generate", "oct-128", "--out", "o"],
    /--kek-pem is required/,
  ],
  [
    "no --kek-kid",
    ["wrap", "--kek-pem", "kek.pem", "--generate", "oct-128", "--out", "o"],
    /--kek-kid is required/,
  ],
  [
    "no --out",
    ["wrap", "--kek-pem", "kek.pem", "--kek-kid", KEK_KID, "--generate", "oct-128"],
    /--out is required/,
  ],
  [
    "neither --key nor --generate",
    base,
    /give exactly one of --key <file> .* or --generate <type>/,
  ],
  [
    "both --key and --generate",
    [...base, "--key", "k", "--generate", "oct-128"],
    /give exactly one of/,
  ],
  [
    "an unknown option",
    [...base, "--generate", "oct-128", "--pin", "1234"],
    /Unknown option '--pin'/,
  ],
  [
    "an unknown key type",
    [...base, "--generate", "rsa-1024"],
    /--generate rsa-1024: use one of rsa-2048, .*oct-256/,
  ],
  [
    "--write-private-key with --key",
    [...base, "--key", "k", "--write-private-key", "p"],
    /--write-private-key goes with --generate/,
  ],
];

for (const [title, argv, message] of usageCases) {
  test(`wrap with ${title} is a usage error (exit 2) and writes nothing`, async (t) => {
    const dir = await workDir(t);
    const result = await cli(argv, dir);
    t.is(result.code, 2);
    t.regex(result.stderr, message);
    t.regex(result.stderr, /Run 'azure-byok wrap --help' for usage\./);
    t.deepEqual(readdirSync(dir), ["kek.pem"]);
  });
}

const badInputCases: readonly [string, (dir: string) => string[], RegExp][] = [
  [
    "a KEK file that does not exist",
    () => [...base.map((a) => (a === "kek.pem" ? "missing.pem" : a)), "--generate", "oct-128"],
    /--kek-pem missing\.pem cannot be read \(no such file\)/,
  ],
  [
    "an EC key as KEK",
    (dir) => {
      writeFileSync(
        join(dir, "kek.pem"),
        generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
          type: "spki",
          format: "pem",
        }),
      );
      return [...base, "--generate", "oct-128"];
    },
    /--kek-pem kek\.pem is a ec key: a KEK is an RSA-HSM key of 2048, 3072 or 4096 bits \[ERR_KEK_PUBLIC_KEY\]/,
  ],
  [
    "a KEK id without a version",
    () => [
      "wrap",
      "--kek-pem",
      "kek.pem",
      "--kek-kid",
      "https://contoso.managedhsm.azure.net/keys/KEK",
      "--out",
      "out.byok",
      "--generate",
      "oct-128",
    ],
    /--kek-kid ".*" has no version.*\[ERR_KEY_ID\]/,
  ],
  [
    "a public key as target",
    (dir) => {
      writeFileSync(join(dir, "target.pem"), readFileSync(join(dir, "kek.pem")));
      return [...base, "--key", "target.pem"];
    },
    /--key target\.pem holds a public key, not a private key/,
  ],
  [
    "an AES key typed as hex",
    (dir) => {
      writeFileSync(join(dir, "aes.hex"), "00112233445566778899aabbccddeeff");
      return [...base, "--key", "aes.hex"];
    },
    /--key aes\.hex is 32 bytes of text \(hex or base64\?\): an AES key file holds the raw key bytes; convert it first, for example 'xxd -r -p/,
  ],
  [
    "an RSA-1024 target",
    (dir) => {
      writeFileSync(
        join(dir, "small.pem"),
        generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
          type: "pkcs8",
          format: "pem",
        }),
      );
      return [...base, "--key", "small.pem"];
    },
    /is RSA-1024: Azure imports RSA 2048, 3072 or 4096 bits only .*\[ERR_BYOK_TARGET_KEY\]/,
  ],
  [
    "an encrypted PKCS#8 key",
    (dir) => {
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      writeFileSync(
        join(dir, "enc.pem"),
        key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }),
      );
      return [...base, "--key", "enc.pem"];
    },
    /--key enc\.pem is encrypted: decrypt it to a file on the offline machine first/,
  ],
  [
    "a file that is no key",
    (dir) => {
      writeFileSync(join(dir, "junk.bin"), Buffer.alloc(100, 7));
      return [...base, "--key", "junk.bin"];
    },
    /--key junk\.bin \(100 bytes\) is not a private key/,
  ],
];

for (const [title, argv, message] of badInputCases) {
  test(`wrap with ${title} is bad input (exit 3) and writes no .byok`, async (t) => {
    const dir = await workDir(t);
    const result = await cli(argv(dir), dir);
    t.is(result.code, 3, result.stdout);
    t.regex(result.stderr, message);
    t.false(existsSync(join(dir, "out.byok")));
  });
}

test("wrap --help prints the usage and exits 0", async (t) => {
  const result = await cli(["wrap", "--help"], tempDir(t));
  t.is(result.code, 0);
  t.regex(result.stdout, /^Usage:\n {2}azure-byok wrap --kek-pem <kek\.pem> --kek-kid <kid>/);
  t.regex(result.stdout, /--write-private-key <file>/);
});
