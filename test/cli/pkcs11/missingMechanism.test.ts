/**
 * A token without AES key wrap with padding (SoftHSM2 with a `slots.mechanisms` list that leaves it out):
 * `list` says it cannot wrap and `wrap` fails with ERR_PKCS11_MECHANISM_MISSING before it makes
 * or touches any key. Its own file: SoftHSM2 reads SOFTHSM2_CONF once per process.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { createSoftHsmToken, PIN_ENV, runAzureByok } from "../../harness/softHsm.js";
import type { SoftHsmToken } from "../../harness/softHsm.js";

let token: SoftHsmToken;

test.before(() => {
  token = createSoftHsmToken({
    label: "no-kwp",
    // Everything the wrap needs but AES key wrap (with or without padding).
    mechanisms:
      "CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS_OAEP,CKM_EC_KEY_PAIR_GEN,CKM_AES_KEY_GEN,CKM_AES_ECB",
  });
});

test.after.always(() => {
  token.remove();
});

test("wrap on a token without CKM_AES_KEY_WRAP_PAD fails with ERR_PKCS11_MECHANISM_MISSING and generates nothing", async (t) => {
  const kekPemPath = join(token.dir, "kek.pem");
  writeFileSync(
    kekPemPath,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
      type: "spki",
      format: "pem",
    }),
  );
  const out = join(token.dir, "never.byok");
  const run = await runAzureByok(
    [
      "pkcs11",
      "wrap",
      "--module",
      token.modulePath,
      "--token-label",
      "no-kwp",
      "--pin-env",
      PIN_ENV,
      "--kek-pem",
      kekPemPath,
      "--kek-kid",
      "https://contoso.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef",
      "--generate",
      "rsa-2048",
      "--key-label",
      "would-be",
      "--out",
      out,
    ],
    { cwd: token.dir },
  );
  t.is(run.code, 3, run.stdout);
  t.regex(
    run.stderr,
    /the token does not offer CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD \(RFC 5649\), which the BYOK wrap needs.* \[ERR_PKCS11_MECHANISM_MISSING\]$/,
  );
  t.false(existsSync(out));

  const listed = await runAzureByok(
    ["pkcs11", "list", "--module", token.modulePath, "--pin-env", PIN_ENV],
    { cwd: token.dir },
  );
  t.is(listed.code, 0, listed.stderr);
  t.regex(
    listed.stdout,
    /token "no-kwp".*\n.*\n {2}cannot wrap: the token does not offer CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD/,
  );
  t.notRegex(listed.stdout, /would-be/, "no key was generated");
});
