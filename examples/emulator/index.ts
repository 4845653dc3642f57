// An import-only RSA-HSM KEK in the vault from config and, once a .byok file wrapped for it exists, the key that file carries.
//
// Phase 1 (no .byok file yet): `pulumi up` creates the KEK and exports its kid and public key;
// wrap the target key for them offline. Phase 2 (byokFile points at the file): `pulumi up`
// imports the key, checking that the file names this KEK and that the HSM now holds the public
// key you expect. `npm start` runs both phases against the emulator without the Pulumi CLI.
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { ByokImportedKey, ImportKek } from "pulumi-azure-byok";

const config = new pulumi.Config();

/** A setting from the stack's config, else from the environment (how CI and the demo pass it). */
function setting(key: string, environmentName: string): string | undefined {
  return config.get(key) ?? process.env[environmentName];
}

const vaultUrl = setting("vaultUrl", "AZURE_BYOK_VAULT_URL");
if (vaultUrl === undefined) {
  throw new Error(
    "vaultUrl is not set: run `pulumi config set vaultUrl <url>` with the Managed HSM's URL " +
      "(for the emulator, https://127.0.0.1:<port> from `azure-byok emulator`), or export AZURE_BYOK_VAULT_URL",
  );
}
const kekSize = Number(setting("kekSize", "AZURE_BYOK_KEK_SIZE") ?? "4096");
if (kekSize !== 2048 && kekSize !== 3072 && kekSize !== 4096) {
  throw new Error(`kekSize is ${kekSize}: use 2048, 3072 or 4096 (default 4096)`);
}

const kek = new ImportKek("kek", {
  vaultUrl,
  name: setting("kekName", "AZURE_BYOK_KEK_NAME") ?? "KEKforBYOK",
  size: kekSize,
});

// Phase 2 starts when the .byok file exists: before that the stack holds only the KEK.
const byokFile = setting("byokFile", "AZURE_BYOK_BYOK_FILE");
const publicKeyFile = setting("targetPublicKeyFile", "AZURE_BYOK_TARGET_PUBLIC_KEY_FILE");
const key =
  byokFile !== undefined && existsSync(byokFile)
    ? new ByokImportedKey("key", {
        vaultUrl: kek.vaultUrl,
        name: setting("keyName", "AZURE_BYOK_KEY_NAME") ?? "ContosoFirstHSMkey",
        byok: readFileSync(byokFile, "utf8"),
        keyType: "RSA",
        // preview fails early if the file was wrapped for another KEK or KEK version
        kekKid: kek.kid,
        // proves the HSM now holds the key the offline side made, not just some key
        ...(publicKeyFile !== undefined && existsSync(publicKeyFile)
          ? { expectedPublicKeyPem: readFileSync(publicKeyFile, "utf8") }
          : {}),
      })
    : undefined;

/** The KEK's versioned id: the `kid` a `.byok` file must name. */
export const kekKid = kek.kid;
/** The KEK's public key (SPKI PEM): wrap target keys for it offline. */
export const kekPublicKeyPem = kek.publicKeyPem;
/** The imported key's versioned id; null until a `.byok` file is configured. */
export const keyId = key?.kid ?? null;
/** The imported key's version; null until a `.byok` file is configured. */
export const keyVersion = key?.version ?? null;
/** SHA-256 of the `.byok` file the key came from (the file itself is never in state). */
export const byokSha256 = key?.byokSha256 ?? null;
