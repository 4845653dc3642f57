/**
 * Fuzzing the emulator over HTTPS (issue 8): requests built by fast-check from every part a
 * client controls (method, path and its names and versions, api-version, Host, Authorization
 * with good, expired, forged, alg-none and wrong-audience tokens, content type, and JSON bodies
 * of every operation with fields of the wrong type, missing, huge, bad base64, bad key_hsm, or no
 * JSON at all) never get a 5xx, never crash or hang the emulator, never make it log a bug, and
 * every rejection is a 4xx in the service's shape with a code from the emulator's error list.
 */
import { generateKeyPairSync, sign as rsaSign } from "node:crypto";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import test from "ava";
import fc from "fast-check";
import { buildByokFile } from "../../byok/index.js";
import { startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { RELIABILITY_SEED, recordReliabilityResult, sized } from "./reliabilitySettings.js";

/** Every `error.code` the emulator answers with (emulator/errors.ts). */
const SERVICE_CODES = new Set([
  "Unauthorized",
  "BadParameter",
  "NotFound",
  "VaultNotFound",
  "KeyNotFound",
  "Conflict",
  "Forbidden",
]);

let env: TestEmulator;
let hsmPort: number;
const UNTOUCHED_KEY = "untouched-by-fuzz";
const existing: Record<string, string> = {};
const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
const bugs: string[] = [];
const stderrWrite = process.stderr.write.bind(process.stderr);

test.before(async () => {
  env = await startTestEmulator({
    vaults: [
      { name: "fz-hsm", kind: "managedhsm" },
      { name: "fz-vault", kind: "vault" },
    ],
  });
  hsmPort = Number(new URL(env.emulator.url("fz-hsm")).port);
  const client = env.keyClient();
  const kek = await client.createRsaKey("fz-kek", { hsm: true, keySize: 2048, keyOps: ["import"] });
  // A key no fuzzed request can name (the fuzz may delete the others): the emulator still
  // serves it as it was when the fuzz is over.
  await client.createRsaKey(UNTOUCHED_KEY, { hsm: true, keySize: 2048, keyOps: ["import"] });
  const rsa = await client.createRsaKey("fz-rsa", { hsm: true, keySize: 2048 });
  const ec = await client.createEcKey("fz-ec", { hsm: true, curve: "P-256" });
  const oct = await client.createOctKey("fz-oct", { hsm: true, keySize: 256 });
  for (const key of [kek, rsa, ec, oct]) existing[key.name] = key.properties.version!;
  // The emulator logs a bug (a 500) on stderr: catch every such line.
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    if (/ bug: /.test(text)) bugs.push(text);
    return (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  };
});

test.after.always(async () => {
  process.stderr.write = stderrWrite;
  agent.destroy();
  await env.emulator.stop();
});

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

interface FuzzResponse {
  readonly status: number;
  readonly text: string;
}

function send(request: FuzzRequest): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: hsmPort,
        // TLS names the server, whatever Host the fuzz put in the request.
        servername: "localhost",
        method: request.method,
        path: `${request.path}${request.query}`,
        // Node's client sends a DELETE/GET/TRACE body with no length at all (unframed), which
        // the next request on the socket would inherit: frame every body so each input is one
        // request. Unframed bytes are fuzzed on their own below.
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, "content-length": String(request.body.length) },
        agent,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on("timeout", () => {
      req.destroy(new Error("the emulator did not answer within 15 s"));
    });
    req.on("error", reject);
    req.end(request.body);
  });
}

// ---- the parts of a request ----

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

function jwt(header: unknown, payload: unknown, signature = ""): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(payload)}.${signature}`;
}

function authorizations(): fc.Arbitrary<string | undefined> {
  const now = Math.floor(Date.now() / 1000);
  const good = env.emulator.issueToken({});
  const [h = "", p = "", s = ""] = good.split(".");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const signedByOther = `${h}.${p}.${rsaSign("sha256", Buffer.from(`${h}.${p}`), other).toString("base64url")}`;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${good}`) },
    fc.constantFrom(
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
      `bearer ${good}`,
      `Bearer ${good} extra`,
      `Bearer ${env.emulator.issueToken({ expiresInSeconds: -60 })}`,
      `Bearer ${env.emulator.issueToken({ audience: "https://vault.azure.net" })}`,
      `Bearer ${env.emulator.issueToken({ audience: "https://storage.azure.com" })}`,
      `Bearer ${jwt({ alg: "none", typ: "JWT" }, claims)}`,
      `Bearer ${jwt({ alg: "none" }, { ...claims, exp: now + 3600 }, s)}`,
      `Bearer ${jwt({ alg: "HS256" }, claims, s)}`,
      `Bearer ${h}.${jwt({}, { ...claims, oid: "someone-else" }).split(".")[1] ?? ""}.${s}`,
      `Bearer ${jwt({ alg: "RS256" }, { ...claims, iss: "https://sts.windows.net/other-tenant/" }, s)}`,
      `Bearer ${signedByOther}`,
      `Bearer ${h}.${p}`,
      `Bearer ${h}..${s}`,
      `Bearer ${"A".repeat(10_000)}`,
    ),
    fc.string({ maxLength: 200 }).map((value) => `Bearer ${value}`),
  );
}

const names = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("fz-kek", "fz-rsa", "fz-ec", "fz-oct") },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((n) => `fzn-${n}`) },
  fc.constantFrom(
    "",
    "%20",
    "a%2Fb",
    "%ZZ",
    "%",
    "%C3%BC",
    "..",
    ".",
    "x".repeat(128),
    "x".repeat(5000),
    "name_with_underscore",
    "%00",
    "-",
  ),
);

const versions = fc.oneof(
  fc.constantFrom(...Object.values({ a: "0".repeat(32), b: "", c: "%ZZ", d: "latest" })),
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

const operations = fc.constantFrom(
  "create",
  "sign",
  "verify",
  "encrypt",
  "decrypt",
  "wrapkey",
  "unwrapKey",
  "release",
  "backup",
  "rotate",
  "versions",
  "recover",
  "export",
  "",
);

const paths: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("/keys", "/keys/", "/deletedkeys", "/rng", "/keys/restore", "/", "/secrets/x"),
  names.map((n) => `/keys/${n}`),
  fc.tuple(names, operations).map(([n, op]) => `/keys/${n}/${op}`),
  fc.tuple(names, versions, operations).map(([n, v, op]) => `/keys/${n}/${v}/${op}`),
  names.map((n) => `/deletedkeys/${n}`),
  names.map((n) => `/deletedkeys/${n}/recover`),
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { maxLength: 6 })
    .map((s) => `/${s.join("/")}`),
);

const apiVersions = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "?api-version=7.6",
      "?api-version=7.0",
      "?api-version=2025-07-01",
      "?api-version=7.4-preview.1",
    ),
  },
  fc.constantFrom(
    "",
    "?",
    "?api-version=",
    "?api-version=9.9",
    "?api-version=7.6&api-version=7.0",
    "?API-VERSION=7.6",
    "?api-version=7.6&maxresults=0",
    "?api-version=7.6&maxresults=999999999999",
    "?api-version=7.6&maxresults=abc",
    "?api-version=7.6&$skiptoken=%ZZ",
    "?api-version=%ZZ",
  ),
  fc.string({ maxLength: 30 }).map((v) => `?api-version=${encodeURIComponent(v)}`),
);

const methods = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("GET", "PUT", "POST", "PATCH", "DELETE") },
  fc.constantFrom("HEAD", "OPTIONS", "TRACE", "CONNECTX", "post", "M-SEARCH"),
);

const hosts = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  fc.constantFrom(
    "fz-hsm.managedhsm.azure.net:PORT",
    "fz-vault.vault.azure.net",
    "nobody.managedhsm.azure.net",
    "fz-vault.managedhsm.azure.net",
    "a b",
    "[::1",
    "::::",
    "",
    "x".repeat(300),
    "evil.example:99999",
  ),
);

const byokFile = (() => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return buildByokFile(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey, {
    kekPublicKey: rsa.publicKey.export({ type: "spki", format: "pem" }).toString(),
    kekKid: "https://fz-hsm.managedhsm.azure.net/keys/fz-kek/0123456789abcdef0123456789abcdef",
  }).text;
})();

/** Well-formed bodies of each operation, to mutate. */
function bodyTemplates(): Record<string, unknown>[] {
  const digest = b64(Buffer.alloc(32, 1));
  return [
    { kty: "EC-HSM", crv: "P-256" },
    { kty: "RSA-HSM", key_size: 2048, key_ops: ["sign", "verify"], attributes: { enabled: true } },
    { kty: "oct-HSM", key_size: 256, tags: { a: "b" } },
    {
      kty: "EC-HSM",
      crv: "P-256",
      attributes: { exportable: true },
      release_policy: { data: b64(Buffer.from('{"version":"1.0.0","anyOf":[]}')) },
    },
    { key: { kty: "EC-HSM", crv: "P-256", key_hsm: b64(Buffer.from(byokFile)) }, Hsm: true },
    { key: { kty: "RSA", n: b64(Buffer.alloc(256, 3)), e: "AQAB", d: b64(Buffer.alloc(256, 2)) } },
    { alg: "RS256", value: digest },
    { alg: "ES256", digest, value: b64(Buffer.alloc(64, 1)) },
    { alg: "RSA-OAEP", value: b64(Buffer.alloc(16, 1)) },
    {
      alg: "A256GCM",
      value: b64(Buffer.alloc(16, 1)),
      iv: b64(Buffer.alloc(12)),
      aad: "AA",
      tag: b64(Buffer.alloc(16)),
    },
    { alg: "A256KW", value: b64(Buffer.alloc(32, 1)) },
    { key_ops: ["sign"], attributes: { enabled: false, exp: 2_000_000_000, nbf: 1 }, tags: {} },
    { value: b64(Buffer.alloc(40, 1)) },
    { count: 16 },
    {
      target: jwt({ alg: "RS256" }, { iss: "x" }, "c2ln"),
      nonce: "n",
      enc: "CKM_RSA_AES_KEY_WRAP",
    },
  ];
}

const badValues = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    "",
    "!!not base64!!",
    "====",
    "A",
    "AAA=A",
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    true,
    [],
    {},
    [[[[[]]]]],
    "x".repeat(200_000),
    { __proto__: { polluted: true } },
  ),
);

const fieldNames = fc.constantFrom(
  "kty",
  "crv",
  "key_size",
  "key_ops",
  "attributes",
  "tags",
  "release_policy",
  "key",
  "key_hsm",
  "alg",
  "value",
  "digest",
  "iv",
  "aad",
  "tag",
  "count",
  "target",
  "enc",
  "nonce",
  "Hsm",
  "public_exponent",
  "__proto__",
  "constructor",
);

type BodyEdit = (body: Record<string, unknown>) => void;

const bodyEdits: fc.Arbitrary<BodyEdit> = fc.oneof(
  fc.tuple(fieldNames, badValues).map(([name, value]): BodyEdit => (body) => {
    body[name] = value;
  }),
  fieldNames.map((name): BodyEdit => (body) => {
    Reflect.deleteProperty(body, name);
  }),
  fc
    .tuple(fc.constantFrom("attributes", "key", "release_policy", "tags"), fieldNames, badValues)
    .map(([outer, name, value]): BodyEdit => (body) => {
      const inner = body[outer];
      if (typeof inner === "object" && inner !== null && !Array.isArray(inner))
        (inner as Record<string, unknown>)[name] = value;
      else body[outer] = { [name]: value };
    }),
);

const bodies: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(), fc.array(bodyEdits, { maxLength: 3 })).map(([i, edits]) => {
      const templates = bodyTemplates();
      const body = structuredClone(templates[i % templates.length]!);
      for (const edit of edits) edit(body);
      return Buffer.from(JSON.stringify(body));
    }),
  },
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value))),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    Buffer.from("{"),
    Buffer.from("[".repeat(5000)),
    Buffer.from(`{"a":${"[".repeat(3000)}${"]".repeat(3000)}}`),
    Buffer.from("\uFEFF{}"),
    Buffer.from('{"kty":"EC-HSM","kty":"RSA-HSM"}'),
    Buffer.alloc(5 * 1024 * 1024, 0x20),
  ),
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  undefined,
  "application/x-www-form-urlencoded",
);

/**
 * False for a request Node's client refuses to send (a header value or a path with characters
 * HTTP does not allow there): no emulator could see it, so the fuzz does not count it as tried.
 */
function isSendable(request: FuzzRequest): boolean {
  if (/[^\u0021-\u00ff]/.test(`${request.path}${request.query}`)) return false;
  try {
    for (const [name, value] of Object.entries(request.headers)) {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    }
    return true;
  } catch {
    return false;
  }
}

function requests(): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: methods,
      path: paths,
      query: apiVersions,
      authorization: authorizations(),
      host: hosts,
      contentType: contentTypes,
      body: bodies,
      requestId: fc.option(fc.string({ maxLength: 60 })),
    })
    .map(({ method, path, query, authorization, host, contentType, body, requestId }) => ({
      method,
      path,
      query,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(host === undefined ? {} : { host: host.replace("PORT", String(hsmPort)) }),
        ...(contentType === undefined || body === undefined ? {} : { "content-type": contentType }),
        ...(requestId === null ? {} : { "x-ms-client-request-id": requestId }),
      },
      ...(body === undefined ? {} : { body }),
    }))
    .filter(isSendable);
}

/** Why a response breaks the rules, or undefined. */
function violation(request: FuzzRequest, response: FuzzResponse): string | undefined {
  if (response.status >= 500) return `a ${response.status}`;
  if (response.status < 400) return undefined;
  if (request.method === "HEAD")
    return response.text === "" ? undefined : "a HEAD answer with a body";
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return `a ${response.status} whose body is not JSON: ${response.text.slice(0, 80)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== "string" || !SERVICE_CODES.has(error.code))
    return `a ${response.status} with error.code ${JSON.stringify(error?.code)}`;
  if (typeof error.message !== "string" || error.message === "")
    return `a ${response.status} without a message`;
  return undefined;
}

test.serial(
  "mutated requests get no 5xx, no crash, no hang, no logged bug, and every rejection is an Azure-shaped 4xx with a known code",
  async (t) => {
    const runs = sized(1000, 10_000);
    let tried = 0;
    let rejected = 0;
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    // Recorded whatever the outcome: a failing run shows how far it got.
    t.teardown(() => {
      recordReliabilityResult("http-fuzz", {
        inputsTried: tried,
        inputsRejected: rejected,
        note: `statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      });
    });
    await fc.assert(
      fc.asyncProperty(requests(), async (request) => {
        tried++;
        let response: FuzzResponse;
        try {
          response = await send(request);
        } catch (error) {
          // fast-check keeps the error as the failure's cause, which ava does not print.
          t.log(`${request.method} ${request.path}${request.query}: ${String(error)}`);
          throw error;
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 400) {
          rejected++;
          const code = (() => {
            try {
              return (JSON.parse(response.text) as { error: { code: string } }).error.code;
            } catch {
              return "-";
            }
          })();
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
        const why = violation(request, response);
        if (why !== undefined) t.log(`${request.method} ${request.path}${request.query}: ${why}`);
        return why === undefined;
      }),
      { numRuns: runs, seed: RELIABILITY_SEED, endOnFailure: true },
    );
    t.is(tried, runs);
    t.deepEqual(bugs, [], "the emulator logged a bug");
    // Still serving, and the keys the fuzz did not touch are still usable.
    const key = await env.keyClient().getKey(UNTOUCHED_KEY);
    t.deepEqual(key.keyOperations, ["import"]);
    t.log(
      `${tried} requests: ${rejected} rejected; statuses ${JSON.stringify(Object.fromEntries(statuses))}; codes ${JSON.stringify(Object.fromEntries(codes))}`,
    );
  },
);

/** Sends raw bytes over TLS and returns everything the emulator writes back before it closes. */
function sendRaw(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: "127.0.0.1", port: hsmPort, servername: "localhost" },
      () => {
        socket.end(bytes);
      },
    );
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => {
      resolve(Buffer.concat(chunks).toString());
    });
    socket.on("error", reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error("no answer within 15 s")));
  });
}

test.serial(
  "bytes Node's HTTP parser refuses get a 400 in the service's shape and a closed connection, and the emulator keeps serving",
  async (t) => {
    const runs = sized(100, 1000);
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ minLength: 1, maxLength: 120 }).map((line) => Buffer.from(`${line}\r\n\r\n`)),
      fc
        .constantFrom(
          "GET /keys/fz-kek?api-version=7.6 HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
          "GET /keys HTTP/9.9\r\n\r\n",
          "POST /keys/a/import?api-version=7.6 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
          "GET /keys?api-version=7.6 HTTP/1.1\r\nBad Header\r\n\r\n",
          "GET /keys?api-version=7.6 HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        )
        .map((text) => Buffer.from(text)),
    );
    let answered400 = 0;
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const answer = await sendRaw(bytes);
        // Some byte strings are a valid request line after all: any Azure-shaped 4xx is fine.
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
        if (status === undefined) return answer === "";
        if (!/^4\d\d$/.test(status)) return false;
        const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
        const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        if (status === "400") answered400++;
        return code !== undefined && SERVICE_CODES.has(code);
      }),
      { numRuns: runs, seed: RELIABILITY_SEED },
    );
    t.true(answered400 > runs / 2, `${String(answered400)} of ${String(runs)} answered 400`);
    t.deepEqual(bugs, [], "the emulator logged a bug");
    const key = await env.keyClient().getKey(UNTOUCHED_KEY);
    t.deepEqual(key.keyOperations, ["import"]);
  },
);
