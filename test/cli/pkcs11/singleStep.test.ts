/**
 * The single-step CKM_RSA_AES_KEY_WRAP, on a token that offers it: SoftHSM2 behind a shim that
 * adds the mechanism (test/harness/rsaAesKeyWrapShim.c, built here with gcc) and records each
 * call with the parameters it was given. `azure-byok pkcs11 wrap` must use it, with a 256-bit AES
 * key and OAEP SHA-1/MGF1-SHA-1 and an empty label; the file unwraps through byok/ and imports
 * into the emulator to the token's key. A token that refuses the single step gets the two steps;
 * one that forbids SHA-1 in OAEP fails naming it.
 */
import { createCipheriv, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import {
  loadKekPublicKey,
  parseByokFile,
  parseKeySpec,
  unwrapByokFile,
} from "../../../byok/index.js";
import { CKA, describeKey, findObjects, planWrap } from "../../../cli/pkcs11/index.js";
import type { TokenSession } from "../../../cli/pkcs11/index.js";
import { withSessionKek, wrapSingleStep } from "../../../cli/pkcs11/wrapOnToken.js";
import { startTestEmulator } from "../../harness/emulatorHarness.js";
import type { TestEmulator } from "../../harness/emulatorHarness.js";
import {
  buildRsaAesKeyWrapShim,
  SHIM_LOG_ENV,
  SHIM_MODE_ENV,
} from "../../harness/rsaAesKeyWrapShim.js";
import {
  createSoftHsmToken,
  inTokenSession,
  PIN_ENV,
  runAzureByok,
  writeKekPem,
} from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

const LOCAL_KEK_KID =
  "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
const CKO_PUBLIC_KEY = 0x2;
const CKM_AES_ECB = 0x1081;

let token: SoftHsmToken;
let shim: string;
let shimLog: string;
let env: TestEmulator;
let emulatorKek: KeyVaultKey;
let emulatorKekPem: string;
let localKekPrivate: KeyObject;
let localKekPem: string;

test.before(async () => {
  token = createSoftHsmToken({ label: "single-step" });
  shim = buildRsaAesKeyWrapShim(token.dir);
  shimLog = join(token.dir, "shim.log");
  writeFileSync(shimLog, "");
  process.env[SHIM_LOG_ENV] = shimLog;
  const local = generateKeyPairSync("rsa", { modulusLength: 3072 });
  localKekPrivate = local.privateKey;
  localKekPem = join(token.dir, "local-kek.pem");
  writeFileSync(localKekPem, local.publicKey.export({ type: "spki", format: "pem" }));
  env = await startTestEmulator({ vaults: [{ name: "single-step-hsm", kind: "managedhsm" }] });
  emulatorKek = await env
    .keyClient()
    .createRsaKey("KEKforSingleStep", { hsm: true, keySize: 2048, keyOps: ["import"] });
  emulatorKekPem = join(token.dir, "emulator-kek.pem");
  writeKekPem(emulatorKek, emulatorKekPem);
});

test.after.always(async () => {
  delete process.env.AZURE_BYOK_SHIM_LOG;
  await env.emulator.stop();
  token.remove();
});

function wrapArgs(kekPem: string, kekKid: string, out: string, args: readonly string[]): string[] {
  return [
    "pkcs11",
    "wrap",
    "--module",
    shim,
    "--token-label",
    token.label,
    "--pin-env",
    PIN_ENV,
    "--kek-pem",
    kekPem,
    "--kek-kid",
    kekKid,
    "--out",
    out,
    ...args,
  ];
}

/** Runs `fn` in a logged-in session of its own (see inTokenSession). */
function inToken<T>(fn: (ts: TokenSession) => T): T {
  return inTokenSession(shim, token.label, fn);
}

/** The shim's record of the single-step calls for one key label. */
function shimCalls(label: string): string[] {
  return readFileSync(shimLog, "utf8")
    .split("\n")
    .filter((line) => line.includes(` label=${label} `));
}

const AZURE_PARAMS = "ulAESKeyBits=256 hashAlg=0x220 mgf=0x1 source=0x1 sourceLen=0 rv=0x0";

function attribute(ts: TokenSession, handle: Buffer, type: number): Buffer {
  const [result] = ts.library.C_GetAttributeValue(ts.session, handle, [{ type }]);
  if (result === undefined) throw new Error(`no attribute 0x${type.toString(16)}`);
  return result.value;
}

/** A block the token encrypts with the AES key labelled `label` (AES-ECB). */
function tokenEncrypts(ts: TokenSession, label: string, block: Buffer): Buffer {
  const [secret] = findObjects(ts, [{ type: CKA.LABEL, value: label }]);
  ts.library.C_EncryptInit(ts.session, { mechanism: CKM_AES_ECB }, secret!);
  return ts.library.C_Encrypt(ts.session, block, Buffer.alloc(16));
}

/** The token's public key object's CKA_MODULUS (RSA) or CKA_EC_POINT (EC). */
function tokenPublicValue(ts: TokenSession, label: string, type: number): Buffer {
  const [publicObject] = findObjects(ts, [
    { type: CKA.LABEL, value: label },
    { type: CKA.CLASS, value: CKO_PUBLIC_KEY },
  ]);
  return attribute(ts, publicObject!, type);
}

const CASES = [
  { spec: "rsa-3072", kty: "RSA-HSM" },
  { spec: "ec-p384", kty: "EC-HSM", crv: "P-384" },
  { spec: "oct-256", kty: "oct-HSM" },
] as const;

for (const { spec, kty, ...rest } of CASES) {
  test(`--generate ${spec} on a token offering CKM_RSA_AES_KEY_WRAP: one C_WrapKey with Azure's parameters, and the file unwraps and imports to the token's key`, async (t) => {
    const label = `single-${spec}`;
    // First for a KEK whose private key the test holds (kept extractable to wrap again), then
    // for the emulator's KEK.
    const local = join(token.dir, `${label}-local.byok`);
    const first = await runAzureByok(
      wrapArgs(localKekPem, LOCAL_KEK_KID, local, [
        "--generate",
        spec,
        "--key-label",
        label,
        "--keep-extractable",
      ]),
      { cwd: token.dir },
    );
    t.is(first.code, 0, first.stderr);
    t.regex(first.stdout, /mechanisms: CKM_RSA_AES_KEY_WRAP \(one step: the token offers it/);
    t.regex(first.stdout, /wrapped with CKM_RSA_AES_KEY_WRAP \(one step\): \d+-byte ciphertext/);
    t.regex(first.stdout, /\(CKM_RSA_AES_KEY_WRAP, one step\)/);
    t.notRegex(first.stdout, /known-answer|two steps/, "no step of the two-step path ran");
    t.deepEqual(shimCalls(label), [
      `C_WrapKey CKM_RSA_AES_KEY_WRAP label=${label} ${AZURE_PARAMS}`,
    ]);

    const expected = parseKeySpec(spec);
    const recovered = unwrapByokFile(
      parseByokFile(readFileSync(local, "utf8"), { kekModulusBytes: 384 }),
      localKekPrivate,
      { expected },
    );

    const forAzure = join(token.dir, `${label}.byok`);
    const second = await runAzureByok(
      wrapArgs(emulatorKekPem, emulatorKek.id!, forAzure, ["--key-label", label]),
      { cwd: token.dir },
    );
    t.is(second.code, 0, second.stderr);
    t.is(shimCalls(label).length, 2);
    const imported = await env.keyClient().importKey(`single-${spec}`, {
      kty,
      ...("crv" in rest ? { crv: rest.crv } : {}),
      keyOps: kty === "oct-HSM" ? ["encrypt", "decrypt"] : ["sign", "verify"],
      t: readFileSync(forAzure),
    });
    t.is(imported.keyType, kty);

    const block = Buffer.from("single-step wrap");
    inToken((ts) => {
      if ("octKey" in recovered) {
        const cipher = createCipheriv("aes-256-ecb", recovered.octKey, null).setAutoPadding(false);
        t.deepEqual(
          Buffer.concat([cipher.update(block), cipher.final()]),
          tokenEncrypts(ts, label, block),
        );
        return;
      }
      const jwk = recovered.publicKey.export({ format: "jwk" });
      if (kty === "RSA-HSM") {
        const modulus = tokenPublicValue(ts, label, CKA.MODULUS);
        t.is(modulus.toString("base64url"), jwk.n!);
        t.deepEqual(Buffer.from(imported.key!.n!), modulus);
      } else {
        // CKA_EC_POINT: a DER OCTET STRING (04, length) around 04 || x || y; 97 bytes on P-384.
        const der = tokenPublicValue(ts, label, CKA.EC_POINT);
        const fromFile = Buffer.concat([
          Buffer.from([4]),
          Buffer.from(jwk.x!, "base64url"),
          Buffer.from(jwk.y!, "base64url"),
        ]);
        const fromEmulator = Buffer.concat([
          Buffer.from([4]),
          Buffer.from(imported.key!.x!),
          Buffer.from(imported.key!.y!),
        ]);
        t.deepEqual(der, Buffer.concat([Buffer.from([0x04, 97]), fromFile]));
        t.deepEqual(fromEmulator, fromFile);
      }
    });
    if (kty === "oct-HSM") {
      const { result } = await env
        .cryptographyClient(imported.id!)
        .encrypt({ algorithm: "A256CBC", plaintext: block, iv: Buffer.alloc(16) });
      t.deepEqual(
        Buffer.from(result),
        inToken((ts) => tokenEncrypts(ts, label, block)),
      );
    }
  });
}

test("without --keep-extractable the single-step wrap also locks the generated key", async (t) => {
  const label = "single-locked-ec-p256";
  const run = await runAzureByok(
    wrapArgs(localKekPem, LOCAL_KEK_KID, join(token.dir, `${label}.byok`), [
      "--generate",
      "ec-p256",
      "--key-label",
      label,
    ]),
    { cwd: token.dir },
  );
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /wrapped with CKM_RSA_AES_KEY_WRAP \(one step\)/);
  t.regex(run.stdout, /is now CKA_EXTRACTABLE false/);
  // The token's own refusal through the single step, the attribute pre-check bypassed.
  const kek = loadKekPublicKey(readFileSync(localKekPem, "utf8"));
  inToken((ts) => {
    const [privateKey] = findObjects(ts, [
      { type: CKA.LABEL, value: label },
      { type: CKA.CLASS, value: 0x3 },
    ]);
    const key = describeKey(ts, privateKey!);
    t.false(key.extractable);
    const plan = planWrap(ts.mechanisms);
    if (plan.kind !== "single-step") throw new Error("the shim offers the single step");
    const error = t.throws(() =>
      withSessionKek(ts, kek, (sessionKek) =>
        wrapSingleStep(ts, plan, sessionKek, { ...key, spec: key.spec!, extractable: true }),
      ),
    );
    t.is((error as { code?: string }).code, "ERR_PKCS11_KEY_NOT_WRAPPABLE");
    t.regex(
      error.message,
      /^the token will not wrap "single-locked-ec-p256" \(EC P-256\) under the KEK \(CKR_KEY_UNEXTRACTABLE\)/,
    );
  });
});

/** Runs with the shim in a stricter mode; serial, so no other test sees the mode. */
async function inMode<T>(mode: string, run: () => Promise<T>): Promise<T> {
  process.env[SHIM_MODE_ENV] = mode;
  try {
    return await run();
  } finally {
    delete process.env.AZURE_BYOK_SHIM_MODE;
  }
}

test.serial(
  "a token that refuses the single step for the key (CKR_MECHANISM_INVALID) gets the two steps, which it offers too",
  async (t) => {
    const label = "refused-single-rsa-2048";
    const out = join(token.dir, `${label}.byok`);
    const run = await inMode("refuse-single", () =>
      runAzureByok(
        wrapArgs(localKekPem, LOCAL_KEK_KID, out, ["--generate", "rsa-2048", "--key-label", label]),
        { cwd: token.dir },
      ),
    );
    t.is(run.code, 0, run.stderr);
    t.regex(
      run.stdout,
      /the token refused CKM_RSA_AES_KEY_WRAP for "refused-single-rsa-2048" \(RSA-2048\) \(CKR_MECHANISM_INVALID\).*; falling back to CKM_RSA_PKCS_OAEP \(SHA-1\) \+ CKM_AES_KEY_WRAP_PAD under a session AES-256 key \(two steps\)/,
    );
    t.regex(run.stdout, /passes an RFC 5649 known-answer test/);
    t.regex(run.stdout, /wrapped with CKM_RSA_PKCS_OAEP \+ CKM_AES_KEY_WRAP_PAD \(two steps\)/);
    t.regex(run.stdout, /\(CKM_RSA_PKCS_OAEP \+ AES key wrap with padding, two steps\)/);
    t.deepEqual(
      shimCalls(label).map((line) => line.replace(/.* rv=/, "rv=")),
      ["rv=0x70"],
    );
    const recovered = unwrapByokFile(parseByokFile(readFileSync(out, "utf8")), localKekPrivate, {
      expected: { kty: "RSA", size: 2048 },
    });
    inToken((ts) => {
      t.is(
        tokenPublicValue(ts, label, CKA.MODULUS).toString("base64url"),
        "publicKey" in recovered ? recovered.publicKey.export({ format: "jwk" }).n! : "",
      );
    });
  },
);

test.serial(
  "a token that forbids SHA-1 in OAEP (CKR_MECHANISM_PARAM_INVALID) fails in both paths with ERR_PKCS11_MECHANISM_MISSING naming SHA-1, and writes nothing",
  async (t) => {
    const label = "no-sha1-oct-128";
    const out = join(token.dir, `${label}.byok`);
    const run = await inMode("no-sha1", () =>
      runAzureByok(
        wrapArgs(localKekPem, LOCAL_KEK_KID, out, ["--generate", "oct-128", "--key-label", label]),
        { cwd: token.dir },
      ),
    );
    t.is(run.code, 3, run.stdout);
    t.regex(
      run.stdout,
      /the token refused CKM_RSA_AES_KEY_WRAP for "no-sha1-oct-128" \(oct-128\) \(CKR_MECHANISM_PARAM_INVALID\).*falling back/,
    );
    t.regex(
      run.stderr,
      /the token refused CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA-1 \(CKR_MECHANISM_PARAM_INVALID\), which Azure's KEK unwrap requires: allow SHA-1 for OAEP wrapping in the HSM's policy.* \[ERR_PKCS11_MECHANISM_MISSING\]$/,
    );
    t.false(existsSync(out));
    inToken((ts) => {
      const [secret] = findObjects(ts, [{ type: CKA.LABEL, value: label }]);
      t.is(attribute(ts, secret!, CKA.EXTRACTABLE)[0], 1, "no file, so the key is not locked");
    });
  },
);

test("pkcs11 list says the token can wrap in one step, with the two steps as the fallback", async (t) => {
  const run = await runAzureByok(["pkcs11", "list", "--module", shim], { cwd: token.dir });
  t.is(run.code, 0, run.stderr);
  t.regex(
    run.stdout,
    /token "single-step".*\n.*\n {2}can wrap: CKM_RSA_AES_KEY_WRAP \(one step\), or CKM_RSA_PKCS_OAEP \+ CKM_AES_KEY_WRAP_PAD \(two steps\) if the token refuses it/,
  );
});
