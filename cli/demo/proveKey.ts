/**
 * Demo step 6: prove the HSM holds the key the offline side made. The HSM signs a fresh message
 * with the imported key (the stock `CryptographyClient`, `DefaultAzureCredential` through the
 * emulator's managed identity); the signature is checked with Node's crypto against the public
 * key that came out of the offline side, which never saw the HSM.
 *
 * @module
 * @internal
 */
import { constants, createHash, randomBytes, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { CryptographyClient } from "@azure/keyvault-keys";

/** Options of {@link proveImportedKey}. */
export interface ProveImportedKeyOptions {
  /** The imported key's versioned id. */
  readonly keyId: string;
  /** The target's public key from the offline side, SPKI PEM. */
  readonly publicKeyPem: string;
  /** The emulator's CA: this process started before the CA existed, so NODE_EXTRA_CA_CERTS cannot help. */
  readonly caCertPath: string;
  /** The emulator's `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`. */
  readonly identityEnv: Readonly<Record<string, string>>;
}

/** What the proof showed. */
export interface KeyProof {
  readonly algorithm: string;
  readonly messageBytes: number;
  readonly signatureBytes: number;
  readonly verified: boolean;
}

/**
 * Signs in the HSM and verifies offline.
 *
 * @returns whether the HSM's signature verifies with the offline public key.
 */
export async function proveImportedKey(options: ProveImportedKeyOptions): Promise<KeyProof> {
  const saved = { ...process.env };
  // DefaultAzureCredential reads the managed-identity variables when it is built
  Object.assign(process.env, options.identityEnv);
  try {
    const credential = new DefaultAzureCredential();
    const client = new CryptographyClient(options.keyId, credential, {
      // a vault on 127.0.0.1 cannot name itself in the challenge's resource (contracts §3.4)
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca: await readFile(options.caCertPath, "utf8") },
    });
    const message = randomBytes(64);
    const digest = createHash("sha256").update(message).digest();
    const { result: signature } = await client.sign("PS256", digest);
    const verified = verify(
      "sha256",
      message,
      { key: options.publicKeyPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      signature,
    );
    return {
      algorithm: "PS256",
      messageBytes: message.length,
      signatureBytes: signature.length,
      verified,
    };
  } finally {
    for (const name of Object.keys(options.identityEnv)) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  }
}
