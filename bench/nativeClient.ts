/**
 * A native client for timing the plugin host as the engine sees it. The engine that calls the
 * host in a real preview is Go, whose gRPC client costs a few microseconds per call; a Node
 * client (`@grpc/grpc-js`, even raw `node:http2`) adds 0.3-0.5 ms per resource, which users do
 * not pay. `nativeClient/replay.c` is a small libnghttp2 program that replays pre-encoded Check
 * and Diff requests over one HTTP/2 connection, one call at a time, and times each resource, or
 * makes a new host's first calls (Configure, Check) on a new connection and tells when each was
 * answered; this module compiles it (once per version of its source) and runs it.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../cli/driver/pluginHostClient.js";

/** One resource's requests, protobuf message bytes (no gRPC framing). */
export interface ReplayRequest {
  readonly check: Uint8Array;
  readonly diff: Uint8Array;
}

/** What a replay measured and answered. */
export interface ReplayResult {
  /** Milliseconds per resource, Check sent to Diff answered, in order. */
  readonly times: number[];
  /** Each resource's answers, protobuf message bytes. */
  readonly answers: Array<{ check: Buffer; diff: Buffer }>;
}

/** What a cold start's first calls answered, and when. */
export interface ColdResult {
  /** When Configure's and Check's answers arrived, absolute CLOCK_MONOTONIC ns. */
  readonly configuredAtNs: bigint;
  readonly answeredAtNs: bigint;
  /** The answers, protobuf message bytes. */
  readonly configureAnswer: Buffer;
  readonly checkAnswer: Buffer;
}

/** A cold-start client started and waiting for the host's port. */
export interface ColdCall {
  connect(port: number): Promise<ColdResult>;
  /** Ends the waiting client without a port (when the host never started). */
  cancel(): Promise<void>;
}

/** The compiled client, or why there is none. */
export type NativeClient =
  | {
      readonly available: true;
      readonly path: string;
      /** Replays `requests` to the host at `port`; rejects with the client's stderr when it fails. */
      replay(port: number, requests: readonly ReplayRequest[]): Promise<ReplayResult>;
      /**
       * Starts the client for a host's first calls (Configure, then Check, on a new connection)
       * before the host exists: the process's own start (a few ms of fork and exec) stays out
       * of the caller's window. `connect(port)` then sends them; the answers' times are
       * absolute CLOCK_MONOTONIC ns, comparable with process.hrtime.bigint() (libuv reads the
       * same clock on Linux).
       */
      cold(configure: Uint8Array, check: Uint8Array): Promise<ColdCall>;
    }
  | { readonly available: false; readonly reason: string };

const SOURCE = join(__dirname, "nativeClient", "replay.c");
const FIX = "install gcc and libnghttp2-dev (apt-get install gcc libnghttp2-dev)";

let built: NativeClient | undefined;

/**
 * Compiles replay.c once into `<repo>/.azure-byok/bench/replay-<hash of the source>`, reusing it
 * when present.
 */
export function nativeClient(): NativeClient {
  built ??= build();
  return built;
}

function build(): NativeClient {
  const source = readFileSync(SOURCE);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const dir = join(PACKAGE_ROOT, ".azure-byok", "bench");
  const path = join(dir, `replay-${hash}`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    // compiled beside, then renamed: a concurrent run never executes a half-written binary
    const partial = `${path}.${process.pid}.tmp`;
    const gcc = spawnSync("gcc", ["-O2", "-Wall", "-Wextra", "-o", partial, SOURCE, "-lnghttp2"], {
      encoding: "utf8",
    });
    if (gcc.error !== undefined || gcc.status !== 0) {
      rmSync(partial, { force: true });
      const why =
        gcc.error === undefined
          ? (gcc.stderr.split("\n").find((line) => line.includes("error")) ??
            `gcc exited with ${String(gcc.status ?? gcc.signal)}`)
          : (gcc.error as NodeJS.ErrnoException).code === "ENOENT"
            ? "gcc is not on PATH"
            : gcc.error.message;
      return { available: false, reason: `cannot build the native client (${why.trim()}): ${FIX}` };
    }
    renameSync(partial, path);
  }
  return {
    available: true,
    path,
    replay: (port, requests) => replay(path, port, requests),
    cold: (configure, check) => cold(path, configure, check),
  };
}

async function replay(
  binary: string,
  port: number,
  requests: readonly ReplayRequest[],
): Promise<ReplayResult> {
  const dir = await mkdtemp(join(tmpdir(), "azure-byok-replay-"));
  try {
    const requestsFile = join(dir, "requests");
    const answersFile = join(dir, "answers");
    await writeFile(
      requestsFile,
      Buffer.concat(
        requests.flatMap((r) => [lengthPrefix(r.check), r.check, lengthPrefix(r.diff), r.diff]),
      ),
    );
    const { stdout } = await run(binary, [String(port), requestsFile, answersFile]);
    const times = stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => Number(line) / 1e6);
    const messages = splitMessages(await readFile(answersFile));
    if (times.length !== requests.length || messages.length !== 2 * requests.length) {
      throw new Error(
        `the native client answered ${times.length} time(s) and ${messages.length} message(s) for ${requests.length} resource(s)`,
      );
    }
    const answers = times.map((_, i) => ({ check: messages[2 * i]!, diff: messages[2 * i + 1]! }));
    return { times, answers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function cold(binary: string, configure: Uint8Array, check: Uint8Array): Promise<ColdCall> {
  const dir = await mkdtemp(join(tmpdir(), "azure-byok-cold-"));
  const requestsFile = join(dir, "requests");
  const answersFile = join(dir, "answers");
  await writeFile(
    requestsFile,
    Buffer.concat([lengthPrefix(configure), configure, lengthPrefix(check), check]),
  );
  const child = spawn(binary, ["--cold", "-", requestsFile, answersFile], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = outcome(child);
  return {
    async cancel(): Promise<void> {
      child.stdin.end();
      await exited.catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    async connect(port: number): Promise<ColdResult> {
      try {
        child.stdin.end(`${port}\n`);
        const { stdout } = await exited;
        const times = /^(\d+) (\d+)\n$/.exec(stdout);
        const messages = splitMessages(await readFile(answersFile));
        if (times === null || messages.length !== 2) {
          throw new Error(
            `the native client answered ${JSON.stringify(stdout)} and ${messages.length} message(s) for a cold start`,
          );
        }
        return {
          configuredAtNs: BigInt(times[1]!),
          answeredAtNs: BigInt(times[2]!),
          configureAnswer: messages[0]!,
          checkAnswer: messages[1]!,
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function lengthPrefix(bytes: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.length);
  return prefix;
}

function splitMessages(file: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let at = 0; at < file.length;) {
    const length = file.readUInt32BE(at);
    messages.push(file.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return messages;
}

/** Runs `binary` without blocking the event loop; rejects with its stderr when it fails. */
function run(binary: string, args: string[]): Promise<{ stdout: string }> {
  return outcome(spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] }));
}

/** A started client's stdout once it exits 0; else its stderr as the error. */
function outcome(child: ChildProcess): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ stdout });
      else {
        reject(
          new Error(
            `the native client failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim() || "no message"}`,
          ),
        );
      }
    });
  });
}
