/**
 * Starting and stopping the emulator in-process: one HTTPS listener per vault on 127.0.0.1, a
 * token endpoint, the CA and server certificate, the store (journal in `dataDir`, or memory).
 *
 * @module
 */
import { generateKeyPair, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import https from "node:https";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { issueServerTls } from "./certificates.js";
import { createFaultInjector } from "./faults.js";
import type { FaultInjector } from "./faults.js";
import { createHttpAndHttpsServer } from "./httpAndHttpsServer.js";
import { createIdentityRequestListener } from "./identityEndpoint.js";
import { createReleaseSigner } from "./keyRelease.js";
import { DEFAULT_SECURITY_DOMAIN_DELAY_MS } from "./operation.js";
import type { VaultRuntime } from "./operation.js";
import { findBuiltInRole } from "./rbac/builtInRoles.js";
import { createRbacDecision } from "./rbac/rbacDecision.js";
import { seedAssignments } from "./rbac/seedAssignments.js";
import type { SeedRoleAssignment } from "./rbac/seedAssignments.js";
import { answerUnparsableRequest, createVaultRequestListener } from "./server.js";
import { loadOrCreateFile, makeTempDir, removeDir } from "./store/dataFiles.js";
import { openJournalStore } from "./store/journalStore.js";
import { createMemoryStore } from "./store/memoryStore.js";
import type { KeyStore } from "./store/keyStore.js";
import { createTokenIssuer, MANAGED_HSM_RESOURCE, VAULT_RESOURCE } from "./tokens.js";

/** A vault or Managed HSM to serve. */
export interface EmulatorVaultOptions {
  /** DNS label: 3-24 of a-z, 0-9 and -, as Azure names vaults. */
  name: string;
  kind: "managedhsm" | "vault";
  /** Purge of a soft-deleted key is refused (403) while on. Default false. */
  purgeProtection?: boolean;
  /** Days a soft-deleted key stays recoverable: 7..90, default 90. */
  softDeleteRetentionDays?: number;
  /** Managed HSM only: false until the security domain is downloaded. Default true. */
  activated?: boolean;
}

/** An identity the token endpoints issue tokens for. */
export interface EmulatorIdentity {
  objectId: string;
  name?: string;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** First port: vault i listens on port + i, the token endpoint on port + vaults. 0 (default) = free ports. */
  port?: number;
  /** Durable store and certificates; omitted = in-memory store and a temporary directory for certificates. */
  dataDir?: string;
  /** Where the CA lives (created if absent, reused if present); default `dataDir`. */
  caDir?: string;
  /** Default `[{ name: "emulator-hsm", kind: "managedhsm" }]`. */
  vaults?: EmulatorVaultOptions[];
  /** The first is the managed identity of the MI endpoint and the Managed HSM's initial administrator. */
  identities?: EmulatorIdentity[];
  /** Default {@link DEFAULT_TENANT_ID}. */
  tenantId?: string;
  /**
   * Managed HSM local RBAC to start with, on every Managed HSM: `roleName` is a built-in role's
   * name or GUID, `scope` `/` (default), `/keys` or `/keys/{key name}`. The first identity
   * always holds Managed HSM Administrator at `/`. Omitted: it also holds Crypto Officer and
   * Crypto User at `/`. Given (even empty): only the listed assignments are added. Written once:
   * with a `dataDir`, a restart keeps the assignments as they were changed since.
   */
  roleAssignments?: SeedRoleAssignment[];
  /**
   * How long a security domain download reports `InProgress` before `Success`, in
   * milliseconds. Default 1000.
   */
  securityDomainDownloadDelayMs?: number;
  /**
   * How long a role assignment made through the API takes to count for authorization, in
   * milliseconds, as the service's take a while to take effect: listed at once, refused until
   * then. Default 0 (at once). Seeded assignments count at once.
   */
  roleAssignmentDelayMs?: number;
}

/** A role assignment as {@link RunningEmulator.roleAssignments} lists it. */
export interface EmulatorRoleAssignment {
  readonly name: string;
  readonly principalId: string;
  /** The built-in role's name, or the custom role's GUID. */
  readonly roleName: string;
  readonly scope: string;
}

/** A running emulator. */
export interface RunningEmulator {
  readonly vaults: ReadonlyArray<{ name: string; kind: "managedhsm" | "vault"; url: string }>;
  /** `https://127.0.0.1:PORT` of a served vault. @throws Error for a name not served. */
  url(vaultName: string): string;
  readonly caCertPath: string;
  /** The tenant of the emulator's tokens and challenges. */
  readonly tenantId: string;
  /**
   * `https://127.0.0.1:PORT`: the token endpoint's port over HTTPS, as the `authorityHost` of a
   * `ClientSecretCredential` (client id: an identity's object id or name; secret:
   * `IDENTITY_HEADER`; pass `disableInstanceDiscovery: true`, since MSAL would otherwise ask
   * login.microsoftonline.com about this host).
   */
  readonly authorityHost: string;
  /** NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, IDENTITY_ENDPOINT, IDENTITY_HEADER. */
  readonly env: Record<string, string>;
  /** A token for negative tests: another identity, another audience, an expired one. */
  issueToken(options: { objectId?: string; audience?: string; expiresInSeconds?: number }): string;
  /**
   * Fault injection for reliability tests (issue 8): 429/503/500 answers, connection resets
   * before or after a write is committed, added latency; seeded and counted. Off until
   * `faults.set(...)`; applies to every vault of this emulator, not to the token endpoints.
   * See {@link FaultInjector}.
   */
  readonly faults: FaultInjector;
  /** The role assignments a served Managed HSM holds now. @throws Error for a name not served. */
  roleAssignments(vaultName: string): EmulatorRoleAssignment[];
  stop(): Promise<void>;
}

/** The tenant of the emulator's tokens and challenges unless one is given. */
export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-00000000b70c";
/** The identity tokens are issued for unless identities are given. */
export const DEFAULT_IDENTITY: EmulatorIdentity = {
  objectId: "00000000-0000-0000-0000-0000000e0001",
  name: "azure-byok-emulator",
};

const TOKEN_KEY_FILE = "token-signing-key.pem";

function checkVaults(vaults: readonly EmulatorVaultOptions[]): VaultRuntime[] {
  if (vaults.length === 0)
    throw new Error("vaults is empty: serve at least one vault or Managed HSM");
  const seen = new Set<string>();
  return vaults.map((v, i) => {
    const name = v.name.toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$/.test(name)) {
      throw new Error(
        `vaults[${i}].name "${v.name}" is not a vault name: use 3-24 characters of a-z, 0-9 and -`,
      );
    }
    if (seen.has(name))
      throw new Error(`vaults[${i}].name "${v.name}" is served twice: names must be unique`);
    seen.add(name);
    const retention = v.softDeleteRetentionDays ?? 90;
    if (!Number.isInteger(retention) || retention < 7 || retention > 90) {
      throw new Error(`vaults[${i}].softDeleteRetentionDays is ${retention}: use 7 to 90 days`);
    }
    return {
      name,
      kind: v.kind,
      purgeProtection: v.purgeProtection ?? false,
      softDeleteRetentionDays: retention,
      activated: v.kind === "managedhsm" ? (v.activated ?? true) : true,
    };
  });
}

function generateSigningKeyPem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, _publicKey, privateKey: KeyObject) => {
      if (error) reject(error);
      else resolve(privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    });
  });
}

/** A listening server: an HTTPS vault listener or the token endpoint. */
type Listener = net.Server & { closeAllConnections(): void };

/** How long a vault port keeps an idle kept-alive connection open (Azure's load balancers: 4 min). */
const KEEP_ALIVE_TIMEOUT_MS = 240_000;

function listen(server: Listener, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Listener): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/**
 * Starts the emulator.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ caDir: ".azure-byok/test-ca" });
 * Object.assign(process.env, emulator.env);
 * const client = new KeyClient(emulator.url("emulator-hsm"), new DefaultAzureCredential(), {
 *   disableChallengeResourceVerification: true,
 * });
 * // …
 * await emulator.stop();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const vaults = checkVaults(options.vaults ?? [{ name: "emulator-hsm", kind: "managedhsm" }]);
  const identities = options.identities ?? [DEFAULT_IDENTITY];
  if (identities.length === 0)
    throw new Error("identities is empty: give at least one identity (the managed identity)");
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const administrator = identities[0]?.objectId ?? DEFAULT_IDENTITY.objectId;
  // Checked before anything starts, so a bad role name fails fast and names the entry.
  const seeds = vaults
    .filter((v) => v.kind === "managedhsm")
    .map((v) => ({
      op: "seedRoleAssignments" as const,
      vault: v.name,
      assignments: seedAssignments(v.name, administrator, options.roleAssignments),
    }));
  const delayMs = options.securityDomainDownloadDelayMs ?? DEFAULT_SECURITY_DOMAIN_DELAY_MS;
  if (!Number.isFinite(delayMs) || delayMs < 0)
    throw new Error(`securityDomainDownloadDelayMs is ${delayMs}: use 0 or more milliseconds`);
  const roleAssignmentDelayMs = options.roleAssignmentDelayMs ?? 0;
  if (!Number.isFinite(roleAssignmentDelayMs) || roleAssignmentDelayMs < 0) {
    throw new Error(
      `roleAssignmentDelayMs is ${roleAssignmentDelayMs}: use 0 or more milliseconds`,
    );
  }
  const basePort = options.port ?? 0;
  const tempDir =
    options.dataDir === undefined ? await makeTempDir("azure-byok-emulator-") : undefined;
  const certDir = options.dataDir ?? tempDir ?? ".";
  const caDir = options.caDir ?? certDir;

  const servers: Listener[] = [];
  let store: KeyStore | undefined;
  try {
    const tls = await issueServerTls(caDir, certDir);
    store =
      options.dataDir === undefined ? createMemoryStore() : await openJournalStore(options.dataDir);
    const signingKeyPem =
      options.dataDir === undefined
        ? await generateSigningKeyPem()
        : (
            await loadOrCreateFile(
              path.join(options.dataDir, TOKEN_KEY_FILE),
              generateSigningKeyPem,
            )
          ).toString("utf8");
    await store.commit(seeds);
    const tokens = createTokenIssuer(createPrivateKey(signingKeyPem), tenantId);
    const faults = createFaultInjector();
    const deps = {
      vaults: new Map(vaults.map((v) => [v.name, v])),
      store,
      tokens,
      tenantId,
      decide: createRbacDecision(store),
      securityDomainDownloadDelayMs: delayMs,
      roleAssignmentDelayMs,
      faults,
      releaseSigner: createReleaseSigner(tls.key, [
        tls.cert,
        await readFile(tls.caCertPath, "utf8"),
      ]),
    };
    const served: { name: string; kind: "managedhsm" | "vault"; url: string }[] = [];
    for (const [i, vault] of vaults.entries()) {
      const server = https.createServer(
        // requireHostHeader: false: the pipeline refuses a missing Host in the service's shape.
        { cert: tls.cert, key: tls.key, requireHostHeader: false },
        createVaultRequestListener(deps, vault),
      );
      server.on("clientError", answerUnparsableRequest);
      // Node closes a kept-alive connection after 5 s idle, and a client that sends its next
      // request just then gets ECONNRESET. Azure's front ends keep idle connections for minutes,
      // so stock clients (which reuse sockets) never meet that race there; nor should they here.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
      servers.push(server);
      const port = await listen(server, basePort === 0 ? 0 : basePort + i);
      served.push({ name: vault.name, kind: vault.kind, url: `https://127.0.0.1:${port}` });
    }
    const secret = randomBytes(24).toString("base64url");
    // Plain HTTP for the managed identity endpoint (as on App Service), HTTPS on the same port
    // for ClientSecretCredential, which refuses an http:// authority host.
    const identityServer = createHttpAndHttpsServer(
      { cert: tls.cert, key: tls.key },
      createIdentityRequestListener({ tokens, identities, secret, tenantId }),
    );
    servers.push(identityServer);
    const identityPort = await listen(
      identityServer,
      basePort === 0 ? 0 : basePort + vaults.length,
    );
    const openedStore = store;
    let stopped: Promise<void> | undefined;
    return {
      vaults: served,
      url(vaultName) {
        const vault = served.find((v) => v.name === vaultName.toLowerCase());
        if (vault === undefined)
          throw new Error(
            `the emulator serves no vault "${vaultName}": it serves ${served.map((v) => v.name).join(", ")}`,
          );
        return vault.url;
      },
      caCertPath: path.resolve(tls.caCertPath),
      tenantId,
      authorityHost: `https://127.0.0.1:${identityPort}`,
      env: {
        NODE_EXTRA_CA_CERTS: path.resolve(tls.caCertPath),
        REQUESTS_CA_BUNDLE: path.resolve(tls.caCertPath),
        IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`,
        IDENTITY_HEADER: secret,
      },
      issueToken({ objectId, audience, expiresInSeconds }) {
        const kind = vaults[0]?.kind ?? "managedhsm";
        return tokens.issue({
          objectId: objectId ?? identities[0]?.objectId ?? DEFAULT_IDENTITY.objectId,
          audience: audience ?? (kind === "managedhsm" ? MANAGED_HSM_RESOURCE : VAULT_RESOURCE),
          ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
        }).token;
      },
      faults,
      roleAssignments(vaultName) {
        const vault = served.find((v) => v.name === vaultName.toLowerCase());
        if (vault === undefined) throw new Error(`the emulator serves no vault "${vaultName}"`);
        return openedStore.getHsm(vault.name).assignments.map((a) => ({
          name: a.name,
          principalId: a.principalId,
          roleName: findBuiltInRole(a.roleDefinitionGuid)?.roleName ?? a.roleDefinitionGuid,
          scope: a.scope,
        }));
      },
      stop() {
        stopped ??= (async () => {
          await Promise.all(servers.map(close));
          await openedStore.close();
          if (tempDir !== undefined) await removeDir(tempDir);
        })();
        return stopped;
      },
    };
  } catch (error) {
    await Promise.all(servers.map(close));
    await store?.close();
    if (tempDir !== undefined) await removeDir(tempDir);
    throw error;
  }
}
