/**
 * A gRPC client of the real Pulumi plugin host for dynamic providers
 * (`@pulumi/pulumi/cmd/dynamic-provider`), the process the engine runs them in: it spawns the
 * host, reads its port from the first stdout line, and calls Configure, Check, Diff, Create,
 * Read, Update and Delete with the generated protos (reference §2). Property bags cross the wire
 * as `google.protobuf.Struct`, so the plain-JSON limits of §1.5 apply here as under the engine.
 *
 * The host runs in a throwaway "program directory" whose `node_modules/pulumi-azure-byok` links
 * to this package, as a Pulumi program's would: the serialized provider resolves its
 * implementation by package name from there (`require-from-string` resolves from the host's
 * cwd). In a clone (the TypeScript sources are present) the host runs with tsx and the
 * `azure-byok-source` condition, so it loads the sources.
 *
 * Used by the offline deployment driver (`deploy.ts`) and by the provider tests.
 *
 * @module
 * @internal
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, mkdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as GrpcJs from "@grpc/grpc-js";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated protos are CommonJS without an exports map */
const grpc = require("@grpc/grpc-js") as typeof GrpcJs;
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb.js") as {
  ResourceProviderClient: new (address: string, credentials: unknown) => GrpcClient;
};
const providerPb = require("@pulumi/pulumi/proto/provider_pb.js") as Record<
  string,
  new () => GrpcMessage
>;
const structPb = require("google-protobuf/google/protobuf/struct_pb.js") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A generated protobuf message: setters and getters by field name. */
type GrpcMessage = Record<string, (...args: unknown[]) => unknown>;
type GrpcClient = Record<
  string,
  (request: unknown, callback: (error: Error | null, response: GrpcMessage) => void) => void
> & { close(): void };

/** The root of this package: the nearest `package.json` above this file that names it. */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === "pulumi-azure-byok") return dir;
    }
    if (dirname(dir) === dir) return resolve(from, "..", "..");
  }
}

/** The root of this package, in a clone (`cli/driver/`) and in the built `dist/cli/driver/` alike. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** A property bag as the engine sends and stores it. */
export type PropertyMap = Record<string, unknown>;

/** One check failure as the engine receives it. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** Diff's answer: 0 unknown, 1 none, 2 some (reference §1.2). */
export type DiffChanges = "unknown" | "none" | "some";

/** A running plugin host. */
export interface PluginHost {
  readonly port: number;
  /** The host's process id (crash tests kill it mid-call; `close` still cleans up after). */
  readonly pid: number;
  /** Everything the host wrote to stderr so far (provider logs, uncaught errors). */
  stderr(): string;
  configure(config?: PropertyMap): Promise<void>;
  check(
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<{ inputs: PropertyMap; failures: CheckFailure[] }>;
  diff(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<{ changes: DiffChanges; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(urn: string, properties: PropertyMap): Promise<{ id: string; properties: PropertyMap }>;
  read(
    id: string,
    urn: string,
    properties: PropertyMap,
  ): Promise<{ id: string; properties: PropertyMap }>;
  update(id: string, urn: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap>;
  delete(id: string, urn: string, properties: PropertyMap): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startPluginHost}. */
export interface StartPluginHostOptions {
  /** Extra environment, e.g. the emulator's `IDENTITY_ENDPOINT`, `NODE_EXTRA_CA_CERTS`. */
  readonly env?: Record<string, string>;
  /**
   * Load the TypeScript sources through tsx. Default: true when they are present (a clone),
   * false in an installed package, which runs the built `dist/`.
   */
  readonly source?: boolean;
  /** The project name the host reports to providers (`PULUMI_NODEJS_PROJECT`). Default `azure-byok-test`. */
  readonly project?: string;
  /**
   * A directory that gets a copy of everything the host writes (stderr, and stdout after its port
   * line), one `plugin-host-<pid>-<ms>.log` per host, written as it arrives: `stderr()` lives only
   * in memory, and a leak scan run after the tests needs the providers' output on disk. Default:
   * `AZURE_BYOK_PLUGIN_HOST_LOG_DIR`, which `npm run test:reliability` sets; unset, nothing is
   * written.
   */
  readonly logDir?: string;
  /**
   * The package the program's `node_modules/pulumi-azure-byok` links to. Default: this package.
   * The benchmark and the install-layout test give a copy installed as npm would, with its
   * built `dist/` only (test/harness/installedPackage.ts); use `source: false` with it.
   */
  readonly packageDir?: string;
}

/** True in a clone of the repository, where the TypeScript sources sit next to this file. */
function hasSources(): boolean {
  return existsSync(join(PACKAGE_ROOT, "provider", "index.ts"));
}

/** A property bag as `google.protobuf.Struct`, as the engine sends it. */
export function struct(value: PropertyMap): unknown {
  return structPb.Struct.fromJavaScript(value);
}

/** A provider request (`CheckRequest`, …) with its fields set by name (`Urn` calls `setUrn`). */
export function message(name: string, fields: Record<string, unknown>): GrpcMessage {
  const Ctor = providerPb[name];
  if (Ctor === undefined) throw new Error(`no message ${name}`);
  const instance = new Ctor();
  for (const [field, value] of Object.entries(fields)) {
    const setter = instance[`set${field}`];
    if (setter === undefined) throw new Error(`${name} has no field ${field}`);
    setter.call(instance, value);
  }
  return instance;
}

function toJs(value: unknown): PropertyMap {
  const s = value as { toJavaScript?: () => PropertyMap } | undefined;
  return s?.toJavaScript?.() ?? {};
}

/** Appends each chunk to a new log file in `dir` (synchronously, so a killed host's last words are kept); a no-op without `dir`. */
function logFileWriter(dir: string | undefined, pid: number | undefined): (chunk: Buffer) => void {
  if (dir === undefined || dir === "") return () => undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `plugin-host-${String(pid ?? 0)}-${String(Date.now())}.log`);
  appendFileSync(file, "");
  return (chunk) => {
    appendFileSync(file, chunk);
  };
}

/** Spawns the plugin host and connects to it. */
export async function startPluginHost(options: StartPluginHostOptions = {}): Promise<PluginHost> {
  const {
    env = {},
    source = hasSources(),
    project = "azure-byok-test",
    logDir = process.env.AZURE_BYOK_PLUGIN_HOST_LOG_DIR,
    packageDir = PACKAGE_ROOT,
  } = options;
  const programDir = await mkdtemp(join(tmpdir(), "azure-byok-program-"));
  await mkdir(join(programDir, "node_modules"));
  await symlink(packageDir, join(programDir, "node_modules", "pulumi-azure-byok"), "dir");
  const hostPath = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const nodeArgs = source
    ? [`--import=${pathToFileURL(require.resolve("tsx")).href}`, "--conditions=azure-byok-source"]
    : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, hostPath, "127.0.0.1:1"], {
    cwd: programDir,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: project, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // a host must not outlive the process that started it, even when that one exits abruptly
  const killOnExit = (): void => {
    child.kill("SIGKILL");
    rmSync(programDir, { recursive: true, force: true });
  };
  process.on("exit", killOnExit);
  const keep = logFileWriter(logDir, child.pid);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    keep(chunk);
  });
  const portLine = new Promise<number>((resolvePort, reject) => {
    let stdout = "";
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString("utf8");
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        child.stdout?.off("data", onData);
        resolvePort(Number(stdout.slice(0, newline).trim()));
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      reject(new Error(`plugin host exited (${code ?? "signal"}) before its port: ${stderr}`));
    });
  });
  let port: number;
  try {
    port = await portLine;
  } catch (error) {
    process.off("exit", killOnExit);
    await rm(programDir, { recursive: true, force: true });
    throw error;
  }
  child.stdout?.on("data", keep);
  const client = new providerGrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  const rpc = (method: string, request: GrpcMessage): Promise<GrpcMessage> =>
    new Promise((resolveCall, reject) => {
      const fn = client[method];
      if (fn === undefined) throw new Error(`no rpc ${method}`);
      fn.call(client, request, (error, response) => {
        if (error) reject(error);
        else resolveCall(response);
      });
    });
  let closing: Promise<void> | undefined;
  const type = (urn: string): string => urn.split("::")[2] ?? "";
  const name = (urn: string): string => urn.split("::")[3] ?? "";
  return {
    port,
    pid: child.pid ?? 0,
    stderr: () => stderr,
    async configure(config = {}) {
      await rpc(
        "configure",
        message("ConfigureRequest", {
          Args: struct(config),
          Acceptsecrets: false,
          Acceptresources: false,
        }),
      );
    },
    async check(urn, olds, news) {
      const response = await rpc(
        "check",
        message("CheckRequest", {
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Olds: struct(olds),
          News: struct(news),
        }),
      );
      const failures = (response.getFailuresList?.() as GrpcMessage[]).map((failure) => ({
        property: failure.getProperty?.() as string,
        reason: failure.getReason?.() as string,
      }));
      return { inputs: toJs(response.getInputs?.()), failures };
    },
    async diff(id, urn, olds, news) {
      const response = await rpc(
        "diff",
        message("DiffRequest", {
          Id: id,
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Olds: struct(olds),
          News: struct(news),
        }),
      );
      const changes =
        (["unknown", "none", "some"] as const)[response.getChanges?.() as number] ?? "unknown";
      return {
        changes,
        replaces: response.getReplacesList?.() as string[],
        deleteBeforeReplace: response.getDeletebeforereplace?.() as boolean,
      };
    },
    async create(urn, properties) {
      const response = await rpc(
        "create",
        message("CreateRequest", {
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Properties: struct(properties),
        }),
      );
      return { id: response.getId?.() as string, properties: toJs(response.getProperties?.()) };
    },
    async read(id, urn, properties) {
      const response = await rpc(
        "read",
        message("ReadRequest", {
          Id: id,
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Properties: struct(properties),
        }),
      );
      return { id: response.getId?.() as string, properties: toJs(response.getProperties?.()) };
    },
    async update(id, urn, olds, news) {
      const response = await rpc(
        "update",
        message("UpdateRequest", {
          Id: id,
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Olds: struct(olds),
          News: struct(news),
        }),
      );
      return toJs(response.getProperties?.());
    },
    async delete(id, urn, properties) {
      await rpc(
        "delete",
        message("DeleteRequest", {
          Id: id,
          Urn: urn,
          Name: name(urn),
          Type: type(urn),
          Properties: struct(properties),
        }),
      );
    },
    close() {
      closing ??= (async () => {
        process.off("exit", killOnExit);
        client.close();
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        }
        await rm(programDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
