/**
 * The shape every `azure-byok` subcommand has, and the errors that choose its exit code.
 *
 * @module
 */

/** Exit codes: distinct for usage errors and bad input, so scripts can tell them apart. */
export const EXIT_OK = 0;
/** Something failed that is neither the user's arguments nor their input files. */
export const EXIT_FAILURE = 1;
/** The command line is wrong: unknown flag, missing argument. */
export const EXIT_USAGE = 2;
/** An input file is wrong: a bad `.byok` file, a key that does not parse. */
export const EXIT_BAD_INPUT = 3;

/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** A subcommand: its name, one-line summary, full help text, and what it runs. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Runs the command; resolves to the exit code. Throw {@link UsageError} or {@link BadInputError}. */
  readonly run: (args: readonly string[], io: CommandIo) => Promise<number>;
}

/** The command line is wrong; exits with {@link EXIT_USAGE} and prints the command's help hint. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** An input is wrong; exits with {@link EXIT_BAD_INPUT}. */
export class BadInputError extends Error {
  override readonly name = "BadInputError";
}
