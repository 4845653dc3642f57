// A Managed HSM on Azure, activated and ready for BYOK, then the key of a .byok file wrapped for its KEK.
//
// Phase 1 (`pulumi up`): a resource group and a Managed HSM, activated by downloading its security
// domain, local RBAC roles for the deploying identity (and for `cryptoUsers`), and an import-only
// RSA-HSM KEK; exports the KEK's kid and public key. Offline, wrap the target key for them into a
// .byok file and commit it next to this program. Phase 2 (`pulumi config set importKey true`,
// `pulumi up`): the key of that file is imported into the HSM. See README.md.
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { ByokImportedKey, ByokManagedHsm } from "pulumi-azure-byok";

const config = new pulumi.Config();

/** A file this program reads, with a message that says which setting names it and how to fix it. */
function readSetting(path: string, setting: string, fix: string): string {
  if (!existsSync(path)) throw new Error(`${setting}: ${path} does not exist; ${fix}`);
  return readFileSync(path, "utf8");
}

// Production: your own 3+ certificates (their private keys held offline by different people).
// Without them, three are generated and their private keys written under security-domain-certs/.
const certificateFiles = config.getObject<string[]>("securityDomainCertificates");
const certificates = certificateFiles?.map((path, i) =>
  readSetting(
    path,
    `securityDomainCertificates[${i}]`,
    "list PEM certificate files (openssl req -newkey rsa:2048 -nodes -x509 -keyout cert.key -out cert.cer)",
  ),
);

const resourceGroupName = config.get("resourceGroupName");
const hsmName = config.get("hsmName");
// the deploying identity unless listed; it must be among them to activate the HSM
const adminObjectIds = config.getObject<string[]>("adminObjectIds");

const hsm = new ByokManagedHsm("contoso", {
  ...(resourceGroupName === undefined ? {} : { resourceGroupName }),
  ...(hsmName === undefined ? {} : { hsmName }),
  ...(adminObjectIds === undefined ? {} : { initialAdminObjectIds: adminObjectIds }),
  // a deleted HSM is billed until it is purged: keep a trial's retention short
  softDeleteRetentionInDays: config.getNumber("softDeleteRetentionInDays") ?? 7,
  enablePurgeProtection: config.getBoolean("purgeProtection") ?? false,
  securityDomain: {
    ...(certificates === undefined
      ? { certificateCount: 3, certificatesDirectory: "security-domain-certs" }
      : { certificates }),
    quorum: config.getNumber("securityDomainQuorum") ?? 2,
    path: "security-domain.json",
  },
  roleAssignments: Object.fromEntries(
    Object.entries(config.getObject<Record<string, string>>("cryptoUsers") ?? {}).map(
      ([label, principalId]) => [label, { principalId, role: "Managed HSM Crypto User" }],
    ),
  ),
  kek: { name: config.get("kekName") ?? "KEKforBYOK", size: 4096 },
});

// Phase 2: only once the .byok file wrapped for this KEK is committed next to the program.
const importKey = config.getBoolean("importKey") ?? false;
const byokFile = config.get("byokFile") ?? "ContosoFirstHSMkey.byok";
const publicKeyFile = config.get("targetPublicKeyFile") ?? `${byokFile}.pub.pem`;
const key = importKey
  ? new ByokImportedKey(
      "key",
      {
        vaultUrl: hsm.hsmUri,
        name: config.get("keyName") ?? "ContosoFirstHSMkey",
        byok: readSetting(
          byokFile,
          "byokFile",
          "wrap the target key for the exported kekKid and kekPublicKeyPem first (README.md, the offline step), or set importKey false",
        ),
        keyType: "RSA",
        // preview fails early if the file was wrapped for another KEK or KEK version
        kekKid: hsm.kekKid,
        // proves the HSM now holds the key the offline side made, not just some key
        ...(existsSync(publicKeyFile)
          ? { expectedPublicKeyPem: readFileSync(publicKeyFile, "utf8") }
          : {}),
      },
      { dependsOn: [hsm] },
    )
  : undefined;

/** The HSM's data-plane URL. */
export const hsmUri = hsm.hsmUri;
/** The KEK's versioned id: the kid the .byok file must name (`azure-byok wrap --kek-kid`). */
export const kekKid = hsm.kekKid;
/** The KEK's public key, SPKI PEM: what the offline side wraps for (`--kek-pem`). */
export const kekPublicKeyPem = hsm.kekPublicKeyPem;
/** The security domain, secret: `pulumi stack output securityDomain --show-secrets`. */
export const securityDomain = hsm.securityDomain;
/** The certificates the security domain is encrypted to. */
export const securityDomainCertificates = hsm.certificatePems;
/** The imported key's versioned id; null until phase 2. */
export const keyId = key?.kid ?? null;
/** SHA-256 of the .byok file the key came from (the file itself is never in state). */
export const byokSha256 = key?.byokSha256 ?? null;
