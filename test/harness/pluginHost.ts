/**
 * Runs dynamic providers exactly as the Pulumi engine does, without the engine: spawns the real
 * plugin host (`@pulumi/pulumi/cmd/dynamic-provider`), reads its port from the first stdout line,
 * and calls Configure, Check, Diff, Create, Read, Update and Delete over gRPC with the generated
 * protos (reference §2). Property bags cross the wire as `google.protobuf.Struct`, so the
 * plain-JSON limits of §1.5 apply here as they do under the engine.
 *
 * The host runs in a throwaway "program directory" whose `node_modules/pulumi-azure-byok` links
 * to this checkout, as a Pulumi program's would: the serialized provider resolves its
 * implementation by package name from there (`require-from-string` resolves from the host's cwd).
 * With `source: true` (the default in tests) the host runs with tsx and the `azure-byok-source`
 * condition, so it loads the TypeScript sources.
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
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

/** The package root of this checkout. */
export const PACKAGE_ROOT = resolve(__dirname, "..", "..");

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
  /** Load the TypeScript sources through tsx (default true). False runs the built `dist/`. */
  readonly source?: boolean;
}

function struct(value: PropertyMap): unknown {
  return structPb.Struct.fromJavaScript(value);
}

function message(name: string, fields: Record<string, unknown>): GrpcMessage {
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

/** Spawns the plugin host and connects to it. */
export async function startPluginHost(options: StartPluginHostOptions = {}): Promise<PluginHost> {
  const { env = {}, source = true } = options;
  const programDir = await mkdtemp(join(tmpdir(), "azure-byok-program-"));
  await mkdir(join(programDir, "node_modules"));
  await symlink(PACKAGE_ROOT, join(programDir, "node_modules", "pulumi-azure-byok"), "dir");
  const hostPath = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const nodeArgs = source
    ? [`--import=${pathToFileURL(require.resolve("tsx")).href}`, "--conditions=azure-byok-source"]
    : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, hostPath, "127.0.0.1:1"], {
    cwd: programDir,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: "azure-byok-test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const port = await new Promise<number>((resolvePort, reject) => {
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
  child.stdout?.resume();
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
  const type = (urn: string): string => urn.split("::")[2] ?? "";
  const name = (urn: string): string => urn.split("::")[3] ?? "";
  return {
    port,
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
    async close() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(programDir, { recursive: true, force: true });
    },
  };
}

/** The `__provider` strings of both resources, produced by Pulumi's own serializer. */
export interface SerializedProviders {
  readonly importKek: string;
  readonly byokImportedKey: string;
}

let captured: Promise<SerializedProviders> | undefined;

/**
 * The `__provider` text of both resources exactly as a program registers it: the two resources
 * are constructed under `pulumi.runtime.setMocks` (so `dynamic.Resource` runs Pulumi's own
 * serializer, reference §3) and the mock monitor records the `__provider` input. Memoized per
 * process. It replaces any mocks set before, so do not mix it with a test's own `setMocks`.
 */
export function serializeProviders(): Promise<SerializedProviders> {
  captured ??= (async () => {
    const byType = new Map<string, string>();
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const provider: unknown = (args.inputs as Record<string, unknown>).__provider;
          const text: unknown = pulumi.runtime.isRpcSecret(provider)
            ? (pulumi.runtime.unwrapRpcSecret(provider) as unknown)
            : provider;
          if (typeof text === "string") byType.set(args.type.split(":").at(-1) ?? "", text);
          return { id: `${args.name}-id`, state: {} };
        },
        call: () => ({}),
      },
      "azure-byok-harness",
      "harness",
    );
    const { ImportKek, ByokImportedKey } = await import("pulumi-azure-byok");
    const vaultUrl = "https://harness.managedhsm.azure.net";
    const kek = new ImportKek("harness-kek", { vaultUrl, name: "harness-kek" });
    const key = new ByokImportedKey("harness-key", {
      vaultUrl,
      name: "harness-key",
      byok: "{}",
      keyType: "RSA",
    });
    await new Promise((resolveIds) => pulumi.all([kek.id, key.id]).apply(resolveIds));
    const importKek = byType.get("ImportKek");
    const byokImportedKey = byType.get("ByokImportedKey");
    if (importKek === undefined || byokImportedKey === undefined) {
      throw new Error("the mocks saw no __provider for ImportKek or ByokImportedKey");
    }
    return { importKek, byokImportedKey };
  })();
  return captured;
}

/** URNs the way the engine builds them for our two types. */
export function urnOf(type: "ImportKek" | "ByokImportedKey", name: string): string {
  return `urn:pulumi:test::azure-byok-test::pulumi-nodejs:dynamic/azure-byok:${type}::${name}`;
}
