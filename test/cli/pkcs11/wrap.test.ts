/**
 * `azure-byok pkcs11 wrap` on a real token (SoftHSM2): for every key type Azure imports, the key
 * is generated in the token, the .byok file made there unwraps through byok/ with the KEK private
 * key (held by the test) to the token's key, and the token refuses to show the key in clear.
 * Also: wrapping a key that already exists, and `pkcs11 list`.
 */
import { createCipheriv, createPublicKey, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { parseByokFile, parseKeySpec, unwrapByokFile } from "../../../byok/index.js";
import type { RecoveredTargetKey } from "../../../byok/index.js";
import {
  CKA,
  findObjects,
  openModule,
  openSession,
  selectSlot,
  listSlots,
} from "../../../cli/pkcs11/index.js";
import type { TokenSession } from "../../../cli/pkcs11/index.js";
import { createSoftHsmToken, PIN_ENV, runAzureByok, TEST_PIN } from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

const KEK_KID =
  "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
const CKO_PUBLIC_KEY = 0x2;
const CKM_AES_ECB = 0x1081;

let token: SoftHsmToken;
let kekPrivateKey: KeyObject;
let kekPemPath: string;

test.before(() => {
  token = createSoftHsmToken({ label: "wrap-tests" });
  const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
  kekPrivateKey = kek.privateKey;
  kekPemPath = join(token.dir, "kek.pem");
  writeFileSync(kekPemPath, kek.publicKey.export({ type: "spki", format: "pem" }));
});

test.after.always(() => {
  token.remove();
});

/** Runs `fn` in a logged-in session of its own; synchronous so no other test's session interleaves. */
function inToken<T>(fn: (ts: TokenSession) => T): T {
  const module = openModule(token.modulePath);
  try {
    const ts = openSession(
      module,
      selectSlot(listSlots(module), { tokenLabel: token.label }),
      TEST_PIN,
    );
    try {
      return fn(ts);
    } finally {
      ts.close();
    }
  } finally {
    module.close();
  }
}

function objectsLabelled(ts: TokenSession, label: string, keyClass?: number): Buffer[] {
  return findObjects(ts, [
    { type: CKA.LABEL, value: label },
    ...(keyClass === undefined ? [] : [{ type: CKA.CLASS, value: keyClass }]),
  ]);
}

function attribute(ts: TokenSession, handle: Buffer, type: number): Buffer {
  const [result] = ts.library.C_GetAttributeValue(ts.session, handle, [{ type }]);
  if (result === undefined) throw new Error(`no attribute 0x${type.toString(16)}`);
  return result.value;
}

async function wrapWith(args: readonly string[], out: string) {
  return runAzureByok(
    [
      "pkcs11",
      "wrap",
      "--module",
      token.modulePath,
      "--token-label",
      token.label,
      "--pin-env",
      PIN_ENV,
      "--kek-pem",
      kekPemPath,
      "--kek-kid",
      KEK_KID,
      "--out",
      out,
      ...args,
    ],
    { cwd: token.dir },
  );
}

/** The secret attribute of each key type that must never be readable. */
function secretAttributeOf(kty: "RSA" | "EC" | "oct"): number {
  return kty === "RSA" ? CKA.PRIVATE_EXPONENT : CKA.VALUE;
}

/** Compares the unwrapped key with what the token holds, through the token's own outputs. */
function assertSameKeyAsToken(
  t: ExecutionContext,
  ts: TokenSession,
  label: string,
  recovered: RecoveredTargetKey,
): void {
  if ("octKey" in recovered) {
    // The token encrypts one block with its key; the unwrapped bytes must give the same block.
    const [secret] = objectsLabelled(ts, label);
    const block = Buffer.from("azure-byok kcv!!");
    ts.library.C_EncryptInit(ts.session, { mechanism: CKM_AES_ECB }, secret!);
    const byToken = ts.library.C_Encrypt(ts.session, block, Buffer.alloc(16));
    const cipher = createCipheriv(
      `aes-${recovered.spec.size}-ecb`,
      recovered.octKey,
      null,
    ).setAutoPadding(false);
    t.deepEqual(Buffer.concat([cipher.update(block), cipher.final()]), byToken);
    return;
  }
  const [publicObject] = objectsLabelled(ts, label, CKO_PUBLIC_KEY);
  const jwk = recovered.publicKey.export({ format: "jwk" });
  if (recovered.spec.kty === "RSA") {
    t.is(attribute(ts, publicObject!, CKA.MODULUS).toString("base64url"), jwk.n!);
    t.is(attribute(ts, publicObject!, CKA.PUBLIC_EXPONENT).toString("base64url"), jwk.e!);
  } else {
    // CKA_EC_POINT is a DER OCTET STRING around 04 || x || y.
    const point = Buffer.concat([
      Buffer.from([0x04]),
      Buffer.from(jwk.x!, "base64url"),
      Buffer.from(jwk.y!, "base64url"),
    ]);
    t.true(attribute(ts, publicObject!, CKA.EC_POINT).subarray(-point.length).equals(point));
  }
}

const SPECS = [
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
  "ec-p256",
  "ec-p256k",
  "ec-p384",
  "ec-p521",
  "oct-128",
  "oct-192",
  "oct-256",
] as const;

for (const specName of SPECS) {
  test(`--generate ${specName}: the .byok file made in the token unwraps through byok/ to the token's key, which the token will not show in clear`, async (t) => {
    const label = `generated-${specName}`;
    const out = join(token.dir, `${label}.byok`);
    const publicOut = join(token.dir, `${label}.pem`);
    const run = await wrapWith(
      ["--generate", specName, "--key-label", label, "--public-key-out", publicOut],
      out,
    );
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /CKM_RSA_PKCS_OAEP \(SHA-1\) \+ CKM_AES_KEY_WRAP_PAD .*two steps/);
    t.regex(run.stdout, /passes an RFC 5649 known-answer test/);
    t.notRegex(run.stdout + run.stderr, new RegExp(TEST_PIN));

    const spec = parseKeySpec(specName);
    const pkg = parseByokFile(readFileSync(out, "utf8"), { kekModulusBytes: 256 });
    t.is(pkg.header.kid, KEK_KID);
    t.regex(pkg.generator ?? "", /PKCS#11 SoftHSM project SoftHSM v2 firmware 2\.\d+/);
    const recovered = unwrapByokFile(pkg, kekPrivateKey, { expected: spec });
    t.deepEqual(recovered.spec, spec);
    if ("publicKey" in recovered) {
      t.is(
        createPublicKey(readFileSync(publicOut, "utf8"))
          .export({ type: "spki", format: "der" })
          .toString("hex"),
        recovered.publicKey.export({ type: "spki", format: "der" }).toString("hex"),
      );
    }

    inToken((ts) => {
      assertSameKeyAsToken(t, ts, label, recovered);
      const [secret] = findObjects(ts, [
        { type: CKA.LABEL, value: label },
        { type: CKA.SENSITIVE, value: true },
      ]);
      t.truthy(secret, "the generated key is a sensitive object");
      const error = t.throws(() =>
        ts.library.C_GetAttributeValue(ts.session, secret!, [
          { type: secretAttributeOf(spec.kty) },
        ]),
      );
      t.is(error.message, "CKR_ATTRIBUTE_SENSITIVE");
      const flag = (type: number): boolean => attribute(ts, secret!, type)[0] === 1;
      t.true(flag(CKA.TOKEN), "kept on the token for the operator");
      t.true(flag(CKA.EXTRACTABLE), "extractable, so that it can be wrapped");
      t.false(flag(CKA.WRAP_WITH_TRUSTED));
    });
  });
}

test("--key-label wraps a key that already exists on the token", async (t) => {
  const label = "existing-ec-p384";
  inToken((ts) => {
    ts.library.C_GenerateKeyPair(
      ts.session,
      { mechanism: 0x1040 },
      [
        { type: CKA.TOKEN, value: true },
        { type: CKA.LABEL, value: label },
        { type: CKA.EC_PARAMS, value: Buffer.from("06052b81040022", "hex") },
      ],
      [
        { type: CKA.TOKEN, value: true },
        { type: CKA.LABEL, value: label },
        { type: CKA.SENSITIVE, value: true },
        { type: CKA.EXTRACTABLE, value: true },
        { type: CKA.SIGN, value: true },
      ],
    );
  });
  const out = join(token.dir, `${label}.byok`);
  const run = await wrapWith(["--key-label", label], out);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /target key "existing-ec-p384": EC P-384, found/);
  const recovered = unwrapByokFile(parseByokFile(readFileSync(out, "utf8")), kekPrivateKey, {
    expected: { kty: "EC", curve: "P-384" },
  });
  inToken((ts) => {
    assertSameKeyAsToken(t, ts, label, recovered);
  });
});

test("pkcs11 list shows the token, whether it can wrap, and with a PIN each key's label, class, type and size", async (t) => {
  const label = "listed-rsa";
  const made = await wrapWith(
    ["--generate", "rsa-2048", "--key-label", label],
    join(token.dir, "listed.byok"),
  );
  t.is(made.code, 0, made.stderr);

  const withoutPin = await runAzureByok(["pkcs11", "list", "--module", token.modulePath], {
    cwd: token.dir,
  });
  t.is(withoutPin.code, 0, withoutPin.stderr);
  t.regex(
    withoutPin.stdout,
    /token "wrap-tests": manufacturer "SoftHSM project", model "SoftHSM v2", serial "[0-9a-f]+"/,
  );
  t.regex(withoutPin.stdout, /flags: .*login-required.*token-initialized/);
  t.regex(withoutPin.stdout, /can wrap: CKM_RSA_PKCS_OAEP \+ CKM_AES_KEY_WRAP_PAD \(two steps\)/);
  t.notRegex(withoutPin.stdout, /listed-rsa/, "no keys without a PIN");

  const withPin = await runAzureByok(
    [
      "pkcs11",
      "list",
      "--module",
      token.modulePath,
      "--token-label",
      token.label,
      "--pin-env",
      PIN_ENV,
    ],
    { cwd: token.dir },
  );
  t.is(withPin.code, 0, withPin.stderr);
  t.regex(withPin.stdout, /"listed-rsa" private RSA-2048 \(leaves only wrapped\)/);
  t.regex(withPin.stdout, /"listed-rsa" public RSA-2048/);
  t.notRegex(withPin.stdout, new RegExp(TEST_PIN));
});
