/**
 * Target 5: making a `.byok` file, key generation excluded.
 * - in software (`byok/` buildByokFile: RSA-OAEP-SHA1 of an ephemeral AES-256 key, RFC 5649 wrap
 *   of the PKCS#8 target, the JSON file and its re-parse), against the two raw `node:crypto`
 *   operations alone, interleaved one by one;
 * - in SoftHSM2 through `azure-byok pkcs11 wrap`'s code (open the module, log in, self-test, find
 *   the target key, wrap in the token), against the software wrap of a target of the same type.
 *
 * @module
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from "node:crypto";
import { buildByokFile, encodeTargetKey, parseKeySpec } from "../byok/index.js";
import { wrapInToken } from "../cli/pkcs11/index.js";
import { createSoftHsmToken, findSoftHsmModule, TEST_PIN } from "../test/harness/softHsm.js";
import { localKek, targetPool } from "./fixtures.js";
import type { Row } from "./report.js";
import { skippedRow } from "./report.js";
import { median, nowMs, percentile } from "./stats.js";

/** What the wrap bench needs. */
export interface WrapContext {
  readonly softwareWraps: number;
  readonly pkcs11Wraps: number;
}

const KEK_KID =
  "https://bench.managedhsm.azure.net/keys/KEKforBYOK/0123456789abcdef0123456789abcdef";
/** RFC 5649 §3: the alternative initial value A65959A6 (the cipher appends the length). */
const KWP_IV = Buffer.from("a65959a6", "hex");

/** Runs the wrap bench; returns rows 5-*. */
export async function benchWrap(ctx: WrapContext): Promise<Row[]> {
  const kek = localKek(4096);
  const targets = await targetPool("rsa-2048", 4);
  const sampleTarget = targets[0]!;
  const wrapMs: number[] = [];
  const rawMs: number[] = [];
  for (let i = 0; i < ctx.softwareWraps; i++) {
    const target = targets[i % targets.length]!;
    let start = nowMs();
    buildByokFile(target, { kekPublicKey: kek.publicKeyPem, kekKid: KEK_KID });
    wrapMs.push(nowMs() - start);
    start = nowMs();
    const plaintext = encodeTargetKey(target);
    const aes = randomBytes(32);
    publicEncrypt(
      { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      aes,
    );
    const cipher = createCipheriv("id-aes256-wrap-pad", aes, KWP_IV);
    Buffer.concat([cipher.update(plaintext), cipher.final()]);
    rawMs.push(nowMs() - start);
  }
  const software = median(wrapMs);
  const raw = median(rawMs);
  const rows: Row[] = [
    {
      id: "5-software-wrap",
      what: "software wrap of an RSA-2048 target for an RSA-4096 KEK (buildByokFile), key generation excluded, median",
      figure: software,
      baseline: raw,
      unit: "ms",
      baselineWhat:
        "the raw node:crypto operations alone (PKCS#8 encode, OAEP-SHA1, AES key wrap with padding), median",
      ratio: software / raw,
      ratioWhat: "figure / baseline",
      target: "≤ 5 ms",
      pass: software <= 5,
      note: `${ctx.softwareWraps} wraps interleaved with ${ctx.softwareWraps} raw; p90 ${percentile(wrapMs, 90).toFixed(3)} ms vs ${percentile(rawMs, 90).toFixed(3)} ms`,
    },
  ];
  try {
    findSoftHsmModule();
  } catch (error) {
    rows.push(
      skippedRow(
        "5-pkcs11-wrap",
        "PKCS#11 wrap on SoftHSM2",
        "≤ 50 ms",
        (error as Error).message,
        "ms",
      ),
    );
    return rows;
  }
  const token = createSoftHsmToken({ label: "bench" });
  try {
    const options = {
      modulePath: token.modulePath,
      selector: { tokenLabel: token.label },
      pin: TEST_PIN,
      kekPem: kek.publicKeyPem,
      kekKid: KEK_KID,
      keyLabel: "bench-target",
    };
    const generated = nowMs();
    // Kept extractable: the loop below wraps the same key again and again.
    wrapInToken({ ...options, generate: parseKeySpec("rsa-2048"), keepExtractable: true });
    const firstMs = nowMs() - generated;
    const tokenMs: number[] = [];
    const softMs: number[] = [];
    for (let i = 0; i < ctx.pkcs11Wraps; i++) {
      let start = nowMs();
      wrapInToken(options);
      tokenMs.push(nowMs() - start);
      start = nowMs();
      buildByokFile(sampleTarget, { kekPublicKey: kek.publicKeyPem, kekKid: KEK_KID });
      softMs.push(nowMs() - start);
    }
    const figure = median(tokenMs);
    const baseline = median(softMs);
    rows.push({
      id: "5-pkcs11-wrap",
      what: "PKCS#11 wrap on SoftHSM2 of an RSA-2048 token key (open, log in, KWP self-test, find, wrap), generation excluded, median",
      figure,
      baseline,
      unit: "ms",
      baselineWhat: "the software wrap of an RSA-2048 target, median",
      ratio: figure / baseline,
      ratioWhat: "figure / baseline",
      target: "≤ 50 ms",
      pass: figure <= 50,
      note: `${ctx.pkcs11Wraps} wraps interleaved; p90 ${percentile(tokenMs, 90).toFixed(2)} ms; the first (generating the key in the token) took ${firstMs.toFixed(0)} ms`,
    });
  } finally {
    token.remove();
  }
  return rows;
}
