/**
 * The committed key transfer packages of this GitOps stack: every `keys/<name>.byok`, with its
 * sidecar `keys/<name>.json` (`{"keyType": "RSA"}` or `{"keyType": "EC", "curve": "P-256"}`) and,
 * when committed, the target's public key `keys/<name>.byok.pub.pem` (what
 * `azure-byok wrap --generate` writes next to the file).
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The curves Key Vault imports EC keys on. */
const CURVES = ["P-256", "P-256K", "P-384", "P-521"] as const;

/** One key to import, read from `keys/`. */
export interface CommittedByokFile {
  /** The Key Vault key name: the file name without `.byok`. */
  readonly name: string;
  /** The `.byok` file's content. */
  readonly byok: string;
  /** From the sidecar. */
  readonly keyType: "RSA" | "EC" | "oct";
  /** From the sidecar; EC only. */
  readonly curve?: (typeof CURVES)[number];
  /** `keys/<name>.byok.pub.pem`, when committed. */
  readonly expectedPublicKeyPem?: string;
}

/** Key Vault key names: 1-127 letters, digits and hyphens. */
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** Reads a sidecar; the message names the file and the fix. */
function readSidecar(path: string): Pick<CommittedByokFile, "keyType" | "curve"> {
  const fix = `write {"keyType": "RSA"}, {"keyType": "EC", "curve": "P-256"} or {"keyType": "oct"}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: ${fix}`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path} is not JSON: ${fix}`, { cause: error });
  }
  const { keyType, curve } = (typeof value === "object" && value !== null ? value : {}) as {
    keyType?: unknown;
    curve?: unknown;
  };
  if (keyType === "RSA" || keyType === "oct") {
    if (curve !== undefined) throw new Error(`${path}: curve is for EC keys only; remove it`);
    return { keyType };
  }
  if (keyType === "EC") {
    const found = CURVES.find((known) => known === curve);
    if (found === undefined) {
      throw new Error(
        `${path}: curve is ${JSON.stringify(curve)}; use one of ${CURVES.join(", ")}`,
      );
    }
    return { keyType, curve: found };
  }
  throw new Error(`${path}: keyType is ${JSON.stringify(keyType)}; ${fix}`);
}

/**
 * Lists the `.byok` files in `dir` (not its subfolders), sorted by name.
 *
 * @param dir - the folder the offline operator commits to (`keys`).
 * @returns one entry per `<name>.byok`; none when the folder does not exist.
 * @throws Error naming the file when a name is not a Key Vault key name, a sidecar is missing or
 * wrong, or a sidecar has no `.byok` file.
 */
export function readCommittedByokFiles(dir: string): CommittedByokFile[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).sort();
  for (const file of files) {
    if (file.endsWith(".json") && !files.includes(`${file.slice(0, -".json".length)}.byok`)) {
      throw new Error(
        `${join(dir, file)} has no ${file.slice(0, -".json".length)}.byok next to it: commit the .byok file, or delete the sidecar`,
      );
    }
  }
  return files
    .filter((file) => file.endsWith(".byok"))
    .map((file) => {
      const name = file.slice(0, -".byok".length);
      if (!KEY_NAME.test(name)) {
        throw new Error(
          `${join(dir, file)}: "${name}" is not a Key Vault key name (1-127 letters, digits and hyphens); rename the file`,
        );
      }
      const publicKeyFile = join(dir, `${file}.pub.pem`);
      return {
        name,
        byok: readFileSync(join(dir, file), "utf8"),
        ...readSidecar(join(dir, `${name}.json`)),
        ...(existsSync(publicKeyFile)
          ? { expectedPublicKeyPem: readFileSync(publicKeyFile, "utf8") }
          : {}),
      };
    });
}
