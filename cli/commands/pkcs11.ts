/**
 * `azure-byok pkcs11 wrap | list`: argument parsing and output only; the work is in cli/pkcs11/.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeKeySpec, parseKeySpec } from "../../byok/index.js";
import type { KeySpec } from "../../byok/index.js";
import { BadInputError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UsageError } from "../command.js";
import type { Command, CommandIo } from "../command.js";
import { canPrompt, promptSecret } from "../promptSecret.js";
import type {
  KeySummary,
  listTokens,
  TokenError,
  TokenErrorCode,
  TokenSelector,
  wrapInToken,
  WrapInTokenResult,
} from "../pkcs11/index.js";

const HELP = `Usage:
  azure-byok pkcs11 wrap --module <lib.so> (--slot <n> | --token-label <label>) --pin-env <VAR>
                         --kek-pem <kek.pem> --kek-kid <kid>
                         (--key-label <existing> | --generate <type> --key-label <new>)
                         --out <file.byok> [--public-key-out <file.pem>] [--keep-extractable]
                         [--force]
  azure-byok pkcs11 list --module <lib.so> [--pin-env <VAR> [--slot <n> | --token-label <label>]]

wrap makes a .byok file inside a PKCS#11 token (an HSM): the KEK public key is imported as a
session object, and the token wraps the target key for it with CKM_RSA_AES_KEY_WRAP when it offers
that mechanism, else in two steps: a session AES-256 key is generated, the target key is wrapped
with AES key wrap with padding (RFC 5649) under it and the AES key with RSA-OAEP-SHA1 under the
KEK. The target key leaves the token only wrapped; the output says which mechanisms were used.

  --module <path>         the HSM vendor's PKCS#11 library (SoftHSM2 on Debian:
                          /usr/lib/softhsm/libsofthsm2.so)
  --slot <n> | --token-label <label>
                          the token ('azure-byok pkcs11 list' shows them)
  --pin-env <VAR>         the environment variable holding the user PIN; without it the PIN is
                          asked for on the terminal. The PIN is never taken on the command line.
  --kek-pem <file>        the KEK's public key (SPKI PEM, 'az keyvault key download')
  --kek-kid <kid>         the KEK's versioned key id
  --key-label <label>     the target key on the token (a private or secret key), or the label
                          of the key --generate makes
  --generate <type>       generate the target key in the token first, as a token object that is
                          sensitive and extractable only wrapped: rsa-2048, rsa-3072, rsa-4096,
                          ec-p256, ec-p256k, ec-p384, ec-p521, oct-128, oct-192, oct-256. Once
                          the file is written the key is made CKA_EXTRACTABLE false: it can never
                          leave the token again, not even wrapped
  --keep-extractable      with --generate: leave the key extractable (to wrap it again later,
                          for another KEK); anyone with the PIN can then wrap it under a key of
                          their own
  --out <file>            the .byok file to write (refuses to overwrite without --force)
  --public-key-out <file> also write the target's public key (SPKI PEM), for expectedPublicKeyPem

list shows the library, its slots and tokens (label, manufacturer, model, serial, flags) and
whether each can make a .byok file; with --pin-env, the keys of the token (label, class, type,
size or curve, and whether it can leave the token wrapped).

Exit codes: 0 done, 2 bad command line, 3 bad input or a token refusal, 1 other failure.`;

/** `azure-byok pkcs11`. */
export const pkcs11Command: Command = {
  name: "pkcs11",
  summary: "make a .byok file inside a PKCS#11 HSM (wrap), or list its tokens and keys (list)",
  help: HELP,
  run: async (args, io) => {
    const [sub, ...rest] = args;
    if (rest.some((arg) => arg === "--pin" || arg.startsWith("--pin="))) {
      throw new UsageError(
        "--pin is not accepted: a PIN on the command line shows in ps and the shell history; put it in an environment variable and pass --pin-env <VAR>, or leave --pin-env out to be asked on the terminal",
      );
    }
    const pkcs11 = await import("../pkcs11/index.js");
    try {
      switch (sub) {
        case "wrap":
          return await runWrap(rest, io, pkcs11.wrapInToken);
        case "list":
          return await runList(rest, io, pkcs11.listTokens);
        case undefined:
        default:
          // The word is not echoed: it may be a PIN typed in the wrong place.
          throw new UsageError(
            sub === undefined
              ? "say what to do: wrap or list"
              : "the first argument is not a subcommand (not shown, in case it is a PIN): use wrap or list",
          );
      }
    } catch (error) {
      if (!pkcs11.isTokenError(error)) throw error;
      io.stderr(`azure-byok pkcs11 ${sub ?? ""}: ${error.message} [${error.code}]`);
      return exitCodeOf(error);
    }
  },
};

/** A token's refusal is the operator's to fix (exit 3); a broken binding or token is not (exit 1). */
function exitCodeOf(error: TokenError): number {
  const failures: readonly TokenErrorCode[] = [
    "ERR_PKCS11_BINDING",
    "ERR_PKCS11_CALL",
    "ERR_PKCS11_WRAP_OUTPUT",
  ];
  return failures.includes(error.code) ? EXIT_FAILURE : EXIT_BAD_INPUT;
}

const SELECTOR_OPTIONS = {
  module: { type: "string" },
  slot: { type: "string" },
  "token-label": { type: "string" },
  "pin-env": { type: "string" },
} as const;

/**
 * Runs node:util parseArgs, turning its errors into usage errors that never repeat what was typed
 * unless it is a well-formed long option: a PIN typed as an argument must not reach stderr (and
 * from there CI logs).
 */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const message = cause instanceof Error ? cause.message : String(cause);
    switch (code) {
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new UsageError(
          "an argument that is not an option was given (not shown, in case it is a PIN): every value follows its --option; a PIN goes in the variable --pin-env names",
        );
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
        const option = /^Unknown option '(--[a-z][a-z-]*)'/.exec(message)?.[1];
        throw new UsageError(
          option === undefined
            ? "an unknown option was given (not shown, in case it is a PIN): see --help"
            : `unknown option ${option}: see --help`,
        );
      }
      default:
        // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: names the option only ("Option '--out <value>' argument missing").
        throw new UsageError(message);
    }
  }
}

function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required: ${what}`);
  return value;
}

function selectorOf(
  values: { slot?: string; "token-label"?: string },
  needed: boolean,
): TokenSelector | undefined {
  const { slot, "token-label": tokenLabel } = values;
  if (slot !== undefined && tokenLabel !== undefined) {
    throw new UsageError("give --slot or --token-label, not both");
  }
  if (slot !== undefined) {
    if (!/^\d+$/.test(slot))
      throw new UsageError(
        "--slot takes a slot number and the value given is not one (not shown, in case it is a PIN): 'azure-byok pkcs11 list' shows them",
      );
    return { slot: Number(slot) };
  }
  if (tokenLabel !== undefined) return { tokenLabel };
  if (needed)
    throw new UsageError("--slot or --token-label is required: which token holds the target key");
  return undefined;
}

async function pinOf(
  pinEnv: string | undefined,
  io: CommandIo,
  tokenWords: string,
): Promise<string> {
  if (pinEnv !== undefined) {
    const pin = io.env[pinEnv];
    if (pin === undefined || pin === "") {
      const { TokenError } = await import("../pkcs11/index.js");
      // The value is not echoed: a PIN typed where the variable's name belongs must not reach stderr.
      throw new TokenError(
        "ERR_PKCS11_PIN_MISSING",
        `--pin-env: the environment variable it names is not set or is empty (its name is not shown, in case a PIN was typed there): --pin-env takes the variable's name, not the PIN; export the variable with the token's user PIN (for example 'read -rs HSM_PIN && export HSM_PIN', then --pin-env HSM_PIN)`,
      );
    }
    return pin;
  }
  if (canPrompt()) return promptSecret(`User PIN for ${tokenWords}: `);
  const { TokenError } = await import("../pkcs11/index.js");
  throw new TokenError(
    "ERR_PKCS11_PIN_MISSING",
    "no PIN: pass --pin-env <VAR> naming an environment variable that holds the user PIN (there is no terminal to ask on)",
  );
}

async function runWrap(
  args: readonly string[],
  io: CommandIo,
  wrap: typeof wrapInToken,
): Promise<number> {
  const options = {
    ...SELECTOR_OPTIONS,
    "kek-pem": { type: "string" },
    "kek-kid": { type: "string" },
    "key-label": { type: "string" },
    generate: { type: "string" },
    out: { type: "string" },
    "public-key-out": { type: "string" },
    "keep-extractable": { type: "boolean" },
    force: { type: "boolean" },
  } as const;
  const { values } = asUsage(() => parseArgs({ args: [...args], options, strict: true }));
  const modulePath = required(values.module, "--module", "the HSM vendor's PKCS#11 library");
  const selector = selectorOf(values, true) as TokenSelector;
  const kekPemPath = required(values["kek-pem"], "--kek-pem", "the KEK's public key (SPKI PEM)");
  const kekKid = required(values["kek-kid"], "--kek-kid", "the KEK's versioned key id");
  const keyLabel = required(
    values["key-label"],
    "--key-label",
    "the target key's label on the token",
  );
  const out = resolve(io.cwd, required(values.out, "--out", "the .byok file to write"));
  const publicKeyOut =
    values["public-key-out"] === undefined ? undefined : resolve(io.cwd, values["public-key-out"]);
  const generate: KeySpec | undefined =
    values.generate === undefined ? undefined : parseKeySpec(values.generate);
  const keepExtractable = values["keep-extractable"] === true;
  if (keepExtractable && generate === undefined) {
    throw new UsageError(
      "--keep-extractable goes with --generate: a key found with --key-label alone is never changed",
    );
  }
  if (values.force !== true) {
    for (const file of [out, publicKeyOut]) {
      if (file !== undefined && existsSync(file)) {
        throw new BadInputError(
          `${file} exists: choose another --out/--public-key-out, or pass --force to replace it`,
        );
      }
    }
  }
  let kekPem: string;
  try {
    kekPem = readFileSync(resolve(io.cwd, kekPemPath), "utf8");
  } catch (cause) {
    throw new BadInputError(
      `--kek-pem ${kekPemPath} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  const pin = await pinOf(
    values["pin-env"],
    io,
    "slot" in selector ? `slot ${selector.slot}` : `token "${selector.tokenLabel}"`,
  );
  // The files are written inside wrap, before a generated key is made unextractable: a write
  // that fails leaves a key that can still be wrapped again.
  const save = (result: WrapInTokenResult): void => {
    writeFileSync(out, result.text, { mode: 0o644 });
    const how =
      result.plan.kind === "single-step"
        ? "CKM_RSA_AES_KEY_WRAP, one step"
        : "CKM_RSA_PKCS_OAEP + AES key wrap with padding, two steps";
    io.stdout(
      `wrote ${out}: ${describeKeySpec(result.spec)} key "${keyLabel}" wrapped for ${kekKid} (${how})`,
    );
    if (publicKeyOut === undefined) return;
    if (result.publicKeyPem === undefined) {
      io.stderr(
        `no public key written: the token shows no public key for "${keyLabel}"${result.spec.kty === "oct" ? " (an AES key has none)" : ""}`,
      );
    } else {
      writeFileSync(publicKeyOut, result.publicKeyPem);
      io.stdout(`wrote ${publicKeyOut}: the target's public key`);
    }
  };
  wrap({
    modulePath,
    selector,
    pin,
    kekPem,
    kekKid,
    keyLabel,
    keepExtractable,
    save,
    cwd: io.cwd,
    onStep: io.stdout,
    onWarning: io.stderr,
    ...(generate === undefined ? {} : { generate }),
  });
  return EXIT_OK;
}

async function runList(
  args: readonly string[],
  io: CommandIo,
  list: typeof listTokens,
): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({ args: [...args], options: SELECTOR_OPTIONS, strict: true }),
  );
  const modulePath = required(values.module, "--module", "the HSM vendor's PKCS#11 library");
  const selector = selectorOf(values, false);
  const pin =
    values["pin-env"] === undefined ? undefined : await pinOf(values["pin-env"], io, "the token");
  const listing = list({
    modulePath,
    cwd: io.cwd,
    ...(pin === undefined ? {} : { pin }),
    ...(selector === undefined ? {} : { selector }),
  });
  const { library } = listing;
  io.stdout(
    `library ${library.path}: ${library.manufacturer}, ${library.description} ${library.version}`,
  );
  for (const slot of listing.slots) {
    io.stdout(`slot ${slot.id}: ${slot.description}`);
    if (slot.token === undefined) {
      io.stdout("  no token");
      continue;
    }
    const { token } = slot;
    io.stdout(
      `  token "${token.label}": manufacturer "${token.manufacturer}", model "${token.model}", serial "${token.serial}", firmware ${token.firmware}`,
    );
    io.stdout(`  flags: ${token.flags.join(", ") || "none"}`);
    if (slot.byok !== undefined) io.stdout(`  ${slot.byok}`);
    if (slot.keys !== undefined) {
      io.stdout(slot.keys.length === 0 ? "  no keys" : `  keys (${slot.keys.length}):`);
      for (const key of slot.keys) io.stdout(`    ${describeListedKey(key)}`);
    }
  }
  return EXIT_OK;
}

function describeListedKey(key: KeySummary): string {
  const shape =
    key.curve !== undefined
      ? `${key.keyType} ${key.curve}`
      : key.sizeBits !== undefined
        ? `${key.keyType}-${key.sizeBits}`
        : key.keyType;
  const notes = [
    key.onToken === false ? "session object" : undefined,
    key.keyClass === "public"
      ? undefined
      : key.extractable === true && key.wrapWithTrusted !== true
        ? key.sensitive === true
          ? "leaves only wrapped"
          : "not sensitive: readable in clear"
        : "cannot leave the token",
    key.keyClass !== "public" && key.spec === undefined
      ? "Azure does not import this type"
      : undefined,
  ].filter((note) => note !== undefined);
  return `"${key.label}" ${key.keyClass} ${shape}${notes.length === 0 ? "" : ` (${notes.join("; ")})`}`;
}
