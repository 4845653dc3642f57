/**
 * Choosing the wrap mechanisms from a token's mechanism list (no token needed): the single step
 * when the token offers it and koffi can build its parameters, else the two steps with RFC 5649
 * under its v3.0 name first, else an error naming what is missing.
 */
import test from "ava";
import { parseKeySpec } from "../../../byok/index.js";
import { CKM, planWrap } from "../../../cli/pkcs11/index.js";
import { assertCanGenerate } from "../../../cli/pkcs11/mechanisms.js";

/** What SoftHSM2 2.6 offers of the mechanisms that matter here (see docs/pkcs11.md). */
const SOFTHSM2 = [
  CKM.RSA_PKCS_KEY_PAIR_GEN,
  CKM.RSA_PKCS_OAEP,
  CKM.EC_KEY_PAIR_GEN,
  CKM.AES_KEY_GEN,
  CKM.AES_ECB,
  CKM.AES_KEY_WRAP,
  CKM.AES_KEY_WRAP_PAD,
];

test("SoftHSM2's list gives the two steps: CKM_RSA_PKCS_OAEP and CKM_AES_KEY_WRAP_PAD under a generated AES key", (t) => {
  t.deepEqual(planWrap(SOFTHSM2), {
    kind: "two-step",
    keyGen: CKM.AES_KEY_GEN,
    kwp: CKM.AES_KEY_WRAP_PAD,
    oaep: CKM.RSA_PKCS_OAEP,
  });
});

test("PKCS#11 v3.0's CKM_AES_KEY_WRAP_KWP (RFC 5649 by definition) wins over CKM_AES_KEY_WRAP_PAD", (t) => {
  const plan = planWrap([...SOFTHSM2, CKM.AES_KEY_WRAP_KWP]);
  t.is(plan.kind === "two-step" ? plan.kwp : undefined, CKM.AES_KEY_WRAP_KWP);
});

test("CKM_RSA_AES_KEY_WRAP is used in one step when offered, with the two steps kept as the fallback", (t) => {
  t.deepEqual(planWrap([...SOFTHSM2, CKM.RSA_AES_KEY_WRAP]), {
    kind: "single-step",
    mechanism: CKM.RSA_AES_KEY_WRAP,
    fallback: {
      kind: "two-step",
      keyGen: CKM.AES_KEY_GEN,
      kwp: CKM.AES_KEY_WRAP_PAD,
      oaep: CKM.RSA_PKCS_OAEP,
    },
  });
});

test("a token with only CKM_RSA_AES_KEY_WRAP gets the single step without a fallback", (t) => {
  t.deepEqual(planWrap([CKM.RSA_AES_KEY_WRAP]), {
    kind: "single-step",
    mechanism: CKM.RSA_AES_KEY_WRAP,
  });
});

test("where koffi did not load, a token offering the single step is driven in two steps", (t) => {
  t.is(
    planWrap([...SOFTHSM2, CKM.RSA_AES_KEY_WRAP], { singleStepUnavailable: "koffi did not load" })
      .kind,
    "two-step",
  );
});

test("a token with only CKM_RSA_AES_KEY_WRAP, where koffi did not load, fails naming the missing mechanisms and why the single step is not used", (t) => {
  const error = t.throws(() =>
    planWrap([CKM.RSA_AES_KEY_WRAP, CKM.AES_KEY_GEN], {
      singleStepUnavailable: "koffi did not load: Cannot find module 'koffi'",
    }),
  );
  t.is((error as { code?: string }).code, "ERR_PKCS11_MECHANISM_MISSING");
  t.regex(
    error.message,
    /does not offer CKM_RSA_PKCS_OAEP, CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD \(RFC 5649\)/,
  );
  t.regex(
    error.message,
    /offers CKM_RSA_AES_KEY_WRAP, but this machine cannot pass its parameters \(koffi did not load: Cannot find module 'koffi'\)/,
  );
});

test("a token without RSA-OAEP fails naming CKM_RSA_PKCS_OAEP and the ways out", (t) => {
  const error = t.throws(() => planWrap(SOFTHSM2.filter((m) => m !== CKM.RSA_PKCS_OAEP)));
  t.is((error as { code?: string }).code, "ERR_PKCS11_MECHANISM_MISSING");
  t.regex(error.message, /^the token does not offer CKM_RSA_PKCS_OAEP, which the BYOK wrap needs/);
  t.regex(
    error.message,
    /enable them in the HSM's policy or use another token, or wrap in software with 'azure-byok wrap'/,
  );
  t.notRegex(error.message, /CKM_RSA_AES_KEY_WRAP, but/);
});

test("key generation needs the type's mechanism: EC without CKM_EC_KEY_PAIR_GEN fails naming it", (t) => {
  t.notThrows(() => {
    assertCanGenerate(SOFTHSM2, parseKeySpec("ec-p256"), "--generate EC P-256");
  });
  const error = t.throws(() => {
    assertCanGenerate([CKM.AES_KEY_GEN], parseKeySpec("ec-p256"), "--generate EC P-256");
  });
  t.is((error as { code?: string }).code, "ERR_PKCS11_MECHANISM_MISSING");
  t.regex(error.message, /^--generate EC P-256: the token does not offer CKM_EC_KEY_PAIR_GEN/);
});
