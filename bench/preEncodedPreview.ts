/**
 * Check + Diff through the plugin host with the client's own protobuf work taken out of the
 * timed window. The engine that calls the host in a real preview is Go, whose encoding of a
 * request costs a few microseconds; this benchmark's client is Node (`@grpc/grpc-js` with the
 * `google-protobuf` Struct codec), whose encoding and decoding cost more than the host's whole
 * answer. So each request is encoded before the clock starts, sent as bytes over the same HTTP/2
 * transport to the same host, and each answer is kept as bytes and decoded after the clock stops
 * (and checked then: no failure, no change, Check's inputs as expected). Everything the host
 * does, and the transport, stays inside the window; Diff is still sent only after Check's answer
 * arrived, one resource after another, as the engine's step generator calls them.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type * as GrpcJs from "@grpc/grpc-js";
import { message, struct } from "../cli/driver/pluginHostClient.js";
import type { NativeClient } from "./nativeClient.js";
import { nowMs } from "./stats.js";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated protos are CommonJS without an exports map */
const grpc = require("@grpc/grpc-js") as typeof GrpcJs;
const providerPb = require("@pulumi/pulumi/proto/provider_pb.js") as Record<string, PbMessageClass>;
/* eslint-enable @typescript-eslint/no-require-imports */

/** The answers' classes, decoded after the timed run. */
interface PbMessageClass {
  deserializeBinary(bytes: Uint8Array): Record<string, (...args: unknown[]) => unknown>;
}

/** One resource of the preview: what the engine sends it. */
export interface PreviewResource {
  readonly urn: string;
  readonly id: string;
  /** The stored inputs and outputs (Check's olds, Diff's olds). */
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  /** The program's new inputs (Check's news). */
  readonly news: Record<string, unknown>;
  /** What Check answers for `news`; Diff's news. */
  readonly checked: Record<string, unknown>;
}

/** One resource's requests, encoded: what the engine would send. */
export interface EncodedResource {
  readonly urn: string;
  readonly check: Buffer;
  readonly diff: Buffer;
}

function encode(name: string, fields: Record<string, unknown>): Buffer {
  return Buffer.from(message(name, fields).serializeBinary?.() as Uint8Array);
}

/** A CheckRequest, encoded, as the engine sends it for `urn`. */
export function encodeCheck(
  urn: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Buffer {
  const parts = urn.split("::");
  return encode("CheckRequest", {
    Urn: urn,
    Name: parts[3] ?? "",
    Type: parts[2] ?? "",
    Olds: struct(olds),
    News: struct(news),
  });
}

/** The ConfigureRequest the engine sends a dynamic provider's host first (no config). */
export function encodeConfigure(): Buffer {
  return encode("ConfigureRequest", {
    Args: struct({}),
    Acceptsecrets: false,
    Acceptresources: false,
  });
}

/** A CheckResponse's failures, "property: reason" each. */
export function checkFailures(answer: Uint8Array): string[] {
  const check = providerPb.CheckResponse!.deserializeBinary(answer);
  const failures =
    (check.getFailuresList?.() as Array<Record<string, () => string>> | undefined) ?? [];
  return failures.map((f) => `${f.getProperty?.() ?? ""}: ${f.getReason?.() ?? ""}`);
}

function encodeResource(r: PreviewResource, provider: string | undefined): EncodedResource {
  const parts = r.urn.split("::");
  const news = provider === undefined ? r.news : { ...r.news, __provider: provider };
  const checked = provider === undefined ? r.checked : news;
  return {
    urn: r.urn,
    check: encodeCheck(r.urn, r.inputs, news),
    diff: encode("DiffRequest", {
      Urn: r.urn,
      Name: parts[3] ?? "",
      Type: parts[2] ?? "",
      Id: r.id,
      Olds: struct(r.outputs),
      News: struct(checked),
    }),
  };
}

/** Every resource's Check and Diff request, encoded; with `provider`, that `__provider` instead. */
export function encodePreview(
  resources: readonly PreviewResource[],
  provider?: string,
): EncodedResource[] {
  return resources.map((r) => encodeResource(r, provider));
}

/**
 * The same preview through the native client (nativeClient.ts: C and libnghttp2, as light as
 * the Go engine's client), requests encoded up front; ms per resource.
 *
 * @throws as {@link previewPreEncoded} does, and when the client fails.
 */
export async function previewNative(
  client: Extract<NativeClient, { available: true }>,
  port: number,
  resources: readonly PreviewResource[],
  provider?: string,
): Promise<number[]> {
  const { times, answers } = await client.replay(port, encodePreview(resources, provider));
  answers.forEach((answer, i) => {
    verify(answer, resources[i]!, provider);
  });
  return times;
}

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * One preview over `resources` through the host at `port`, requests encoded up front; returns
 * the milliseconds per resource (Check sent → Diff answered). With `provider`, every request
 * carries that `__provider` instead (the do-nothing floor), and Check is expected to echo news.
 *
 * @throws when an answer, decoded after the run, is a failure, a change or other inputs.
 */
export async function previewPreEncoded(
  port: number,
  resources: readonly PreviewResource[],
  provider?: string,
): Promise<number[]> {
  const encoded = encodePreview(resources, provider);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (method: "Check" | "Diff", bytes: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/pulumirpc.ResourceProvider/${method}`,
        identity,
        identity,
        bytes,
        (error, answer) => {
          if (error !== null || answer === undefined) reject(error ?? new Error("no answer"));
          else resolve(answer);
        },
      );
    });
  try {
    // one untimed call opens the HTTP/2 connection, as the engine's is open before the preview
    const first = encoded[0];
    if (first !== undefined) await call("Check", first.check);
    const times: number[] = [];
    const answers: Array<{ check: Buffer; diff: Buffer }> = [];
    for (const r of encoded) {
      const start = nowMs();
      const check = await call("Check", r.check);
      const diff = await call("Diff", r.diff);
      times.push(nowMs() - start);
      answers.push({ check, diff });
    }
    answers.forEach((answer, i) => {
      verify(answer, resources[i]!, provider);
    });
    return times;
  } finally {
    client.close();
  }
}

function verify(
  answer: { check: Buffer; diff: Buffer },
  resource: PreviewResource,
  provider: string | undefined,
): void {
  const check = providerPb.CheckResponse!.deserializeBinary(answer.check);
  const failures = (check.getFailuresList?.() as unknown[] | undefined) ?? [];
  const inputs = (
    check.getInputs?.() as { toJavaScript(): Record<string, unknown> }
  ).toJavaScript();
  const expected =
    provider === undefined ? resource.checked : { ...resource.news, __provider: provider };
  const diff = providerPb.DiffResponse!.deserializeBinary(answer.diff);
  const changes = diff.getChanges?.() as number;
  if (failures.length > 0 || !isDeepStrictEqual(inputs, expected) || changes !== 1) {
    throw new Error(
      `the pre-encoded preview of ${resource.urn} did not answer as the plain one did: ${failures.length} failure(s), changes ${changes}, inputs ${isDeepStrictEqual(inputs, expected) ? "as expected" : "different"}`,
    );
  }
}
