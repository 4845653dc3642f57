/**
 * The bench's side of `emulatorProcess.ts`: starts it, asks for its request counts and
 * event-loop delay, and gives SDK clients for it (`DefaultAzureCredential` through its managed
 * identity endpoint, as the provider uses; trust through NODE_EXTRA_CA_CERTS, which `main.ts`
 * sets before this process starts).
 *
 * @module
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** A running emulator process. */
export interface BenchEmulator {
  readonly vaultUrl: string;
  /** IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE. */
  readonly env: Record<string, string>;
  /** HTTP requests seen so far by the vault listener and by the token endpoint. */
  counts(): Promise<{ vault: number; token: number }>;
  eldReset(): Promise<void>;
  /** The emulator's event-loop delay since the last reset. */
  eld(): Promise<{ p99Ms: number; maxMs: number }>;
  stop(): Promise<void>;
}

/** Starts the emulator in a child process (tsx, the package's sources). */
export async function startBenchEmulator(
  caDir: string,
  vault = "bench-hsm",
): Promise<BenchEmulator> {
  const child: ChildProcess = fork(join(__dirname, "emulatorProcess.ts"), [vault, caDir], {
    execArgv: [
      `--import=${pathToFileURL(require.resolve("tsx")).href}`,
      "--conditions=azure-byok-source",
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);
  let nextId = 1;
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  const ready = new Promise<{ vaultUrl: string; env: Record<string, string> }>(
    (resolve, reject) => {
      child.on("message", (message: Record<string, unknown>) => {
        if (message.ready === true) {
          resolve(message as unknown as { vaultUrl: string; env: Record<string, string> });
          return;
        }
        const id = message.id as number;
        pending.get(id)?.(message);
        pending.delete(id);
      });
      child.once("exit", (code) => {
        reject(new Error(`the bench emulator exited (${String(code)}) before it was ready`));
      });
    },
  );
  const ask = (cmd: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, cmd });
    });
  const { vaultUrl, env } = await ready;
  let stopping: Promise<void> | undefined;
  return {
    vaultUrl,
    env,
    async counts() {
      const reply = await ask("counts");
      return { vault: reply.vault as number, token: reply.token as number };
    },
    async eldReset() {
      await ask("eld-reset");
    },
    async eld() {
      const reply = await ask("eld");
      return { p99Ms: reply.p99Ms as number, maxMs: reply.maxMs as number };
    },
    stop() {
      stopping ??= (async () => {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        await ask("stop");
        await exited;
        process.off("exit", killOnExit);
      })();
      return stopping;
    },
  };
}
