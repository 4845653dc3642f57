/**
 * The emulator's TLS: a CA made on first start and reused after (so a user trusts it once, via
 * `NODE_EXTRA_CA_CERTS` or `REQUESTS_CA_BUNDLE`), and a server certificate it signs at each start
 * for localhost, 127.0.0.1, ::1, `*.managedhsm.azure.net` and `*.vault.azure.net`. ECDSA P-256
 * keeps generation instant. Made with `@peculiar/x509` over Node's WebCrypto.
 *
 * @module
 */
import { webcrypto } from "node:crypto";
type CryptoKey = webcrypto.CryptoKey;
import path from "node:path";
// @peculiar/x509 uses tsyringe, which needs a Reflect metadata polyfill loaded first.
import "@abraham/reflection";
import * as x509 from "@peculiar/x509";
import { loadOrCreateFile, replaceFile } from "./store/dataFiles.js";

/** File names: `ca.pem` is what clients trust; `ca-key.pem` holds the CA key and certificate. */
export const CA_CERT_FILE = "ca.pem";
export const CA_STATE_FILE = "ca-key.pem";
export const SERVER_CERT_FILE = "server.pem";

/** The server's TLS material, as `https.createServer` takes it. */
export interface ServerTls {
  readonly cert: string;
  readonly key: string;
  /** Path of the CA certificate clients must trust. */
  readonly caCertPath: string;
}

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const EC_KEY: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function pemBlock(text: string, label: string): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(text);
  if (match?.[1] === undefined) throw new Error(`no ${label} block in the CA file`);
  return Buffer.from(match[1].replace(/\s+/g, ""), "base64");
}

async function makeCa(): Promise<string> {
  const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: "CN=azure-byok emulator CA, O=pulumi-azure-byok",
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const key = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return pem("PRIVATE KEY", key) + cert.toString("pem") + "\n";
}

/**
 * Loads the CA from `caDir`, creating it if absent, and writes `ca.pem` there.
 *
 * @returns the CA certificate and its signing key.
 */
export async function loadOrCreateCa(
  caDir: string,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey; certPath: string }> {
  const state = (await loadOrCreateFile(path.join(caDir, CA_STATE_FILE), makeCa)).toString("utf8");
  const cert = new x509.X509Certificate(pemBlock(state, "CERTIFICATE"));
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBlock(state, "PRIVATE KEY"),
    EC_KEY,
    false,
    ["sign"],
  );
  const certPath = path.join(caDir, CA_CERT_FILE);
  await replaceFile(certPath, cert.toString("pem") + "\n", 0o644);
  return { cert, key, certPath };
}

/**
 * Issues the server certificate for this start and writes it to `certDir` (for inspection;
 * it is re-issued at every start, so it never expires under a long-lived data dir).
 */
export async function issueServerTls(caDir: string, certDir: string): Promise<ServerTls> {
  const ca = await loadOrCreateCa(caDir);
  const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    subject: "CN=localhost, O=pulumi-azure-byok emulator",
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 90 * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "dns", value: "*.localhost" },
        { type: "dns", value: "*.managedhsm.azure.net" },
        { type: "dns", value: "*.vault.azure.net" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  const certPem = cert.toString("pem") + "\n";
  const keyPem = pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  await replaceFile(path.join(certDir, SERVER_CERT_FILE), certPem, 0o644);
  return { cert: certPem, key: keyPem, caCertPath: ca.certPath };
}
