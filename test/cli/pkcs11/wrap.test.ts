/**
 * `azure-byok pkcs11 wrap` on a real token (SoftHSM2): for every key type Azure imports, the key
 * is generated in the token, the .byok file made there unwraps through byok/ with the KEK private
 * key (held by the test) to the token's key, the token refuses to show the key in clear, and once
 * the file is written it refuses to wrap the key under a key the PIN holder chose
 * (CKR_KEY_UNEXTRACTABLE). Also: --keep-extractable, wrapping a key that already exists, and
 * `pkcs11 list`.
 */
import { createCipheriv, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import {
  classifyTargetKey,
  loadKekPublicKey,
  parseByokFile,
  parseKeySpec,
  unwrapByokFile,
  unwrapKeyWithPadding,
} from "../../../byok/index.js";
import type { RecoveredTargetKey } from "../../../byok/index.js";
import { CKA, describeKey, findObjects, planWrap } from "../../../cli/pkcs11/index.js";
import { withSessionKek, wrapTwoStep } from "../../../cli/pkcs11/wrapOnToken.js";
import type { TokenSession } from "../../../cli/pkcs11/index.js";
import {
  createSoftHsmToken,
  inTokenSession,
  PIN_ENV,
  runAzureByok,
  TEST_PIN,
} from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

const KEK_KID =
  "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
const CKO_PUBLIC_KEY = 0x2;
const CKO_SECRET_KEY = 0x4;
const CKK_AES = 0x1f;
const CKM_AES_ECB = 0x1081;
const CKM_AES_KEY_WRAP_PAD = 0x210a;

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

/** Runs `fn` in a logged-in session of its own (see inTokenSession). */
function inToken<T>(fn: (ts: TokenSession) => T): T {
  return inTokenSession(token.modulePath, token.label, fn);
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

/**
 * What a PIN holder could try (the auditor's probe): wrap the target under an AES key whose value
 * they chose, then unwrap it outside the token. Returns the key's bytes in clear, or throws the
 * token's refusal.
 */
function wrapUnderKnownKey(ts: TokenSession, target: Buffer): Buffer {
  const known = randomBytes(32);
  const wrapping = ts.library.C_CreateObject(ts.session, [
    { type: CKA.CLASS, value: CKO_SECRET_KEY },
    { type: CKA.KEY_TYPE, value: CKK_AES },
    { type: CKA.TOKEN, value: false },
    { type: CKA.WRAP, value: true },
    { type: CKA.VALUE, value: known },
  ]);
  try {
    const wrapped = ts.library.C_WrapKey(
      ts.session,
      { mechanism: CKM_AES_KEY_WRAP_PAD },
      wrapping,
      target,
      Buffer.alloc(4096),
    );
    return unwrapKeyWithPadding(known, wrapped);
  } finally {
    ts.library.C_DestroyObject(ts.session, wrapping);
  }
}

/** The private or secret key with this label. */
function secretKeyLabelled(ts: TokenSession, label: string): Buffer {
  const [secret] = findObjects(ts, [
    { type: CKA.LABEL, value: label },
    { type: CKA.SENSITIVE, value: true },
  ]);
  if (secret === undefined) throw new Error(`no sensitive key labelled ${label}`);
  return secret;
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
    t.regex(
      run.stdout,
      /wrapped with CKM_RSA_PKCS_OAEP \+ CKM_AES_KEY_WRAP_PAD \(two steps\): \d+-byte ciphertext/,
    );
    t.regex(run.stdout, /\(CKM_RSA_PKCS_OAEP \+ AES key wrap with padding, two steps\)/);
    t.regex(
      run.stdout,
      new RegExp(
        `target key "${label}" is now CKA_EXTRACTABLE false: it can no longer leave the token`,
      ),
    );
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
      t.false(flag(CKA.EXTRACTABLE), "made unextractable once the file was written");
      t.false(flag(CKA.WRAP_WITH_TRUSTED));
      const refused = t.throws(() => wrapUnderKnownKey(ts, secret!));
      t.is(refused.message, "CKR_KEY_UNEXTRACTABLE", "no wrap under a key the PIN holder chose");
    });
  });
}

test("--keep-extractable leaves the generated key extractable, and a PIN holder can then take it out in clear: the risk the default closes", async (t) => {
  const label = "kept-extractable-oct-128";
  const run = await wrapWith(
    ["--generate", "oct-128", "--key-label", label, "--keep-extractable"],
    join(token.dir, `${label}.byok`),
  );
  t.is(run.code, 0, run.stderr);
  t.regex(
    run.stdout,
    /target key "kept-extractable-oct-128" stays CKA_EXTRACTABLE \(--keep-extractable\)/,
  );
  inToken((ts) => {
    const secret = secretKeyLabelled(ts, label);
    t.is(attribute(ts, secret, CKA.EXTRACTABLE)[0], 1);
    const recovered = classifyTargetKey(wrapUnderKnownKey(ts, secret));
    assertSameKeyAsToken(t, ts, label, recovered);
  });
  const again = await wrapWith(["--key-label", label], join(token.dir, `${label}-again.byok`));
  t.is(again.code, 0, again.stderr);
  t.notRegex(again.stdout, /CKA_EXTRACTABLE/, "a key found by label is never changed");
});

test("--keep-extractable without --generate is a usage error: an existing key is never changed", async (t) => {
  const run = await wrapWith(
    ["--key-label", "anything", "--keep-extractable"],
    join(token.dir, "never-written.byok"),
  );
  t.is(run.code, 2);
  t.regex(run.stderr, /--keep-extractable goes with --generate/);
});

test("the token's own refusal, CKR_KEY_UNEXTRACTABLE, is ERR_PKCS11_KEY_NOT_WRAPPABLE naming it (the attribute pre-check bypassed)", async (t) => {
  const label = "locked-by-wrap-oct-256";
  const run = await wrapWith(
    ["--generate", "oct-256", "--key-label", label],
    join(token.dir, `${label}.byok`),
  );
  t.is(run.code, 0, run.stderr);
  const kek = loadKekPublicKey(readFileSync(kekPemPath, "utf8"));
  inToken((ts) => {
    const key = describeKey(ts, secretKeyLabelled(ts, label));
    t.false(key.extractable);
    // A token that hid CKA_EXTRACTABLE would pass findTargetKey's check; the token still refuses.
    const target = { ...key, spec: key.spec!, extractable: true };
    const plan = planWrap(ts.mechanisms);
    if (plan.kind !== "two-step") throw new Error("SoftHSM2 wraps in two steps");
    const error = t.throws(() =>
      withSessionKek(ts, kek, (sessionKek) => wrapTwoStep(ts, plan, sessionKek, target)),
    );
    t.is((error as { code?: string }).code, "ERR_PKCS11_KEY_NOT_WRAPPABLE");
    t.is(
      error.message,
      `the token will not wrap "${label}" (oct-256) under a session key (CKR_KEY_UNEXTRACTABLE): the key must be CKA_EXTRACTABLE and not CKA_WRAP_WITH_TRUSTED; make a new key with --generate`,
    );
  });
});

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
    ["--generate", "rsa-2048", "--key-label", label, "--keep-extractable"],
    join(token.dir, "listed.byok"),
  );
  t.is(made.code, 0, made.stderr);
  const locked = await wrapWith(
    ["--generate", "oct-192", "--key-label", "listed-locked"],
    join(token.dir, "listed-locked.byok"),
  );
  t.is(locked.code, 0, locked.stderr);

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
  t.regex(withPin.stdout, /"listed-locked" secret AES-192 \(cannot leave the token\)/);
  t.regex(withPin.stdout, /"listed-rsa" public RSA-2048/);
  t.notRegex(withPin.stdout, new RegExp(TEST_PIN));
});
