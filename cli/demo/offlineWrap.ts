/**
 * Demo step 4, the offline side: make the target key and its `.byok` file for the KEK. In a
 * SoftHSM2 token when SoftHSM2 is installed (a throwaway token under the demo directory, the
 * target generated inside it and leaving it only wrapped), else in software (`byok/`). Either way
 * only the `.byok` file and the target's public key come out; no private key is written.
 *
 * @module
 * @internal
 */
import { execFileSync } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildByokFile, describeKeySpec, generateTargetKey } from "../../byok/index.js";
import type { KeySpec } from "../../byok/index.js";
import { SOFTHSM2_MODULE_PATHS, wrapInToken } from "../pkcs11/index.js";

/** Options of {@link makeByokFileOffline}. */
export interface MakeByokFileOfflineOptions {
  readonly kekPublicKeyPem: string;
  readonly kekKid: string;
  readonly spec: KeySpec;
  /** The target key's label in the token, and its name in the vault. */
  readonly keyName: string;
  /** Where the throwaway SoftHSM2 token lives. */
  readonly workDir: string;
  /** `auto` (default): SoftHSM2 when installed, else software. `software`: never SoftHSM2. */
  readonly mode?: "auto" | "software";
}

/** What the offline side produced. */
export interface OfflineByokFile {
  readonly text: string;
  /** The target's public key, SPKI PEM: what `expectedPublicKeyPem` and the signature check use. */
  readonly publicKeyPem: string;
  /** Where the target key was made and wrapped, in a user's words. */
  readonly where: string;
}

function findSoftHsm(): { modulePath: string } | undefined {
  const modulePath =
    process.env.SOFTHSM2_MODULE ?? SOFTHSM2_MODULE_PATHS.find((p) => existsSync(p));
  if (modulePath === undefined || !existsSync(modulePath)) return undefined;
  try {
    execFileSync("softhsm2-util", ["--version"], { stdio: "pipe" });
  } catch {
    return undefined;
  }
  return { modulePath };
}

async function wrapInSoftHsm(
  modulePath: string,
  options: MakeByokFileOfflineOptions,
): Promise<OfflineByokFile> {
  const dir = join(options.workDir, "softhsm");
  const tokens = join(dir, "tokens");
  await mkdir(tokens, { recursive: true });
  const confPath = join(dir, "softhsm2.conf");
  await writeFile(
    confPath,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  // a throwaway token: the PIN only has to live as long as this step
  const pin = randomBytes(12).toString("hex");
  const label = "azure-byok-demo";
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", `${pin}-so`],
    { env: { ...process.env, SOFTHSM2_CONF: confPath }, stdio: "pipe" },
  );
  // SoftHSM2 reads SOFTHSM2_CONF at C_Initialize, in this process
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = confPath;
  try {
    const result = wrapInToken({
      modulePath,
      selector: { tokenLabel: label },
      pin,
      kekPem: options.kekPublicKeyPem,
      kekKid: options.kekKid,
      keyLabel: options.keyName,
      generate: options.spec,
    });
    if (result.publicKeyPem === undefined) {
      throw new Error(`the token gave no public key for ${options.keyName}`);
    }
    return {
      text: result.text,
      publicKeyPem: result.publicKeyPem,
      where: `in SoftHSM2 (token "${label}", ${modulePath}): generated in the token, left it only wrapped`,
    };
  } finally {
    if (previous === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previous;
  }
}

async function wrapInSoftware(
  options: MakeByokFileOfflineOptions,
  why: string,
): Promise<OfflineByokFile> {
  const target = await generateTargetKey(options.spec);
  if (!("privateKey" in target)) {
    throw new Error(
      `the demo imports an RSA or EC key; ${describeKeySpec(options.spec)} has no public key`,
    );
  }
  const built = buildByokFile(target, {
    kekPublicKey: options.kekPublicKeyPem,
    kekKid: options.kekKid,
  });
  return {
    text: built.text,
    publicKeyPem: createPublicKey(target.privateKey)
      .export({ type: "spki", format: "pem" })
      .toString(),
    where: `in software (${why}): generated in this process's memory, never written`,
  };
}

/**
 * Makes the target key and its `.byok` file offline.
 *
 * @throws TokenError from `cli/pkcs11` when SoftHSM2 is installed but the token fails.
 */
export async function makeByokFileOffline(
  options: MakeByokFileOfflineOptions,
): Promise<OfflineByokFile> {
  const softHsm = options.mode === "software" ? undefined : findSoftHsm();
  if (softHsm !== undefined) return wrapInSoftHsm(softHsm.modulePath, options);
  return wrapInSoftware(
    options,
    options.mode === "software" ? "asked for with --software" : "SoftHSM2 is not installed",
  );
}
