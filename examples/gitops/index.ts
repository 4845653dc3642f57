// A GitOps BYOK stack: an import-only KEK in an existing vault, and one imported key per committed keys/<name>.byok.
//
// The KEK's public key and kid are stack outputs; an offline operator wraps a target key for
// them and commits keys/<name>.byok with a sidecar keys/<name>.json naming the key type. The
// workflow (.github/workflows/byok.yml) previews a pull request, which checks the file against
// the KEK, and runs `pulumi up` when it merges. See ../../docs/gitops.md.
import * as pulumi from "@pulumi/pulumi";
import { ByokImportedKey, ImportKek } from "pulumi-azure-byok";
import { readCommittedByokFiles } from "./byokFiles";

const config = new pulumi.Config();

const kek = new ImportKek("kek", {
  // a Managed HSM (https://<name>.managedhsm.azure.net) or a Premium vault (https://<name>.vault.azure.net)
  vaultUrl: config.require("vaultUrl"),
  name: config.get("kekName") ?? "KEKforBYOK",
  size: 4096,
});

// Protected by default: deleting keys/<name>.byok must not delete the key from the vault.
const protect = config.getBoolean("protectKeys") ?? true;

const keys = readCommittedByokFiles("keys").map(
  (file) =>
    new ByokImportedKey(
      // named for the file, never its position: adding a file changes no other key
      `key-${file.name}`,
      {
        vaultUrl: kek.vaultUrl,
        name: file.name,
        byok: file.byok,
        keyType: file.keyType,
        ...(file.curve === undefined ? {} : { curve: file.curve }),
        // preview fails if the file was wrapped for another KEK or KEK version
        kekKid: kek.kid,
        ...(file.expectedPublicKeyPem === undefined
          ? {}
          : { expectedPublicKeyPem: file.expectedPublicKeyPem }),
      },
      { protect },
    ),
);

/** The KEK's versioned id: the kid a .byok file must name (`azure-byok wrap --kek-kid`). */
export const kekKid = kek.kid;
/** The KEK's public key, SPKI PEM: what the offline operator wraps for (`--kek-pem`). */
export const kekPublicKeyPem = kek.publicKeyPem;
/** Each imported key's versioned id, by key name. */
export const keyIds = pulumi
  .all(keys.map((key) => pulumi.all([key.name, key.kid])))
  .apply((pairs) => Object.fromEntries(pairs));
/** SHA-256 of each key's .byok file, by key name: the state holds this, never the file. */
export const byokSha256 = pulumi
  .all(keys.map((key) => pulumi.all([key.name, key.byokSha256])))
  .apply((pairs) => Object.fromEntries(pairs));
