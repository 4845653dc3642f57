/**
 * Durability (issue 3): an emulator process killed with SIGKILL in the middle of a burst of
 * concurrent BYOK imports restarts with every import it acknowledged present and usable.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import test from "ava";
import { DefaultAzureCredential } from "@azure/identity";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { buildByokFile } from "../../byok/index.js";
import { createTestKek } from "../harness/emulatorHarness.js";

/** A new object per client: the SDK writes its user-agent prefix into the options it is given. */
function clientOptions() {
  return { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } };
}

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly keys: KeyClient;
  readonly credential: DefaultAzureCredential;
}

function startChild(dataDir: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ["--import=tsx", "test/harness/emulatorProcess.ts", dataDir, "crash-hsm"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      reject(new Error(`the emulator process exited with ${String(code)} before it was ready`));
    });
    createInterface({ input: child.stdout }).once("line", (line) => {
      const { url, env } = JSON.parse(line) as { url: string; env: Record<string, string> };
      process.env.IDENTITY_ENDPOINT = env.IDENTITY_ENDPOINT;
      process.env.IDENTITY_HEADER = env.IDENTITY_HEADER;
      const credential = new DefaultAzureCredential();
      resolve({
        process: child,
        url,
        keys: new KeyClient(url, credential, clientOptions()),
        credential,
      });
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once("exit", () => {
      resolve();
    });
    child.kill("SIGKILL");
  });
}

test("every import acknowledged before a SIGKILL is there, and usable, after a restart", async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "azure-byok-crash-"));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    await Promise.all(children.map(killed));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const first = await startChild(dataDir);
  children.push(first.process);
  const { kek, publicKeyPem: kekPem } = await createTestKek(first.keys, "crash-kek");

  const BURST = 60;
  const targets = Array.from({ length: BURST }, (_, i) => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const file = buildByokFile(privateKey, {
      kekPublicKey: kekPem,
      kekKid: kek.id!,
    }).text;
    return { name: `crash-key-${i}`, privateKey, file };
  });

  const acknowledged = new Map<string, string>();
  let killAt: (() => void) | undefined;
  const enoughAcknowledged = new Promise<void>((resolve) => {
    killAt = resolve;
  });
  const burst = targets.map(async ({ name, file }) => {
    try {
      const key = await first.keys.importKey(name, {
        kty: "EC-HSM",
        crv: "P-256",
        t: Buffer.from(file),
      });
      acknowledged.set(name, key.properties.version ?? "");
      if (acknowledged.size === 15) killAt?.();
    } catch {
      // in flight when the process died: not acknowledged, so nothing is promised
    }
  });
  await Promise.race([enoughAcknowledged, Promise.all(burst)]);
  await killed(first.process);
  await Promise.all(burst);
  t.true(acknowledged.size >= 15, `acknowledged ${acknowledged.size}`);
  t.log(`${acknowledged.size} of ${BURST} imports acknowledged before SIGKILL`);

  const second = await startChild(dataDir);
  children.push(second.process);
  for (const [name, version] of acknowledged) {
    const key = await second.keys.getKey(name);
    t.is(key.properties.version, version, name);
    const target = targets.find((candidate) => candidate.name === name)!;
    const digest = createHash("sha256").update(name).digest();
    const crypto = new CryptographyClient(key.id!, second.credential, clientOptions());
    const { result } = await crypto.sign("ES256", digest);
    t.true(
      verify(
        "sha256",
        Buffer.from(name),
        { key: createPublicKey(target.privateKey), dsaEncoding: "ieee-p1363" },
        Buffer.from(result),
      ),
      name,
    );
  }
  const kekAfter = await second.keys.getKey("crash-kek");
  t.deepEqual(kekAfter.keyOperations, ["import"]);
});
