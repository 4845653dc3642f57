/**
 * An emulator in its own process, for crash tests: started with a data dir and the test CA, it
 * prints one JSON line `{ url, env }` once ready and runs until killed.
 * Usage: node --import=tsx test/harness/emulatorProcess.ts <dataDir> <vaultName>
 */
import { startEmulator } from "../../emulator/index.js";

const [dataDir, vaultName = "crash-hsm"] = process.argv.slice(2);
if (dataDir === undefined) throw new Error("usage: emulatorProcess.ts <dataDir> [vaultName]");
startEmulator({
  dataDir,
  caDir: ".azure-byok/test-ca",
  vaults: [{ name: vaultName, kind: "managedhsm" }],
}).then(
  (emulator) => {
    process.stdout.write(
      `${JSON.stringify({ url: emulator.url(vaultName), env: emulator.env })}\n`,
    );
  },
  (error: unknown) => {
    process.stderr.write(`emulator failed to start: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
