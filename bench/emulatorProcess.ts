/**
 * The emulator in its own process, as `azure-byok emulator` runs it, so the clients under test
 * never share its event loop. It counts every HTTP request its listeners see (vault and token
 * endpoint apart) through Node's `http.server.request.start` diagnostics channel — no change to
 * the emulator — and samples its own event-loop delay.
 *
 * Started with `fork()`; answers IPC messages `{ id, cmd }` with `{ id, ... }`:
 * `counts` → `{ vault, token }`, `eld-reset`, `eld` → `{ p99Ms, maxMs }`, `stop`.
 * Its first message is `{ ready: true, vaultUrl, env }`.
 *
 * @module
 */
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startEmulator } from "../emulator/index.js";

const VAULT = process.argv[2] ?? "bench-hsm";
const CA_DIR = process.argv[3] ?? ".azure-byok/test-ca";

const byPort = new Map<number, number>();
subscribe("http.server.request.start", (message) => {
  const { request } = message as { request: IncomingMessage };
  const port = request.socket.localPort ?? 0;
  byPort.set(port, (byPort.get(port) ?? 0) + 1);
});

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();

interface Command {
  readonly id: number;
  readonly cmd: "counts" | "eld-reset" | "eld" | "stop";
}

async function main(): Promise<void> {
  const emulator = await startEmulator({
    caDir: CA_DIR,
    vaults: [{ name: VAULT, kind: "managedhsm" }],
  });
  const vaultUrl = emulator.url(VAULT);
  const vaultPort = Number(new URL(vaultUrl).port);
  const tokenPort = Number(new URL(emulator.env.IDENTITY_ENDPOINT ?? "http://x:0").port);
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on("message", (message: Command) => {
    switch (message.cmd) {
      case "counts":
        send({
          id: message.id,
          vault: byPort.get(vaultPort) ?? 0,
          token: byPort.get(tokenPort) ?? 0,
        });
        break;
      case "eld-reset":
        eld.reset();
        send({ id: message.id });
        break;
      case "eld":
        send({ id: message.id, p99Ms: eld.percentile(99) / 1e6, maxMs: eld.max / 1e6 });
        break;
      case "stop":
        eld.disable();
        void emulator.stop().then(() => {
          send({ id: message.id });
          process.disconnect();
        });
        break;
    }
  });
  process.on("disconnect", () => {
    void emulator.stop();
  });
  send({ ready: true, vaultUrl, env: emulator.env });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench emulator failed to start: ${String(error)}\n`);
  process.exitCode = 1;
});
