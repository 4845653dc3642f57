/**
 * `azure-byok emulator`: serves Managed HSMs and Key Vault Premium vaults on 127.0.0.1 until
 * SIGINT or SIGTERM, and prints how to reach and trust them.
 *
 * @module
 */
import type { Command, CommandIo } from "../command.js";
import { EXIT_OK, UsageError } from "../command.js";
import type {
  EmulatorIdentity,
  EmulatorVaultOptions,
  SeedRoleAssignment,
} from "../../emulator/index.js";

const HELP = `Usage: azure-byok emulator [--port 8443] [--data <dir>] [--vault <name>[:managedhsm|:vault] ...]
                          [--role <objectId|identityName>=<roleName>[@scope] ...] [--role-delay <ms>]

Serves the Key Vault / Managed HSM keys data plane over HTTPS on 127.0.0.1, one port per vault
(from --port up; the token endpoint takes the next one), until Ctrl-C.

Options:
  --port <n>     first port (default 8443; 0 = free ports)
  --data <dir>   keep keys, the CA and the token key here (default: in memory, temporary CA)
  --vault <spec> serve a vault: name, or name:managedhsm (default kind) or name:vault; repeatable
                 (default: emulator-hsm:managedhsm)
  --role <spec>  Managed HSM local RBAC to start with, on every Managed HSM: <who>=<role>[@scope],
                 who = an object id or the identity name azure-byok-emulator, role = a built-in
                 role's name or id, scope = /, /keys or /keys/<key name> (default /); repeatable.
                 The emulator's identity is always Managed HSM Administrator at /; without --role
                 it also holds Crypto Officer and Crypto User at /. With --data, the roles are
                 written on the first start only. An object id that is not the emulator's
                 identity gets tokens from the token endpoint too (AZURE_CLIENT_ID=<object id>).
  --role-delay <ms>
                 a role assignment made through the API counts only after this many
                 milliseconds (listed at once), as on the service, where new assignments take a
                 while to take effect; default 0. Try roleWaitSeconds against it.

Prints one line "vault <name> <kind> <url>" per vault, one line
"role <hsm> <object id> <role> <scope>" per role assignment, then the export lines for
NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, IDENTITY_ENDPOINT and IDENTITY_HEADER.`;

interface EmulatorArgs {
  port: number;
  dataDir?: string;
  vaults: EmulatorVaultOptions[];
  roles: SeedRoleAssignment[];
  /** --role-delay: milliseconds before a new role assignment counts. */
  roleDelayMs?: number;
  /** Object ids named by --role that are not the emulator's identity. */
  extraIdentities: EmulatorIdentity[];
}

const FLAGS = new Set(["--port", "--data", "--vault", "--role", "--role-delay"]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseRole(value: string, defaultIdentity: EmulatorIdentity): SeedRoleAssignment {
  const equals = value.indexOf("=");
  const who = value.slice(0, Math.max(equals, 0));
  const rest = value.slice(equals + 1);
  const at = rest.lastIndexOf("@");
  const roleName = at === -1 ? rest : rest.slice(0, at);
  const scope = at === -1 ? "/" : rest.slice(at + 1);
  if (equals <= 0 || roleName === "")
    throw new UsageError(`--role ${value}: use <object id or identity name>=<role name>[@scope]`);
  const objectId =
    who === defaultIdentity.name ? defaultIdentity.objectId : GUID.test(who) ? who : undefined;
  if (objectId === undefined) {
    throw new UsageError(
      `--role ${value}: "${who}" is neither an object id (a GUID) nor the identity name ${defaultIdentity.name ?? ""}`,
    );
  }
  return { objectId, roleName, scope };
}

function parseArgs(args: readonly string[], defaultIdentity: EmulatorIdentity): EmulatorArgs {
  const parsed: EmulatorArgs = { port: 8443, vaults: [], roles: [], extraIdentities: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (!FLAGS.has(flag ?? "")) throw new UsageError(`unknown option "${flag ?? ""}"`);
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
    } else if (flag === "--role-delay") {
      const delay = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(delay))
        throw new UsageError(`--role-delay ${value} is not a delay: use 0 or more milliseconds`);
      parsed.roleDelayMs = delay;
    } else if (flag === "--role") {
      const role = parseRole(value, defaultIdentity);
      parsed.roles.push(role);
      const known = [defaultIdentity, ...parsed.extraIdentities].some(
        (i) => i.objectId.toLowerCase() === role.objectId.toLowerCase(),
      );
      if (!known) parsed.extraIdentities.push({ objectId: role.objectId });
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
    const { startEmulator, DEFAULT_IDENTITY } = await import("../../emulator/index.js");
    const options = parseArgs(args, DEFAULT_IDENTITY);
    let emulator;
    try {
      emulator = await startEmulator({
        port: options.port,
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        ...(options.vaults.length === 0 ? {} : { vaults: options.vaults }),
        identities: [DEFAULT_IDENTITY, ...options.extraIdentities],
        ...(options.roles.length === 0 ? {} : { roleAssignments: options.roles }),
        ...(options.roleDelayMs === undefined
          ? {}
          : { roleAssignmentDelayMs: options.roleDelayMs }),
      });
    } catch (error) {
      // A role name or scope the emulator refuses is a usage error, named as such.
      if (error instanceof Error && /^roleAssignments\[/.test(error.message))
        throw new UsageError(`--role: ${error.message}`);
      throw error;
    }
    for (const vault of emulator.vaults)
      io.stdout(`vault ${vault.name} ${vault.kind} ${vault.url}`);
    for (const vault of emulator.vaults.filter((v) => v.kind === "managedhsm")) {
      for (const role of emulator.roleAssignments(vault.name))
        io.stdout(`role ${vault.name} ${role.principalId} "${role.roleName}" ${role.scope}`);
    }
    if (options.roleDelayMs !== undefined && options.roleDelayMs > 0) {
      io.stderr(
        `azure-byok emulator: role assignments made through the API count ${options.roleDelayMs} ms after they are made (--role-delay)`,
      );
    }
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
