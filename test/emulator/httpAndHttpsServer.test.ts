/**
 * The token endpoint's port answers plain HTTP and HTTPS (`emulator/httpAndHttpsServer.ts`):
 * both on keep-alive connections, request bodies larger than one read intact over either, and
 * closing ends idle connections so the server stops.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "ava";
import { issueServerTls } from "../../emulator/certificates.js";
import { createHttpAndHttpsServer } from "../../emulator/httpAndHttpsServer.js";
import type { HttpAndHttpsServer } from "../../emulator/httpAndHttpsServer.js";
import { TEST_CA_DIR } from "../harness/emulatorHarness.js";

let server: HttpAndHttpsServer;
let port: number;
let certDir: string;

test.before(async () => {
  certDir = await mkdtemp(path.join(tmpdir(), "azure-byok-dual-"));
  const tls = await issueServerTls(TEST_CA_DIR, certDir);
  server = createHttpAndHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => (size += chunk.length));
    req.on("end", () => {
      const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
      res.end(`${secure ? "https" : "http"} ${req.method ?? ""} ${req.url ?? ""} ${size}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

test.after.always(async () => {
  await rm(certDir, { recursive: true, force: true });
});

function send(
  protocol: "http" | "https",
  agent: http.Agent,
  route: string,
  body?: Buffer,
): Promise<string> {
  return sendReporting(protocol, agent, route, body).then((r) => r.text);
}

/** The answer, and whether the request went on a connection kept alive from an earlier one. */
function sendReporting(
  protocol: "http" | "https",
  agent: http.Agent,
  route: string,
  body?: Buffer,
): Promise<{ text: string; reused: boolean }> {
  const request = protocol === "http" ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request(
      `${protocol}://127.0.0.1:${port}${route}`,
      { method: body === undefined ? "GET" : "POST", agent },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          resolve({ text, reused: req.reusedSocket });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test.serial("HTTP and HTTPS on one port, keep-alive, bodies of 1 MB intact", async (t) => {
  const plain = new http.Agent({ keepAlive: true });
  const secure = new https.Agent({ keepAlive: true });
  const big = Buffer.alloc(1024 * 1024, 7);
  const reused: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const answer = await sendReporting("http", plain, `/msi/token?i=${i}`);
    t.is(answer.text, `http GET /msi/token?i=${i} 0`);
    reused.push(answer.reused);
    const secureAnswer = await sendReporting("https", secure, `/t/oauth2/v2.0/token?i=${i}`);
    t.is(secureAnswer.text, `https GET /t/oauth2/v2.0/token?i=${i} 0`);
    reused.push(secureAnswer.reused);
  }
  t.deepEqual(reused, [false, false, true, true, true, true]);
  t.is(await send("http", plain, "/upload", big), `http POST /upload ${big.length}`);
  t.is(await send("https", secure, "/upload", big), `https POST /upload ${big.length}`);
  // Idle keep-alive connections of both kinds are open: closing must end them.
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    }),
  );
  plain.destroy();
  secure.destroy();
});
