// A Key Vault Premium on Azure with an import-only KEK, then an RSA and an EC (P-256) key wrapped offline for it.
//
// Phase 1 (`pulumi up`): a resource group, a Premium vault (Azure RBAC, soft delete, purge
// protection), the Key Vault Crypto Officer role for the deploying identity, and an import-only
// RSA-HSM KEK; exports the KEK's kid and public key. Offline, wrap the two target keys for them
// into keys/rsa.byok and keys/ec.byok and commit them. Phase 2 (`pulumi config set importKeys
// true`, `pulumi up`): both keys are imported into the vault. See README.md.
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as resources from "@pulumi/azure-native/resources";
import { ByokImportedKey, ImportKek } from "pulumi-azure-byok";

const config = new pulumi.Config();

// Built-in role "Key Vault Crypto Officer": create keys and import them (KEK and targets).
const CRYPTO_OFFICER_ROLE = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";

const client = authorization.getClientConfigOutput();

const resourceGroupName = config.get("resourceGroupName");
const vaultName = config.get("vaultName");
const principalType = config.get("deployerPrincipalType");

const group = new resources.ResourceGroup(
  "byok",
  resourceGroupName === undefined ? {} : { resourceGroupName },
);

const vault = new keyvault.Vault("byok", {
  resourceGroupName: group.name,
  // vault names are global, 3-24 characters: without vaultName a random suffix is added
  ...(vaultName === undefined ? {} : { vaultName }),
  properties: {
    tenantId: client.tenantId,
    // BYOK needs HSM-protected keys: Premium, not Standard
    sku: { family: "A", name: keyvault.SkuName.Premium },
    enableRbacAuthorization: true,
    enableSoftDelete: true,
    softDeleteRetentionInDays: config.getNumber("softDeleteRetentionInDays") ?? 7,
    // cannot be turned off again; a purge-protected vault's deleted keys stay for the retention
    enablePurgeProtection: true,
  },
});

const cryptoOfficer = new authorization.RoleAssignment("deployer-crypto-officer", {
  scope: vault.id,
  principalId: client.objectId,
  roleDefinitionId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_OFFICER_ROLE}`,
  // "User" or "ServicePrincipal": saves Azure a directory lookup that a just-made principal fails
  ...(principalType === undefined ? {} : { principalType }),
});

// Azure returns https://<name>.vault.azure.net/; the key ids the KEK and the .byok files carry
// have no trailing slash
const vaultUrl = vault.properties.apply((properties) => properties.vaultUri.replace(/\/+$/, ""));

const kek = new ImportKek(
  "kek",
  {
    vaultUrl,
    name: config.get("kekName") ?? "KEKforBYOK",
    size: 4096,
    // the role below was granted moments ago; Azure RBAC can take minutes to apply (README.md)
    roleWaitSeconds: 600,
  },
  { dependsOn: [cryptoOfficer] },
);

/** A committed file this program reads, with the fix when it is missing. */
function readKeyFile(path: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} does not exist: wrap the key for the exported kekKid and kekPublicKeyPem and commit it (README.md, the offline step), or set importKeys false`,
    );
  }
  return readFileSync(path, "utf8");
}

/** The target key of keys/<file>.byok, proven by keys/<file>.byok.pub.pem when that exists. */
function importKey(
  file: string,
  name: string,
  type: { keyType: "RSA" } | { keyType: "EC"; curve: "P-256" },
): ByokImportedKey {
  const publicKeyFile = `keys/${file}.byok.pub.pem`;
  return new ByokImportedKey(
    `key-${name}`,
    {
      vaultUrl: kek.vaultUrl,
      name,
      byok: readKeyFile(`keys/${file}.byok`),
      ...type,
      // preview fails early if the file was wrapped for another KEK or KEK version
      kekKid: kek.kid,
      // proves the vault now holds the key the offline side made, not just some key
      ...(existsSync(publicKeyFile)
        ? { expectedPublicKeyPem: readFileSync(publicKeyFile, "utf8") }
        : {}),
    },
    { dependsOn: [cryptoOfficer] },
  );
}

// Phase 2: only once both .byok files wrapped for this KEK are committed under keys/.
const importKeys = config.getBoolean("importKeys") ?? false;
const rsaKey = importKeys
  ? importKey("rsa", config.get("rsaKeyName") ?? "byok-rsa", { keyType: "RSA" })
  : undefined;
const ecKey = importKeys
  ? importKey("ec", config.get("ecKeyName") ?? "byok-ec-p256", { keyType: "EC", curve: "P-256" })
  : undefined;

/** The vault's data-plane URL. */
export const vaultUri = vaultUrl;
/** The KEK's versioned id: the kid each .byok file must name (`azure-byok wrap --kek-kid`). */
export const kekKid = kek.kid;
/** The KEK's public key, SPKI PEM: what the offline side wraps for (`--kek-pem`). */
export const kekPublicKeyPem = kek.publicKeyPem;
/** The imported RSA key's versioned id; null until phase 2. */
export const rsaKeyId = rsaKey?.kid ?? null;
/** The imported EC P-256 key's versioned id; null until phase 2. */
export const ecKeyId = ecKey?.kid ?? null;
