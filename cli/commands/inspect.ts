/**
 * `azure-byok inspect`: validates a `.byok` file and prints what can be known without the KEK's
 * private key: header, generator, sizes, which KEK sizes and target key types the lengths fit.
 * The parsing and the length tables are in `byok/`; this file only reports.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  byokSha256,
  describeKeySpec,
  isByokError,
  parseByokFile,
  plausibleKekSizes,
  targetSpecsForWrappedLength,
  ByokError,
} from "../../byok/index.js";
import type { ByokPackage, VaultKind } from "../../byok/index.js";
import { BadInputError, EXIT_BAD_INPUT, EXIT_OK, UsageError } from "../command.js";
import type { Command, CommandIo } from "../command.js";
import { loadKekFile, readInputFile } from "../keyFiles.js";

const HELP = `Usage: azure-byok inspect <file.byok> [--kek-pem <kek.pem>] [--json]

Validates a .byok key transfer package as Key Vault / Managed HSM import reads it (JSON shape,
schema_version 1.0 or 1.0.0, alg "dir", enc "CKM_RSA_AES_KEY_WRAP", a versioned KEK key id,
base64url or base64 ciphertext, lengths) and prints its header, generator and sizes, the KEK sizes
its length fits, and the target key types it can hold. Lengths overlap: when more than one KEK
size fits, it says the size is ambiguous rather than pick one.

  --kek-pem <file>   the KEK's public key (as for 'azure-byok wrap'): also check that the file's
                     RSA block is this KEK's size and, read as an integer, below its modulus, and
                     that the rest is a wrapped key it can hold
  --json             print one JSON object instead of lines (errors too: {"error": {code, message}})

What it cannot check: that the file was wrapped with this KEK's key pair, and that the wrapped
key is intact. Only the KEK's private key can tell, and it never leaves the HSM: the import does.

Exit codes: 0 the file is well formed (and fits the KEK), 2 bad command line, 3 a bad file, with
the reason and its code (ERR_BYOK_*).`;

const OPTIONS = {
  "kek-pem": { type: "string" },
  json: { type: "boolean" },
} as const;

/** `azure-byok inspect`. */
export const inspectCommand: Command = {
  name: "inspect",
  summary: "print and validate a .byok file's header, sizes and contents",
  help: HELP,
  run: (args, io) => Promise.resolve().then(() => runInspect(args, io)),
};

function runInspect(args: readonly string[], io: CommandIo): number {
  let parsed: { values: { "kek-pem"?: string; json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(
      positionals.length === 0
        ? "say which file: azure-byok inspect <file.byok>"
        : `one file at a time (got ${positionals.length})`,
    );
  }
  const file = positionals[0];
  if (values.json !== true) return inspectFile(file, values["kek-pem"], io).code;
  try {
    const report = inspectFile(file, values["kek-pem"], { ...io, stdout: () => undefined });
    io.stdout(JSON.stringify(report.json, null, 2));
    return report.code;
  } catch (error) {
    if (!isByokError(error) && !(error instanceof BadInputError)) throw error;
    const code = isByokError(error) ? error.code : "ERR_BAD_INPUT";
    io.stdout(JSON.stringify({ file, error: { code, message: error.message } }, null, 2));
    return EXIT_BAD_INPUT;
  }
}

/** One KEK size the ciphertext length fits, and what the wrapped part could hold. */
interface KekFit {
  readonly kekBits: number;
  readonly rsaBlockBytes: number;
  readonly wrappedKeyBytes: number;
  readonly targets: readonly string[];
}

function fitFor(kekBits: number, ciphertextBytes: number): KekFit {
  const wrappedKeyBytes = ciphertextBytes - kekBits / 8;
  return {
    kekBits,
    rsaBlockBytes: kekBits / 8,
    wrappedKeyBytes,
    targets: targetSpecsForWrappedLength(wrappedKeyBytes).map(describeKeySpec),
  };
}

function describeFit(fit: KekFit): string {
  return `RSA-${fit.kekBits} KEK: RSA block ${fit.rsaBlockBytes} bytes + wrapped key ${fit.wrappedKeyBytes} bytes, which can hold ${fit.targets.join(", ")}`;
}

const SERVICE_NAMES: Readonly<Record<VaultKind, string>> = {
  managedhsm: "Managed HSM",
  vault: "Key Vault",
  unknown: "not an Azure host: an emulator?",
};

/** How the ciphertext string is encoded: the service accepts all of these (contracts §1.6). */
function describeEncoding(ciphertext: string): string {
  const padded = /=\s*$/.test(ciphertext) ? "padded" : "unpadded";
  if (/[-_]/.test(ciphertext)) return `base64url, ${padded}`;
  if (/[+/]/.test(ciphertext)) return `standard base64, ${padded}`;
  return `base64url or base64 (no character tells them apart), ${padded}`;
}

function inspectFile(
  path: string,
  kekPemPath: string | undefined,
  io: CommandIo,
): { code: number; json: Record<string, unknown> } {
  const bytes = readInputFile(path, "the .byok file", io.cwd);
  const pkg: ByokPackage = parseByokFile(bytes, { what: path });
  const length = pkg.ciphertext.length;
  const rawCiphertext = (
    JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, "")) as {
      ciphertext: string;
    }
  ).ciphertext;
  const encoding = describeEncoding(rawCiphertext);
  const sha256 = byokSha256(bytes);
  const { kek } = pkg;

  io.stdout(`file            ${path} (${bytes.length} bytes, sha256 ${sha256})`);
  io.stdout(`schema_version  ${pkg.schemaVersion}`);
  io.stdout(`header.kid      ${pkg.header.kid}`);
  io.stdout(`  vault         ${kek.vaultUrl} (${SERVICE_NAMES[kek.vaultKind]})`);
  io.stdout(`  KEK           ${kek.name}, version ${kek.version}`);
  io.stdout(`header.alg      ${pkg.header.alg}`);
  io.stdout(`header.enc      ${pkg.header.enc}`);
  io.stdout(`generator       ${pkg.generator ?? "(none)"}`);
  io.stdout(`ciphertext      ${length} bytes (${encoding})`);

  const fits = plausibleKekSizes(length).map((bits) => fitFor(bits, length));
  if (fits.length === 0) {
    throw new ByokError(
      "ERR_BYOK_CIPHERTEXT_LENGTH",
      `${path}.ciphertext is ${length} bytes: no KEK size (RSA 2048, 3072, 4096) leaves a wrapped key of a type Azure imports; the file is truncated, damaged or holds an unsupported key`,
    );
  }
  // Lengths overlap (an oct-256 file for RSA-4096 is as long as an EC one for RSA-3072): with
  // more than one size, the length cannot say which KEK the file was wrapped for.
  const ambiguous = fits.length > 1;
  io.stdout(
    `fits KEK sizes  ${fits.map((fit) => `RSA-${fit.kekBits}`).join(", ")}` +
      (ambiguous
        ? ` (ambiguous: the length alone cannot tell which${kekPemPath === undefined ? "; --kek-pem checks a KEK" : ""})`
        : ""),
  );
  for (const fit of fits) io.stdout(`  ${describeFit(fit)}`);

  const json: Record<string, unknown> = {
    file: path,
    bytes: bytes.length,
    sha256,
    schemaVersion: pkg.schemaVersion,
    header: pkg.header,
    kek: { vaultUrl: kek.vaultUrl, vaultKind: kek.vaultKind, name: kek.name, version: kek.version },
    generator: pkg.generator ?? null,
    ciphertext: { bytes: length, encoding },
    kekFits: fits,
    kekSizeAmbiguous: ambiguous,
  };
  if (kekPemPath !== undefined) {
    const kekKey = loadKekFile(
      readInputFile(kekPemPath, "--kek-pem", io.cwd),
      "--kek-pem",
      kekPemPath,
    );
    // Refuses a length that does not fit this KEK, and an RSA block not below its modulus.
    parseByokFile(bytes, { what: path, kekPublicKey: kekKey });
    const fit = fitFor(kekKey.sizeBits, length);
    const others = fits.filter((other) => other.kekBits !== kekKey.sizeBits);
    const checked = `the RSA-${fit.kekBits} KEK (from ${kekPemPath}): RSA block ${fit.rsaBlockBytes} bytes, below its modulus, + wrapped key ${fit.wrappedKeyBytes} bytes, which can hold ${fit.targets.join(", ")}`;
    io.stdout(
      others.length === 0
        ? `KEK check       fits ${checked}`
        : `KEK check       ambiguous: consistent with ${checked}; but the length also fits an ${others.map((other) => `RSA-${other.kekBits}`).join(" or ")} KEK, so it may have been wrapped for another KEK: compare header.kid with this KEK's key id`,
    );
    json.kekCheck = {
      kekPem: kekPemPath,
      ...fit,
      rsaBlockBelowModulus: true,
      ambiguous: others.length > 0,
      alsoFitsKekBits: others.map((other) => other.kekBits),
    };
  }
  io.stdout(
    "not checked     that the KEK's key pair wrapped it and the wrapped key is intact: only the KEK's private key can tell (the import does)",
  );
  return { code: EXIT_OK, json };
}
