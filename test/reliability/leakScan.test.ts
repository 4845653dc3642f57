/**
 * The leak scanner (issue 8) finds each kind of leak it is for, naming the file, in the forms a
 * leak takes (PEM, a JWK member, base64 inside JSON, hex in a log, raw bytes at an odd offset, a
 * .byok escaped inside state), and finds nothing in a clean directory or in a real emulator data
 * dir after BYOK imports of RSA, EC and oct keys (the journal is sealed).
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { buildByokFile, generateTargetKey, parseKeySpec } from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { createTestKek, startTestEmulator } from "../harness/emulatorHarness.js";
import { findLeaks } from "../harness/resourceDriver.js";
import { loadFingerprints, scanForLeaks, writeSecretFingerprints } from "./leakScan.js";
import type { LeakScanReport } from "./leakScan.js";

function tempDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function leaksBy(report: LeakScanReport): string[] {
  return report.leaks.map((leak) => `${leak.kind} ${path.basename(leak.file)}`).sort();
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
const oct128 = randomBytes(16);
const oct256 = randomBytes(32);

function registry(dir: string): string {
  const secrets = path.join(dir, "secrets");
  writeSecretFingerprints(secrets, "rsa", rsa);
  writeSecretFingerprints(secrets, "ec", ec);
  writeSecretFingerprints(secrets, "oct-128", oct128);
  writeSecretFingerprints(secrets, "oct-256", oct256);
  return secrets;
}

test("the registry holds hashes only: no encoding of a registered key appears in it", (t) => {
  const dir = tempDir(t, "azure-byok-leak-registry-");
  const secrets = registry(dir);
  t.is(readdirSync(secrets).length, 4);
  t.is(loadFingerprints(secrets).secrets, 4);
  // the registry scanned as any other file: none of the keys is in it
  t.deepEqual(leaksBy(scanForLeaks([secrets], loadFingerprints(secrets))), []);
});

test("each kind of leak is found, in each form, naming the file", (t) => {
  const dir = tempDir(t, "azure-byok-leak-planted-");
  const index = loadFingerprints(registry(dir));
  const planted = path.join(dir, "planted");
  mkdirSync(planted);
  const pem = rsa.export({ type: "pkcs8", format: "pem" }).toString();
  const sec1 = ec.export({ type: "sec1", format: "pem" }).toString();
  // (a) PEM private keys, PKCS#8 and SEC1, one of them escaped inside JSON
  writeFileSync(path.join(planted, "notes.txt"), `see below\n${pem}`);
  writeFileSync(path.join(planted, "error.json"), JSON.stringify({ message: sec1 }));
  // (b) registered material without a PEM header: base64 body lines, a JWK d, a JWK k, hex, raw
  const body = pem.split("\n").slice(3, 9).join("\n");
  writeFileSync(path.join(planted, "pem-body.log"), `line\n${body}\n`);
  const ecBody = ec.export({ type: "pkcs8", format: "pem" }).toString().split("\n").slice(1, -2);
  writeFileSync(path.join(planted, "ec-body.json"), JSON.stringify({ lines: ecBody.join("\n") }));
  const jwk = ec.export({ format: "jwk" });
  writeFileSync(path.join(planted, "jwk-ec.json"), JSON.stringify({ kty: "EC", d: jwk.d }));
  writeFileSync(
    path.join(planted, "jwk-oct.json"),
    JSON.stringify({ kty: "oct", k: oct128.toString("base64url") }),
  );
  writeFileSync(path.join(planted, "dump.log"), `key=${oct256.toString("hex")} ok\n`);
  writeFileSync(
    path.join(planted, "raw.bin"),
    Buffer.concat([randomBytes(7), rsa.export({ type: "pkcs1", format: "der" }), randomBytes(5)]),
  );
  // (c) a .byok package escaped inside a state file, and the same in a .byok file (allowed)
  const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const byok = buildByokFile(oct256, {
    kekPublicKey: kek.publicKey.export({ type: "spki", format: "pem" }).toString(),
    kekKid: "https://contoso.managedhsm.azure.net/keys/KEK/0123456789abcdef0123456789abcdef",
  }).text;
  writeFileSync(path.join(planted, "state.json"), JSON.stringify({ inputs: { byok } }));
  writeFileSync(path.join(planted, "KeyTransferPackage-app.byok"), byok);

  const report = scanForLeaks([planted], index);
  t.deepEqual(leaksBy(report), [
    "byok-blob state.json",
    "pem-private-key error.json",
    "pem-private-key notes.txt",
    "registered-secret dump.log",
    "registered-secret ec-body.json",
    "registered-secret error.json",
    "registered-secret jwk-ec.json",
    "registered-secret jwk-oct.json",
    "registered-secret notes.txt",
    "registered-secret pem-body.log",
    "registered-secret raw.bin",
  ]);
  t.is(report.filesScanned, 10);
  const detail = report.leaks.map((leak) => leak.detail).join("\n");
  t.regex(detail, /key material of oct-128 \(token at byte \d+\)/);
  t.regex(detail, /key material of rsa \(window at byte \d+\)/);
  t.false(detail.includes(oct256.toString("hex").slice(0, 16)), "no detail quotes the key");
});

test("a clean directory (public keys, digests, random bytes, unregistered keys' hashes) has no leak", (t) => {
  const dir = tempDir(t, "azure-byok-leak-clean-");
  const index = loadFingerprints(registry(dir));
  const clean = path.join(dir, "clean");
  mkdirSync(clean);
  writeFileSync(
    path.join(clean, "KEK.pem"),
    createPublicKey(rsa).export({ type: "spki", format: "pem" }),
  );
  writeFileSync(
    path.join(clean, "ec.pub.pem"),
    createPublicKey(ec).export({ type: "spki", format: "pem" }),
  );
  writeFileSync(
    path.join(clean, "ec.jwk.json"),
    JSON.stringify(createPublicKey(ec).export({ format: "jwk" })),
  );
  writeFileSync(
    path.join(clean, "state.json"),
    JSON.stringify({ byokSha256: "ab".repeat(32), kid: "https://x/keys/k/0123" }),
  );
  writeFileSync(path.join(clean, "noise.bin"), randomBytes(100_000));
  const report = scanForLeaks([clean, path.join(dir, "absent")], index);
  t.deepEqual(report.leaks, []);
  t.is(report.filesScanned, 5);
  t.true(report.bytesScanned > 100_000);
});

test("a real emulator data dir after BYOK imports of RSA, EC and oct keys scans clean", async (t) => {
  const dir = tempDir(t, "azure-byok-leak-emulator-");
  const dataDir = path.join(dir, "data");
  const env = await startTestEmulator({
    dataDir,
    vaults: [{ name: "leak-hsm", kind: "managedhsm" }],
  });
  const keys = env.keyClient();
  const secrets = path.join(dir, "secrets");
  try {
    const { kek, publicKeyPem: kekPem } = await createTestKek(keys, "leak-kek");
    const imports: Array<[string, string, TargetKey]> = [];
    for (const spec of ["rsa-2048", "ec-p256", "ec-p384", "oct-128", "oct-256"])
      imports.push([spec, spec.split("-")[0]!, await generateTargetKey(parseKeySpec(spec))]);
    for (const [spec, kind, target] of imports) {
      writeSecretFingerprints(
        secrets,
        spec,
        "octKey" in target ? target.octKey : target.privateKey,
      );
      const t_ = Buffer.from(buildByokFile(target, { kekPublicKey: kekPem, kekKid: kek.id! }).text);
      if (kind === "rsa") await keys.importKey(`leak-${spec}`, { kty: "RSA-HSM", t: t_ });
      else if (kind === "ec")
        await keys.importKey(`leak-${spec}`, {
          kty: "EC-HSM",
          crv: spec === "ec-p256" ? "P-256" : "P-384",
          t: t_,
        });
      else await keys.importKey(`leak-${spec}`, { kty: "oct-HSM", t: t_ });
    }
  } finally {
    await env.emulator.stop();
  }
  const report = scanForLeaks([dataDir], loadFingerprints(secrets));
  t.is(report.secretsKnown, 5);
  t.deepEqual(report.leaks, []);
  t.true(readdirSync(dataDir).includes("keys.journal"));
  t.true(report.bytesScanned > 5_000, `${report.bytesScanned} bytes`);
  // the emulator's own CA and token-signing keys are PEM private keys by design: allowed, listed
  // (its CA is the test CA, outside the data dir)
  t.deepEqual(
    report.allowed.map((file) => path.basename(file)),
    ["token-signing-key.pem"],
  );
});

test("findLeaks (one snapshot, given secrets) finds a key by its private parts in any form, not by a PKCS#8 prefix, and a .byok file by its ciphertext, not its JSON framing", (t) => {
  const der = (key: KeyObject): Buffer => key.export({ type: "pkcs8", format: "der" });
  const secret = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const jwk = secret.export({ format: "jwk" });
  const ecJwk = ec.export({ format: "jwk" });
  const secrets = { rsa: der(secret), ec: ec.export({ type: "pkcs8", format: "der" }), oct256 };
  t.deepEqual(findLeaks(JSON.stringify({ der: der(other).toString("base64") }), secrets), []);
  t.deepEqual(findLeaks(JSON.stringify({ d: jwk.d }), secrets), ["rsa"]);
  t.deepEqual(findLeaks(`q=${Buffer.from(jwk.q!, "base64url").toString("hex")}`, secrets), ["rsa"]);
  t.deepEqual(findLeaks(`scalar ${Buffer.from(ecJwk.d!, "base64url").toString("hex")}`, secrets), [
    "ec",
  ]);
  t.deepEqual(findLeaks(JSON.stringify({ k: oct256.toString("base64") }), secrets), ["oct256"]);
  t.deepEqual(findLeaks(rsa.export({ type: "pkcs1", format: "pem" }).toString(), {}), [
    "a PEM private key",
  ]);

  const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const wrap = (target: Buffer): string =>
    buildByokFile(target, {
      kekPublicKey: kek.publicKey.export({ type: "spki", format: "pem" }).toString(),
      kekKid: "https://contoso.managedhsm.azure.net/keys/KEK/0123456789abcdef0123456789abcdef",
    }).text;
  const byok = wrap(oct256);
  const ciphertext = (JSON.parse(byok) as { ciphertext: string }).ciphertext;
  const state = (value: unknown): string =>
    JSON.stringify({ byokKekKid: "https://contoso.managedhsm.azure.net/keys/KEK/0123", value });
  t.deepEqual(findLeaks(state("sha256:ab"), { byok }), [], "the kid it names is no leak");
  t.deepEqual(findLeaks(state(wrap(oct128)), { byok }), [], "another .byok for the same KEK");
  t.deepEqual(findLeaks(state(ciphertext.slice(100, 140)), { byok }), ["byok"]);
  t.deepEqual(findLeaks(state(Buffer.from(ciphertext, "base64url").toString("hex")), { byok }), [
    "byok",
  ]);
});
