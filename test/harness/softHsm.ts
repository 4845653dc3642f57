/**
 * A throwaway SoftHSM2 token for PKCS#11 tests: a config and token directory under a temp dir,
 * pointed at through SOFTHSM2_CONF, initialized with softhsm2-util. When softhsm2 is missing the
 * tests fail with the way to install it; they never skip (CI installs it in .ci/run).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicKey } from "node:crypto";
import type { KeyVaultKey } from "@azure/keyvault-keys";
import { runCli } from "../../cli/main.js";
import {
  SOFTHSM2_MODULE_PATHS,
  listSlots,
  openModule,
  openSession,
  selectSlot,
} from "../../cli/pkcs11/index.js";
import type { TokenSession } from "../../cli/pkcs11/index.js";

/** The user PIN and SO PIN of every test token; tests pass the user PIN through `--pin-env`. */
export const TEST_PIN = "2718-user";
export const TEST_SO_PIN = "3141-so";
/** The environment variable tests name in `--pin-env`. */
export const PIN_ENV = "AZURE_BYOK_TEST_PIN";

/**
 * The SoftHSM2 library: `SOFTHSM2_MODULE` when set, else the first of the distributions' paths
 * (Debian's softhsm2 package installs /usr/lib/softhsm/libsofthsm2.so, a link into the multiarch
 * directory). Throws, naming the fix, when none exists.
 */
export function findSoftHsmModule(): string {
  const fromEnv = process.env.SOFTHSM2_MODULE;
  const candidates: readonly string[] = fromEnv === undefined ? SOFTHSM2_MODULE_PATHS : [fromEnv];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `SoftHSM2 is not installed (looked for ${candidates.join(", ")}): run 'apt-get install softhsm2' (CI does, in .ci/run), or set SOFTHSM2_MODULE to the library`,
    );
  }
  return found;
}

/** A SoftHSM2 token directory with one initialized token. */
export interface SoftHsmToken {
  readonly modulePath: string;
  /** The SOFTHSM2_CONF file; this process's environment points at it. */
  readonly confPath: string;
  readonly dir: string;
  readonly label: string;
  /** Removes the token directory. */
  remove(): void;
}

/** Options of {@link createSoftHsmToken}. */
export interface CreateSoftHsmTokenOptions {
  /** The token label; default `byok-test`. */
  readonly label?: string;
  /**
   * `slots.mechanisms` for softhsm2.conf: `ALL` (the default) or a comma list of the mechanisms to
   * keep. SoftHSM2 2.6.1 ignores `-CKM_…` exclusions, so list what stays.
   */
  readonly mechanisms?: string;
}

/**
 * Makes a token in a fresh temp dir and points this process's SOFTHSM2_CONF at it. SoftHSM2
 * reads the variable at C_Initialize, so use one such directory per test file (ava runs each
 * file in its own process).
 */
export function createSoftHsmToken(options: CreateSoftHsmTokenOptions = {}): SoftHsmToken {
  const { label = "byok-test", mechanisms = "ALL" } = options;
  const modulePath = findSoftHsmModule();
  const dir = mkdtempSync(join(tmpdir(), "azure-byok-softhsm-"));
  const tokens = join(dir, "tokens");
  mkdirSync(tokens);
  const confPath = join(dir, "softhsm2.conf");
  writeFileSync(
    confPath,
    [
      `directories.tokendir = ${tokens}`,
      "objectstore.backend = file",
      "log.level = ERROR",
      "slots.removable = false",
      `slots.mechanisms = ${mechanisms}`,
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--pin", TEST_PIN, "--so-pin", TEST_SO_PIN],
    { env, stdio: "pipe" },
  );
  process.env.SOFTHSM2_CONF = confPath;
  return {
    modulePath,
    confPath,
    dir,
    label,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `azure-byok` in-process with buffers, the PIN in {@link PIN_ENV} unless `env` overrides. */
export async function runAzureByok(
  argv: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env: options.env ?? { ...process.env, [PIN_ENV]: TEST_PIN },
    cwd: options.cwd,
  });
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

/**
 * Runs `fn` in a logged-in session of its own on the token labelled `tokenLabel`, loading
 * `modulePath` for it and unloading it after. Synchronous, so no CLI run in the same process
 * interleaves (each one initializes and finalizes the library).
 */
export function inTokenSession<T>(
  modulePath: string,
  tokenLabel: string,
  fn: (ts: TokenSession) => T,
): T {
  const module = openModule(modulePath);
  try {
    const ts = openSession(module, selectSlot(listSlots(module), { tokenLabel }), TEST_PIN);
    try {
      return fn(ts);
    } finally {
      ts.close();
    }
  } finally {
    module.close();
  }
}

/** Writes a Key Vault RSA key's public key (a KEK the emulator made) as SPKI PEM to `path`. */
export function writeKekPem(kek: KeyVaultKey, path: string): void {
  const { n, e } = kek.key ?? {};
  if (n === undefined || e === undefined) throw new Error(`${kek.name} has no RSA public key`);
  writeFileSync(
    path,
    createPublicKey({
      key: {
        kty: "RSA",
        n: Buffer.from(n).toString("base64url"),
        e: Buffer.from(e).toString("base64url"),
      },
      format: "jwk",
    }).export({ type: "spki", format: "pem" }),
  );
}
