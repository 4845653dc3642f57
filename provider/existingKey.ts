/**
 * What `ByokImportedKey`'s create does when a key of its name already exists in the vault while
 * the resource is not in the stack's state: a key made outside Pulumi, or the key a deploy
 * imported before it was interrupted (the plugin host killed, a runner cancelled) and so never
 * recorded. Importing the file again there would leave a second enabled version of the same key
 * material, so the choice is the user's, through `adoptExisting`, unless the vault proves the key
 * is the declared one.
 *
 * @module
 * @internal
 */
import { createPublicKey } from "node:crypto";
import { RSA_KEY_SIZES, describeKeySpec, targetSpecsForWrappedLength } from "../byok/index.js";
import { ProviderError } from "./errors.js";
import type { ByokImportedKeyInputs, KeyFacts } from "./types.js";

/** True when two SPKI PEMs hold the same public key (PEM text may differ in line breaks). */
export function sameSpki(a: string, b: string): boolean {
  const der = (pem: string) =>
    createPublicKey({ key: pem, format: "pem" }).export({ type: "spki", format: "der" });
  return der(a).equals(der(b));
}

/** Why the existing key is not the one the inputs describe; [] when nothing contradicts it. */
function adoptProblems(
  news: ByokImportedKeyInputs,
  facts: KeyFacts,
  ciphertextBytes: number,
): string[] {
  const problems: string[] = [];
  const kty = facts.kty.replace(/-HSM$/, "");
  if (kty !== news.keyType) problems.push(`it is ${facts.kty}, not ${news.keyType}`);
  if (news.keyType === "EC" && facts.curve !== news.curve) {
    problems.push(`its curve is ${facts.curve ?? "unknown"}, not ${news.curve ?? "unknown"}`);
  }
  if (news.keyType === "RSA" && facts.keySize !== undefined) {
    const sizes = RSA_KEY_SIZES.flatMap((bits) =>
      targetSpecsForWrappedLength(ciphertextBytes - bits / 8).filter((spec) => spec.kty === "RSA"),
    ).map(describeKeySpec);
    if (!sizes.includes(`RSA-${facts.keySize}`)) {
      problems.push(
        `it is RSA-${facts.keySize}, which the .byok file (it holds ${sizes.join(" or ") || "no RSA key"}) cannot be`,
      );
    }
  }
  if (
    news.expectedPublicKeyPem !== undefined &&
    (facts.publicKeyPem === undefined || !sameSpki(news.expectedPublicKeyPem, facts.publicKeyPem))
  ) {
    problems.push("its public key differs from expectedPublicKeyPem");
  }
  return problems;
}

/**
 * With `adoptExisting: true`, checks that a key already in the vault is the one the inputs
 * describe: the same key type and curve, a size the `.byok` ciphertext can hold and, when given,
 * exactly `expectedPublicKeyPem`.
 *
 * @throws ProviderError `ERR_ADOPT_MISMATCH` naming each difference.
 */
export function checkAdoptable(
  news: ByokImportedKeyInputs,
  facts: KeyFacts,
  ciphertextBytes: number,
): void {
  const problems = adoptProblems(news, facts, ciphertextBytes);
  if (problems.length > 0) {
    throw new ProviderError(
      "ERR_ADOPT_MISMATCH",
      `adoptExisting found key "${news.name}" in ${news.vaultUrl}, but ${problems.join("; ")}: it is not the key this .byok file describes. Use another name, or set adoptExisting: false to import the file as a new version of it.`,
    );
  }
}

/** What create does about the key it found: import the file, or bind to the key as it is. */
export type ExistingKeyDecision =
  { readonly action: "import" } | { readonly action: "adopt"; readonly note?: string };

/**
 * Decides what create does, given the key's current version (`undefined` when there is no key):
 *
 * - no key: import.
 * - `adoptExisting: true`: bind to it after {@link checkAdoptable}.
 * - `adoptExisting: false`: import the file as a new version of it, as asked.
 * - `adoptExisting` unset and the current version disabled: import. Nothing usable is shadowed,
 *   and this is how the next `up` follows a create that failed `expectedPublicKeyPem` (that
 *   disabled the version it imported).
 * - unset, enabled, and the vault proves it is the declared key (its public key is
 *   `expectedPublicKeyPem`, type and curve match): bind to it, with a `note`. This is the next
 *   deploy after one interrupted once its import had committed: no second version is made.
 * - unset and enabled otherwise (no `expectedPublicKeyPem`, an oct key, another public key):
 *   nothing here proves what the key holds, so create refuses, naming both settings.
 *
 * @throws ProviderError `ERR_ADOPT_MISMATCH` (adoptExisting: true and another key),
 *   `ERR_KEY_EXISTS` (adoptExisting unset and nothing proves the key is this file's).
 */
export function decideOnExistingKey(
  news: ByokImportedKeyInputs,
  existing: KeyFacts | undefined,
  ciphertextBytes: number,
): ExistingKeyDecision {
  if (existing === undefined || news.adoptExisting === false) return { action: "import" };
  if (news.adoptExisting === true) {
    checkAdoptable(news, existing, ciphertextBytes);
    return { action: "adopt" };
  }
  if (!existing.attributes.enabled) return { action: "import" };
  const problems = adoptProblems(news, existing, ciphertextBytes);
  if (news.expectedPublicKeyPem !== undefined && problems.length === 0) {
    return {
      action: "adopt",
      note: `key "${news.name}" already existed with the public key in expectedPublicKeyPem (version ${existing.version}, perhaps imported by a deploy that was interrupted before it was recorded): bound to it instead of importing the same key again`,
    };
  }
  const why =
    problems.length > 0
      ? ` (${problems.join("; ")})`
      : news.expectedPublicKeyPem === undefined
        ? " and nothing proves it holds this file's key (no expectedPublicKeyPem is given)"
        : "";
  throw new ProviderError(
    "ERR_KEY_EXISTS",
    `key "${news.name}" already exists in ${news.vaultUrl} (current version ${existing.version}, enabled) but is not in this stack's state${why}: a deploy may have been interrupted after its import, or the key was made outside Pulumi. Importing again would add a second enabled version. Set adoptExisting: true to bind to the key as it is (nothing is imported; give expectedPublicKeyPem to prove it is this file's key), or adoptExisting: false to import this file as a new version of it.`,
  );
}
