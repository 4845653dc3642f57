/**
 * `azure-byok emulator`: serves Managed HSMs and Key Vault Premium vaults on 127.0.0.1 until
 * SIGINT or SIGTERM, and prints how to reach and trust them.
 *
 * @module
 */
import type { Command, CommandIo } from "../command.js";
import { EXIT_OK, UsageError } from "../command.js";
import type { EmulatorVaultOptions } from "../../emulator/index.js";

const HELP = `Usage: azure-byok emulator [--port 8443] [--data <dir>] [--vault <name>[:managedhsm|:vault] ...]

Serves the Key Vault / Managed HSM keys data plane over HTTPS on 127.0.0.1, one port per vault
(from --port up; the token endpoint takes the next one), until Ctrl-C.

Options:
  --port <n>     first port (default 8443; 0 = free ports)
  --data <dir>   keep keys, the CA and the token key here (default: in memory, temporary CA)
  --vault <spec> serve a vault: name, or name:managedhsm (default kind) or name:vault; repeatable
                 (default: emulator-hsm:managedhsm)

Prints one line "vault <name> <kind> <url>" per vault, then the export lines for
NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, IDENTITY_ENDPOINT and IDENTITY_HEADER.`;

interface EmulatorArgs {
  port: number;
  dataDir?: string;
  vaults: EmulatorVaultOptions[];
}

function parseArgs(args: readonly string[]): EmulatorArgs {
  const parsed: EmulatorArgs = { port: 8443, vaults: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag !== "--port" && flag !== "--data" && flag !== "--vault")
      throw new UsageError(`unknown option "${flag ?? ""}"`);
    if (value === undefined || value.startsWith("--"))
      throw new UsageError(`${flag} needs a value`);
    i++;
    if (flag === "--port") {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port ${value} is not a port: use 0 to 65535`);
      parsed.port = port;
    } else if (flag === "--data") {
      parsed.dataDir = value;
    } else {
      const [name = "", kind = "managedhsm", ...rest] = value.split(":");
      if (rest.length > 0 || (kind !== "managedhsm" && kind !== "vault") || name === "") {
        throw new UsageError(`--vault ${value}: use <name>, <name>:managedhsm or <name>:vault`);
      }
      parsed.vaults.push({ name, kind });
    }
  }
  return parsed;
}

function shellQuote(value: string): string {
  return /^[\w./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** Waits for SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export const emulatorCommand: Command = {
  name: "emulator",
  summary: "serve an emulated Managed HSM / Key Vault Premium keys API on 127.0.0.1",
  help: HELP,
  async run(args: readonly string[], io: CommandIo): Promise<number> {
    const options = parseArgs(args);
    const { startEmulator } = await import("../../emulator/index.js");
    const emulator = await startEmulator({
      port: options.port,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.vaults.length === 0 ? {} : { vaults: options.vaults }),
    });
    for (const vault of emulator.vaults)
      io.stdout(`vault ${vault.name} ${vault.kind} ${vault.url}`);
    for (const name of [
      "NODE_EXTRA_CA_CERTS",
      "REQUESTS_CA_BUNDLE",
      "IDENTITY_ENDPOINT",
      "IDENTITY_HEADER",
    ]) {
      io.stdout(`export ${name}=${shellQuote(emulator.env[name] ?? "")}`);
    }
    const signal = await untilSignal();
    io.stderr(`azure-byok emulator: ${signal}, stopping`);
    await emulator.stop();
    return EXIT_OK;
  },
};
