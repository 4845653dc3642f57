/**
 * What `ManagedHsmActivation`'s serialized provider runs (re-exported by `runtime.ts`).
 *
 * Create downloads the security domain, which activates the HSM, and keeps the domain (and the
 * private keys of certificates it generated) only in secret outputs and, when asked, in files of
 * mode 0600. Once the service has answered with the domain, no failure may lose it: a timeout or
 * an error while waiting reports the resource as created but not initialized, with the domain in
 * its outputs, and the next update finishes the wait. Delete forgets: an HSM cannot be
 * de-activated.
 *
 * @module
 * @internal
 */
import { join } from "node:path";
import { ProviderError, isProviderError } from "./errors.js";
import { planHsmResourceChange } from "./hsmResourceDiff.js";
import type { HsmResourceDiff } from "./hsmResourceDiff.js";
import type { HsmActivationInputs, HsmActivationOutputs } from "./hsmTypes.js";
import { assertFilesAbsent, writeFiles } from "./secretFiles.js";
import type { FileToWrite } from "./secretFiles.js";
import {
  inspectSecurityDomainCertificate,
  securityDomainJwkOf,
} from "./securityDomainCertificates.js";
import { validateHsmActivationInputs } from "./validateHsmActivation.js";
import type { HsmActivationCheck } from "./validateHsmActivation.js";
import type * as AzureModule from "./azure/index.js";

type Props = Record<string, unknown>;

async function azure(): Promise<typeof AzureModule> {
  return import("./azure/index.js");
}

/** Which input changes what: another HSM or other certificates is another activation. */
const ACTIVATION_CHANGES = {
  hsmUri: "replace",
  certificates: "replace",
  certificateCount: "replace",
  certificateKeySize: "replace",
  quorum: "replace",
  securityDomainPath: "update",
  certificatesDirectory: "update",
  overwriteFiles: "update",
  timeoutSeconds: "update",
} as const;

/** The files an activation writes, from its settings and results. */
function filesOf(
  settings: Pick<HsmActivationInputs, "securityDomainPath" | "certificatesDirectory">,
  results: Pick<
    HsmActivationOutputs,
    "securityDomain" | "certificatePems" | "certificatePrivateKeyPems"
  >,
): FileToWrite[] {
  const files: FileToWrite[] = [];
  if (settings.securityDomainPath !== undefined) {
    files.push({
      path: settings.securityDomainPath,
      content: results.securityDomain,
      secret: true,
      property: "securityDomainPath",
    });
  }
  const directory = settings.certificatesDirectory;
  if (directory !== undefined) {
    results.certificatePems.forEach((pem, i) => {
      files.push({
        path: join(directory, `certificate-${i}.pem`),
        content: pem,
        secret: false,
        property: "certificatesDirectory",
      });
    });
    results.certificatePrivateKeyPems.forEach((pem, i) => {
      files.push({
        path: join(directory, `certificate-${i}.key.pem`),
        content: pem,
        secret: true,
        property: "certificatesDirectory",
      });
    });
  }
  return files;
}

/** The certificates' paths before they exist: enough for the overwrite check. */
function plannedFiles(news: HsmActivationInputs, count: number): FileToWrite[] {
  const none = Array.from({ length: count }, () => "");
  return filesOf(news, {
    securityDomain: "",
    certificatePems: none,
    certificatePrivateKeyPems: news.certificates === undefined ? none : [],
  });
}

/** The certificates to encrypt the domain to: the user's, or new ones with their keys. */
async function certificatesFor(
  news: HsmActivationInputs,
): Promise<{ pems: string[]; privateKeys: string[] }> {
  if (news.certificates !== undefined) return { pems: news.certificates, privateKeys: [] };
  const { generateSecurityDomainCertificates } =
    await import("./generateSecurityDomainCertificates.js");
  const generated = await generateSecurityDomainCertificates(news.certificateCount ?? 3, {
    ...(news.certificateKeySize === undefined ? {} : { keySize: news.certificateKeySize }),
  });
  return {
    pems: generated.map((g) => g.certificatePem),
    privateKeys: generated.map((g) => g.privateKeyPem),
  };
}

/**
 * A failure after the HSM accepted the download: the resource exists and its outputs (with the
 * domain) must reach the state, which the plugin host does for an error carrying `id` and
 * `properties` (`ErrorResourceInitFailed`, reference §1.2).
 */
function keepInState(
  error: ProviderError,
  id: string,
  outs: HsmActivationOutputs,
  inputs: Props,
): ProviderError {
  return Object.assign(error, {
    id,
    properties: { ...outs, __provider: inputs.__provider },
    reasons: [error.message],
  });
}

function timeoutError(hsmUri: string, seconds: number, saved: string): ProviderError {
  return new ProviderError(
    "ERR_ACTIVATION_TIMEOUT",
    `${hsmUri} did not report its activation done within timeoutSeconds (${seconds} s). The security domain was downloaded and is kept in this resource's secret outputs${saved}; run pulumi up again to wait for the activation to finish (or raise timeoutSeconds).`,
  );
}

function orUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The implementation behind `ManagedHsmActivation`'s serialized provider. */
export const hsmActivationImplementation = {
  check(olds: Props, news: Props): HsmActivationCheck {
    return validateHsmActivationInputs(olds, news);
  },

  diff(_id: string, olds: Props, news: Props): HsmResourceDiff {
    const plan = planHsmResourceChange(olds, news, ACTIVATION_CHANGES);
    // an activation that timed out is finished by the next update
    const unfinished = olds.status !== undefined && olds.status !== "Success";
    return { ...plan, changes: plan.changes || unfinished };
  },

  async create(inputs: Props): Promise<{ id: string; outs: HsmActivationOutputs }> {
    const news = inputs as unknown as HsmActivationInputs;
    const count = news.certificates?.length ?? news.certificateCount ?? 3;
    await assertFilesAbsent(plannedFiles(news, count), news.overwriteFiles);
    const { pems, privateKeys } = await certificatesFor(news);
    const layer = await azure();
    const { securityDomain, retryAfterSeconds } = await layer.startSecurityDomainDownload(
      news.hsmUri,
      { certificates: pems.map(securityDomainJwkOf), quorum: news.quorum },
    );
    const id = `${news.hsmUri.replace(/\/+$/, "")}/securitydomain`;
    const outs: HsmActivationOutputs = orUndefined({
      ...news,
      certificatePems: pems,
      certificateThumbprints: pems.map((pem) => {
        const facts = inspectSecurityDomainCertificate(pem);
        return typeof facts === "string" ? "" : facts.thumbprintSha256;
      }),
      generatedCertificates: news.certificates === undefined,
      securityDomain,
      certificatePrivateKeyPems: privateKeys,
      status: "InProgress" as const,
    });
    let status: "Success" | "InProgress";
    try {
      status = await layer.waitForSecurityDomainDownload(news.hsmUri, {
        timeoutMs: news.timeoutSeconds * 1000,
        ...(retryAfterSeconds === undefined ? {} : { firstDelaySeconds: retryAfterSeconds }),
      });
    } catch (error) {
      // Failed means no activation and a domain nobody can use: nothing to keep.
      if (isProviderError(error) && error.code === "ERR_ACTIVATION_FAILED") throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw keepInState(
        new ProviderError(
          "ERR_ACTIVATION_TIMEOUT",
          `waiting for ${news.hsmUri} to finish activating failed (${message}). The security domain was downloaded and is kept in this resource's secret outputs; run pulumi up again to finish waiting.`,
          { cause: error },
        ),
        id,
        outs,
        inputs,
      );
    }
    const finished: HsmActivationOutputs =
      status === "Success" ? { ...outs, status, activatedOn: new Date().toISOString() } : outs;
    // Files go out only now: a failed download must not leave a file that blocks the retry.
    const files = filesOf(news, finished);
    try {
      await writeFiles(files, news.overwriteFiles);
    } catch (error) {
      throw keepInState(
        new ProviderError(
          "ERR_FILE_EXISTS",
          `the HSM is activated, but writing ${files.map((f) => f.path).join(", ")} failed (${(error as NodeJS.ErrnoException).code ?? "error"}); the security domain is kept in this resource's secret outputs: export it with pulumi stack output --show-secrets and store it safely`,
          { cause: error },
        ),
        id,
        finished,
        inputs,
      );
    }
    if (status !== "Success") {
      const saved = files.length > 0 ? ` and written to ${files[0]?.path ?? ""}` : "";
      throw keepInState(
        timeoutError(news.hsmUri, news.timeoutSeconds, saved),
        id,
        finished,
        inputs,
      );
    }
    return { id, outs: finished };
  },

  async read(id: string, props: Props = {}): Promise<{ id: string; props: Props }> {
    // Activation cannot be undone, so there is no drift to find, except an unfinished wait.
    const stored = props as unknown as HsmActivationOutputs;
    if (stored.status === "Success" || typeof stored.hsmUri !== "string") return { id, props };
    const { readSecurityDomainStatus } = await azure();
    const found = await readSecurityDomainStatus(stored.hsmUri);
    return found?.status === "Success"
      ? { id, props: { ...props, status: "Success", activatedOn: new Date().toISOString() } }
      : { id, props };
  },

  async update(
    _id: string,
    olds: Props,
    newsProps: Props,
  ): Promise<{ outs: HsmActivationOutputs }> {
    const stored = olds as unknown as HsmActivationOutputs;
    const news = newsProps as unknown as HsmActivationInputs;
    let outs: HsmActivationOutputs = orUndefined({
      ...stored,
      securityDomainPath: news.securityDomainPath,
      certificatesDirectory: news.certificatesDirectory,
      overwriteFiles: news.overwriteFiles,
      timeoutSeconds: news.timeoutSeconds,
    });
    if (stored.status !== "Success") {
      const { waitForSecurityDomainDownload } = await azure();
      const status = await waitForSecurityDomainDownload(stored.hsmUri, {
        timeoutMs: news.timeoutSeconds * 1000,
        firstDelaySeconds: 0,
      });
      if (status !== "Success") throw timeoutError(stored.hsmUri, news.timeoutSeconds, "");
      outs = { ...outs, status, activatedOn: new Date().toISOString() };
    }
    // Files named anew (or not written before) are written from what state holds.
    const before = new Set(filesOf(stored, stored).map((f) => f.path));
    const added = filesOf(news, outs).filter((f) => !before.has(f.path));
    await assertFilesAbsent(added, news.overwriteFiles);
    await writeFiles(added, news.overwriteFiles);
    return { outs };
  },

  delete(): Promise<void> {
    // A Managed HSM cannot be de-activated: forgetting the activation is all there is to do.
    return Promise.resolve();
  },
};
