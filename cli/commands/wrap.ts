/**
 * `azure-byok wrap`: wraps a target key for a KEK into a `.byok` file, in software. Argument
 * parsing, file handling and output only; the format and mechanism are in `byok/`.
 *
 * @module
 */
import { createPublicKey } from "node:crypto";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  buildByokFile,
  byokSha256,
  describeKeySpec,
  generateTargetKey,
  KEY_SPEC_NAMES,
  parseKeySpec,
  parseVersionedKeyId,
} from "../../byok/index.js";
import type { TargetKey } from "../../byok/index.js";
import { BadInputError, EXIT_OK, UsageError } from "../command.js";
import type { Command, CommandIo } from "../command.js";
import { loadKekFile, loadTargetKeyFile, readInputFile } from "../keyFiles.js";

const HELP = `Usage:
  azure-byok wrap --kek-pem <kek.pem> --kek-kid <kid>
                  (--key <file> | --generate <type>) --out <file.byok>
                  [--write-private-key <file>] [--force]

Wraps a target key for a Key Exchange Key (KEK) into a .byok key transfer package that
'az keyvault key import --byok-file' and ByokImportedKey accept: RSA-OAEP-SHA1 of a fresh AES-256
key, then AES key wrap with padding (RFC 5649) of the target key (CKM_RSA_AES_KEY_WRAP).

  --kek-pem <file>     the KEK's public key: the SPKI PEM 'az keyvault key download' writes,
                       SPKI DER, or the JWK / key bundle 'az keyvault key show' prints
  --kek-kid <kid>      the KEK's versioned key id, https://<vault>/keys/<name>/<version>
  --key <file>         the target key: an RSA or EC private key (PKCS#8, PKCS#1 or SEC1; PEM or
                       DER), or an AES key as a file of exactly 16, 24 or 32 raw bytes
  --generate <type>    generate the target key instead: ${KEY_SPEC_NAMES.join(", ")}.
                       For RSA and EC the public key is written to <out>.pub.pem, so the import
                       can be verified later (expectedPublicKeyPem). The private key is not
                       written anywhere unless --write-private-key asks.
  --out <file>         the .byok file to write
  --write-private-key <file>
                       with --generate: also write the generated private key in clear (PKCS#8
                       PEM, or the raw AES key bytes), mode 0600. Anyone who reads that file
                       holds the key: prefer generating inside an HSM (azure-byok pkcs11 wrap).
  --force              replace output files that exist

Wrapping in software means the target key is in this machine's memory: do it offline.

Exit codes: 0 done, 2 bad command line, 3 bad input (a key file, the KEK, the kid), 1 other failure.`;

const OPTIONS = {
  "kek-pem": { type: "string" },
  "kek-kid": { type: "string" },
  key: { type: "string" },
  generate: { type: "string" },
  out: { type: "string" },
  "write-private-key": { type: "string" },
  force: { type: "boolean" },
} as const;

/** `azure-byok wrap`. */
export const wrapCommand: Command = {
  name: "wrap",
  summary: "wrap a target key for a KEK into a .byok file (in software)",
  help: HELP,
  run: async (args, io) => {
    const request = parseWrapArgs(args, io.cwd);
    return runWrap(request, io);
  },
};

interface WrapRequest {
  readonly kekPem: string;
  readonly kekKid: string;
  readonly source: { readonly key: string } | { readonly generate: string };
  readonly out: string;
  readonly publicKeyOut?: string;
  readonly privateKeyOut?: string;
  readonly force: boolean;
}

function parseWrapArgs(args: readonly string[], cwd: string): WrapRequest {
  let values: {
    "kek-pem"?: string;
    "kek-kid"?: string;
    key?: string;
    generate?: string;
    out?: string;
    "write-private-key"?: string;
    force?: boolean;
  };
  try {
    ({ values } = parseArgs({ args: [...args], options: OPTIONS, strict: true }));
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause));
  }
  const kekPem = required(values["kek-pem"], "--kek-pem", "the KEK's public key (SPKI PEM)");
  const kekKid = required(values["kek-kid"], "--kek-kid", "the KEK's versioned key id");
  const outArg = required(values.out, "--out", "the .byok file to write");
  const { key, generate } = values;
  if ((key === undefined) === (generate === undefined)) {
    throw new UsageError(
      "give exactly one of --key <file> (a key you have) or --generate <type> (a fresh key)",
    );
  }
  const privateKeyArg = values["write-private-key"];
  if (privateKeyArg !== undefined && generate === undefined) {
    throw new UsageError(
      "--write-private-key goes with --generate: with --key you already hold the private key",
    );
  }
  if (
    generate !== undefined &&
    !(KEY_SPEC_NAMES as readonly string[]).includes(generate.toLowerCase())
  ) {
    throw new UsageError(`--generate ${generate}: use one of ${KEY_SPEC_NAMES.join(", ")}`);
  }
  const out = resolve(cwd, outArg);
  const source = key !== undefined ? { key } : { generate: generate ?? "" };
  const publicKeyOut = generate !== undefined ? `${out}.pub.pem` : undefined;
  const privateKeyOut = privateKeyArg === undefined ? undefined : resolve(cwd, privateKeyArg);
  if (privateKeyOut !== undefined && [out, publicKeyOut].includes(privateKeyOut)) {
    throw new UsageError(`--write-private-key ${privateKeyArg ?? ""} is one of the other outputs`);
  }
  return {
    kekPem,
    kekKid,
    source,
    out,
    force: values.force === true,
    ...(publicKeyOut === undefined ? {} : { publicKeyOut }),
    ...(privateKeyOut === undefined ? {} : { privateKeyOut }),
  };
}

function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required: ${what}`);
  return value;
}

async function runWrap(request: WrapRequest, io: CommandIo): Promise<number> {
  const { kekKid, out, publicKeyOut, privateKeyOut, force } = request;
  // Everything that can be refused is checked before a key is generated or read.
  parseVersionedKeyId(kekKid, "--kek-kid");
  const spec = "generate" in request.source ? parseKeySpec(request.source.generate) : undefined;
  const outputs = [out, spec?.kty === "oct" ? undefined : publicKeyOut, privateKeyOut];
  if (!force) {
    for (const file of outputs) {
      if (file !== undefined && existsSync(file)) {
        throw new BadInputError(
          `${file} exists: choose another --out, move the file away, or pass --force to replace it`,
        );
      }
    }
  }
  const kek = loadKekFile(
    readInputFile(request.kekPem, "--kek-pem", io.cwd),
    "--kek-pem",
    request.kekPem,
  );
  io.stdout(`KEK: RSA-${kek.sizeBits} public key from ${request.kekPem}, id ${kekKid}`);

  let target: TargetKey;
  if (spec !== undefined) {
    io.stdout(
      `generating the target key: ${describeKeySpec(spec)}${spec.kty === "RSA" && spec.size >= 4096 ? " (this can take several seconds)" : ""}`,
    );
    target = await generateTargetKey(spec);
  } else {
    const path = "key" in request.source ? request.source.key : "";
    const loaded = loadTargetKeyFile(readInputFile(path, "--key", io.cwd), "--key", path);
    target = loaded.target;
    io.stdout(`target key: ${describeKeySpec(target.spec)} from ${path} (${loaded.format})`);
  }

  try {
    const built = buildByokFile(target, { kekPublicKey: kek.key, kekKid });
    io.stdout(
      `wrapped with CKM_RSA_AES_KEY_WRAP (RSA-OAEP-SHA1 + AES-256 key wrap with padding): ciphertext ${built.package.ciphertext.length} bytes = ${kek.modulusBytes}-byte RSA block + ${built.package.ciphertext.length - kek.modulusBytes}-byte wrapped key`,
    );
    const flag = force ? "w" : "wx";
    writeFileSync(out, built.text, { flag, mode: 0o644 });
    io.stdout(`wrote ${out} (sha256 ${byokSha256(built.text)})`);
    if (publicKeyOut !== undefined && "privateKey" in target) {
      const pem = createPublicKey(target.privateKey).export({ type: "spki", format: "pem" });
      writeFileSync(publicKeyOut, pem, { flag, mode: 0o644 });
      io.stdout(
        `wrote ${publicKeyOut}: the target's public key (SPKI PEM), for expectedPublicKeyPem`,
      );
    } else if (publicKeyOut !== undefined) {
      io.stdout("no public key written: an AES key has none");
    }
    if (privateKeyOut !== undefined) {
      io.stderr(
        `warning: writing the generated ${describeKeySpec(target.spec)} private key IN CLEAR to ${privateKeyOut}, as --write-private-key asks. Anyone who can read it holds the key: keep it offline, and delete it once the import is verified.`,
      );
      const secret =
        "octKey" in target
          ? target.octKey
          : target.privateKey.export({ type: "pkcs8", format: "pem" });
      writeFileSync(privateKeyOut, secret, { flag, mode: 0o600 });
      // mode applies only to a new file: a replaced one (--force) keeps its old permissions.
      chmodSync(privateKeyOut, 0o600);
      io.stdout(`wrote ${privateKeyOut}: the target's private key in clear (mode 0600)`);
    }
  } finally {
    if ("octKey" in target) target.octKey.fill(0);
  }
  return EXIT_OK;
}
