/**
 * Every way `azure-byok pkcs11` refuses, on a real SoftHSM2 token: the exit code, the stable code
 * in brackets, a message naming the option and the fix, and never the PIN.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { CKA, wrapInToken } from "../../../cli/pkcs11/index.js";
import type { TokenSession } from "../../../cli/pkcs11/index.js";
import {
  createSoftHsmToken,
  inTokenSession,
  PIN_ENV,
  runAzureByok,
  TEST_PIN,
} from "../../harness/softHsm.js";
import type { CliRun, SoftHsmToken } from "../../harness/softHsm.js";

const KEK_KID =
  "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
const WRONG_PIN = "9999-wrong";

let token: SoftHsmToken;
let kekPem: string;
let kekPemPath: string;

test.before(() => {
  token = createSoftHsmToken({ label: "error-tests" });
  kekPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
  kekPemPath = join(token.dir, "kek.pem");
  writeFileSync(kekPemPath, kekPem);
  inToken((ts) => {
    const secret = (label: string, extra: { type: number; value: boolean }[]) =>
      ts.library.C_GenerateKey(ts.session, { mechanism: 0x1080 }, [
        { type: CKA.CLASS, value: 0x4 },
        { type: CKA.KEY_TYPE, value: 0x1f },
        { type: CKA.VALUE_LEN, value: 32 },
        { type: CKA.TOKEN, value: true },
        { type: CKA.LABEL, value: label },
        { type: CKA.SENSITIVE, value: true },
        ...extra,
      ]);
    secret("never-leaves", [{ type: CKA.EXTRACTABLE, value: false }]);
    secret("trusted-only", [
      { type: CKA.EXTRACTABLE, value: true },
      { type: CKA.WRAP_WITH_TRUSTED, value: true },
    ]);
    secret("twice", [{ type: CKA.EXTRACTABLE, value: true }]);
    secret("twice", [{ type: CKA.EXTRACTABLE, value: true }]);
    ts.library.C_GenerateKeyPair(
      ts.session,
      { mechanism: 0x0 },
      [
        { type: CKA.TOKEN, value: true },
        { type: CKA.LABEL, value: "rsa-1024" },
        { type: CKA.MODULUS_BITS, value: 1024 },
        { type: CKA.PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      [
        { type: CKA.TOKEN, value: true },
        { type: CKA.LABEL, value: "rsa-1024" },
        { type: CKA.SENSITIVE, value: true },
        { type: CKA.EXTRACTABLE, value: true },
      ],
    );
  });
});

test.after.always(() => {
  token.remove();
});

/** Runs `fn` in a logged-in session of its own (see inTokenSession). */
function inToken<T>(fn: (ts: TokenSession) => T): T {
  return inTokenSession(token.modulePath, token.label, fn);
}

function wrapArgs(overrides: Record<string, string | undefined> = {}): string[] {
  const options: Record<string, string | undefined> = {
    "--module": token.modulePath,
    "--token-label": token.label,
    "--pin-env": PIN_ENV,
    "--kek-pem": kekPemPath,
    "--kek-kid": KEK_KID,
    "--key-label": "absent",
    "--out": join(token.dir, `out-${Math.random().toString(16).slice(2)}.byok`),
    ...overrides,
  };
  return [
    "pkcs11",
    "wrap",
    ...Object.entries(options).flatMap(([flag, value]) =>
      value === undefined ? [] : [flag, value],
    ),
  ];
}

function assertRefused(
  t: ExecutionContext,
  run: CliRun,
  exitCode: number,
  code: string,
  message: RegExp,
): void {
  t.is(run.code, exitCode, run.stdout);
  t.true(run.stderr.includes(`[${code}]`), run.stderr);
  t.regex(run.stderr, message);
  t.false(
    run.stderr.includes(TEST_PIN) || run.stdout.includes(TEST_PIN),
    "the PIN is never printed",
  );
  t.false(run.stderr.includes(WRONG_PIN), "not even a wrong one");
}

test("a --module that does not exist: ERR_PKCS11_MODULE_NOT_FOUND names the path and where SoftHSM2 lives", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--module": "/opt/nowhere/libvendor-pkcs11.so" }), {
    cwd: token.dir,
  });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_MODULE_NOT_FOUND",
    /--module \/opt\/nowhere\/libvendor-pkcs11\.so: no such file.*\/usr\/lib\/softhsm\/libsofthsm2\.so/,
  );
});

test("a --module that is not a PKCS#11 library: ERR_PKCS11_MODULE_LOAD", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--module": token.confPath }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_MODULE_LOAD",
    /does not load as a PKCS#11 library.*give the vendor's PKCS#11 library/,
  );
});

test("a wrong PIN: ERR_PKCS11_PIN_INCORRECT, with a warning not to retry blindly and without the PIN", async (t) => {
  const run = await runAzureByok(wrapArgs(), { cwd: token.dir, env: { [PIN_ENV]: WRONG_PIN } });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_PIN_INCORRECT",
    /token "error-tests" \(slot \d+\) refused the user PIN \(CKR_PIN_INCORRECT\): check the variable --pin-env names/,
  );
});

test("--pin-env naming an unset variable: ERR_PKCS11_PIN_MISSING", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--pin-env": "AZURE_BYOK_UNSET_PIN" }), {
    cwd: token.dir,
    env: {},
  });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_PIN_MISSING",
    /--pin-env: the environment variable it names is not set or is empty .*--pin-env takes the variable's name, not the PIN/,
  );
});

test("the PIN typed as the --pin-env value is not echoed: ERR_PKCS11_PIN_MISSING says what was wrong without it", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--pin-env": TEST_PIN }), {
    cwd: token.dir,
    env: {},
  });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_PIN_MISSING",
    /its name is not shown, in case a PIN was typed there/,
  );
});

for (const [where, argv] of [
  ["after the options", () => [...wrapArgs(), TEST_PIN]],
  ["between the options", () => [...wrapArgs().slice(0, 4), TEST_PIN, ...wrapArgs().slice(4)]],
  ["as the subcommand", () => ["pkcs11", TEST_PIN, ...wrapArgs().slice(2)]],
  ["as a short option", () => [...wrapArgs(), `-${TEST_PIN}`]],
  ["as the --slot value", () => [...wrapArgs({ "--token-label": undefined }), "--slot", TEST_PIN]],
  ["to list", () => ["pkcs11", "list", "--module", token.modulePath, TEST_PIN]],
] as const) {
  test(`a PIN typed as an argument (${where}) is refused without echoing it (exit 2)`, async (t) => {
    const run = await runAzureByok(argv(), { cwd: token.dir });
    t.is(run.code, 2, run.stdout);
    t.regex(run.stderr, /not shown, in case it is a PIN/);
    t.false(run.stderr.includes(TEST_PIN), run.stderr);
    t.false(run.stdout.includes(TEST_PIN), run.stdout);
  });
}

test("a PIN on the command line is refused before anything runs (exit 2)", async (t) => {
  const run = await runAzureByok([...wrapArgs(), "--pin", TEST_PIN], { cwd: token.dir });
  t.is(run.code, 2);
  t.regex(
    run.stderr,
    /--pin is not accepted: a PIN on the command line shows in ps and the shell history.*--pin-env <VAR>/,
  );
});

test("a --slot with no token: ERR_PKCS11_SLOT_NOT_FOUND lists the tokens there are", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--token-label": undefined, "--slot": "424242" }), {
    cwd: token.dir,
  });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_SLOT_NOT_FOUND",
    /--slot 424242 holds no initialized token \(tokens: slot \d+ "error-tests"\)/,
  );
});

test("a --token-label no token has: ERR_PKCS11_TOKEN_NOT_FOUND lists the labels", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--token-label": "prod-hsm" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_TOKEN_NOT_FOUND",
    /--token-label "prod-hsm" names no token \(tokens: slot \d+ "error-tests"\)/,
  );
});

test("a --key-label no key has: ERR_PKCS11_KEY_NOT_FOUND lists the labels and suggests --generate", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--key-label": "absent" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_NOT_FOUND",
    /--key-label "absent": token "error-tests" has no private or secret key with that label \(it has .*"never-leaves".*\).*--generate/,
  );
});

test("a key with CKA_EXTRACTABLE false: ERR_PKCS11_KEY_NOT_WRAPPABLE", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--key-label": "never-leaves" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_NOT_WRAPPABLE",
    /"never-leaves" \(oct-256\) has CKA_EXTRACTABLE false, so the token will not let it leave even wrapped/,
  );
});

test("a key with CKA_WRAP_WITH_TRUSTED: ERR_PKCS11_KEY_NOT_WRAPPABLE explains the trusted-key rule", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--key-label": "trusted-only" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_NOT_WRAPPABLE",
    /"trusted-only" \(oct-256\) has CKA_WRAP_WITH_TRUSTED true.*CKA_TRUSTED/,
  );
});

test("two keys with the label: ERR_PKCS11_KEY_AMBIGUOUS", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--key-label": "twice" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_AMBIGUOUS",
    /--key-label "twice": token "error-tests" has 2 private or secret keys with that label/,
  );
});

test("an RSA-1024 key: ERR_PKCS11_KEY_TYPE says what Azure imports", async (t) => {
  const run = await runAzureByok(wrapArgs({ "--key-label": "rsa-1024" }), { cwd: token.dir });
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_TYPE",
    /--key-label "rsa-1024" is RSA-1024: Azure imports RSA 2048\/3072\/4096/,
  );
});

test("--generate with a label already in use: ERR_PKCS11_KEY_EXISTS", async (t) => {
  const run = await runAzureByok(
    wrapArgs({ "--key-label": "never-leaves", "--generate": "ec-p256" }),
    { cwd: token.dir },
  );
  assertRefused(
    t,
    run,
    3,
    "ERR_PKCS11_KEY_EXISTS",
    /--key-label "never-leaves": token "error-tests" already has an object with that label/,
  );
});

test("the errors carry their code for callers of the seam too", (t) => {
  const error = t.throws(() =>
    wrapInToken({
      modulePath: token.modulePath,
      selector: { tokenLabel: token.label },
      pin: TEST_PIN,
      kekPem,
      kekKid: KEK_KID,
      keyLabel: "never-leaves",
    }),
  );
  t.is((error as { code?: string }).code, "ERR_PKCS11_KEY_NOT_WRAPPABLE");
});

test("a bad --kek-pem fails before the token is touched, with byok/'s code", async (t) => {
  const notPem = join(token.dir, "not-a-key.pem");
  writeFileSync(notPem, "hello");
  const run = await runAzureByok(
    wrapArgs({ "--kek-pem": notPem, "--module": "/opt/nowhere/lib.so" }),
    { cwd: token.dir },
  );
  t.is(run.code, 3);
  t.regex(run.stderr, /--kek-pem does not parse: give the SPKI PEM .* \[ERR_KEK_PUBLIC_KEY\]/);
});
