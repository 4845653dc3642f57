/**
 * `azure-byok`: the offline side of BYOK (wrap a key, wrap inside a PKCS#11 HSM, inspect a file),
 * the emulator and the demo. Argument parsing and output only; the work is in the other parts.
 *
 * @module
 */
import { isByokError } from "../byok/index.js";
import {
  BadInputError,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
} from "./command.js";
import type { Command, CommandIo } from "./command.js";

/** Subcommands load lazily so `azure-byok inspect` never loads the emulator or PKCS#11. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  wrap: {
    summary: "wrap a target key for a KEK into a .byok file (in software)",
    load: async () => (await import("./commands/wrap.js")).wrapCommand,
  },
  emulator: {
    summary: "serve an emulated Managed HSM / Key Vault Premium keys API on 127.0.0.1",
    load: async () => (await import("./commands/emulator.js")).emulatorCommand,
  },
  inspect: {
    summary: "print and validate a .byok file's header, sizes and contents",
    load: async () => (await import("./commands/inspect.js")).inspectCommand,
  },
  pkcs11: {
    summary: "make a .byok file inside a PKCS#11 HSM (wrap), or list its tokens and keys (list)",
    load: async () => (await import("./commands/pkcs11.js")).pkcs11Command,
  },
  demo: {
    summary: "run the whole BYOK flow on the embedded emulator (npm start)",
    load: async () => (await import("./commands/demo.js")).demoCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    "Usage: azure-byok <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`),
    "",
    "Run 'azure-byok <command> --help' for a command's options.",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.stderr(`azure-byok: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`azure-byok ${name}: ${error.message}\nRun 'azure-byok ${name} --help' for usage.`);
      return EXIT_USAGE;
    }
    if (error instanceof BadInputError || isByokError(error)) {
      const code = isByokError(error) ? ` [${error.code}]` : "";
      io.stderr(`azure-byok ${name}: ${error.message}${code}`);
      return EXIT_BAD_INPUT;
    }
    io.stderr(`azure-byok ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
}

/**
 * A line writer for a process stream that goes quiet once its reader has gone: with
 * `azure-byok inspect f.byok | head` the pipe closes early, and Node reports EPIPE as an 'error'
 * event that, with no listener, ends the process with a stack trace. The command still finishes
 * its work (a half-written .byok helps no one); only its remaining lines are dropped.
 */
function lineWriter(stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && !closed) throw error;
    closed = true;
  });
  return (line) => {
    if (!closed) stream.write(`${line}\n`);
  };
}

/** The binary's entry point (`cli/bin.cjs`). */
export function main(argv: readonly string[]): void {
  const io: CommandIo = {
    stdout: lineWriter(process.stdout),
    stderr: lineWriter(process.stderr),
    env: process.env,
    cwd: process.cwd(),
  };
  runCli(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      io.stderr(`azure-byok: ${String(error)}`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
