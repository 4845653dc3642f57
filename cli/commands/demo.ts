/**
 * `azure-byok demo` (`npm start`): the seed's whole BYOK flow on the embedded emulator, without an
 * Azure account or the Pulumi CLI; with `--pulumi`, the same stack through `pulumi up`.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { Command, CommandIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../command.js";

const HELP = `Usage: azure-byok demo [--pulumi] [--software] [--dir <dir>]

Runs the whole BYOK flow on the embedded emulator, showing each step: start the emulator, deploy
the example stack (examples/emulator: the KEK), write the KEK's public key, make the .byok file
offline, deploy again (the import), sign in the HSM and verify offline, deploy once more (no
changes), and print what \`pulumi up\` showed. Run it from a clone of the repository (npm ci,
then npm start): the example stack it deploys is not in the npm package.

Options:
  --pulumi      deploy with the Pulumi CLI on PATH (a local file backend in the demo directory)
                instead of the offline deployment driver
  --software    make the .byok file in software even when SoftHSM2 is installed
  --dir <dir>   the demo directory, emptied first (default .azure-byok/demo)`;

interface DemoArgs {
  pulumi: boolean;
  software: boolean;
  dir: string;
}

function parseArgs(args: readonly string[], cwd: string): DemoArgs {
  const parsed: DemoArgs = {
    pulumi: false,
    software: false,
    dir: join(cwd, ".azure-byok", "demo"),
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === "--pulumi") parsed.pulumi = true;
    else if (flag === "--software") parsed.software = true;
    else if (flag === "--dir") {
      const value = args[++i];
      if (value === undefined || value.startsWith("--"))
        throw new UsageError("--dir needs a value");
      parsed.dir = resolve(cwd, value);
    } else throw new UsageError(`unknown option "${flag ?? ""}"`);
  }
  return parsed;
}

export const demoCommand: Command = {
  name: "demo",
  summary: "run the whole BYOK flow on the embedded emulator (npm start)",
  help: HELP,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const options = parseArgs(args, io.cwd);
    const { runDemo } = await import("../demo/runDemo.js");
    const { findPulumiCli } = await import("../demo/stackRunners.js");
    let pulumiCli: string | undefined;
    if (options.pulumi) {
      pulumiCli = findPulumiCli(io.env);
      if (pulumiCli === undefined) {
        io.stderr(
          "azure-byok demo: --pulumi needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/); without --pulumi, the demo deploys the same stack through the offline deployment driver",
        );
        return EXIT_FAILURE;
      }
    }
    // Ctrl-C and SIGTERM stop what the demo started (the emulator; the plugin host dies with
    // this process) before exiting, instead of leaving listeners behind
    const stops: (() => Promise<void>)[] = [];
    const onSignal = (signal: NodeJS.Signals): void => {
      io.stderr(`azure-byok demo: ${signal}, stopping what the demo started`);
      void Promise.allSettled(stops.map((stop) => stop())).then(() => {
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      await runDemo({
        dir: options.dir,
        cwd: io.cwd,
        out: io.stdout,
        offline: options.software ? "software" : "auto",
        ...(pulumiCli === undefined ? {} : { pulumiCli }),
        onStart: (stop) => stops.push(stop),
      });
      return EXIT_OK;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
