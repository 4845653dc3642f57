/**
 * `check` of `ByokImportedKey`: every input validated offline (names, key type and curve, key
 * operations, dates, tags, the `.byok` header and sizes, its match with `kekKid` and the vault),
 * every failure reported at once, the unknown sentinel tolerated everywhere.
 *
 * @module
 * @internal
 */
import { createPublicKey } from "node:crypto";
import {
  EC_CURVES,
  RSA_KEY_SIZES,
  describeKeySpec,
  isByokError,
  isEcCurve,
  parseByokFile,
  parseVersionedKeyId,
  targetSpecsForWrappedLength,
} from "../byok/index.js";
import type { ByokPackage, KeySpec, VaultKind } from "../byok/index.js";
import { byokDigestForm, isByokDigestForm } from "./byokDigest.js";
import {
  Failures,
  checkDates,
  checkKeyName,
  checkOptionalBoolean,
  checkRoleWaitSeconds,
  checkTags,
  checkVaultUrl,
  isAbsent,
} from "./validateCommon.js";
import type { CheckFailure } from "./validateCommon.js";
import { containsUnknown, isUnknown } from "./unknowns.js";

/** The key types a `.byok` file can be imported as (sent as `RSA-HSM`, `EC-HSM`, `oct-HSM`). */
export const IMPORTED_KEY_TYPES = ["RSA", "EC", "oct"] as const;

/** Key operations Key Vault knows (contracts §3.2), and which a target key of each type may have. */
export const KEY_OPERATIONS_BY_TYPE: Readonly<
  Record<(typeof IMPORTED_KEY_TYPES)[number], readonly string[]>
> = {
  RSA: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "export"],
  EC: ["sign", "verify", "export"],
  oct: ["encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "export"],
};

const KEK_MODULUS_BYTES = RSA_KEY_SIZES.map((bits) => bits / 8);

/** The result of {@link validateImportedKeyInputs}. */
export interface ImportedKeyCheck {
  /** The inputs to store: `byok` replaced by its digest form, never the content. */
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
  /** The `.byok` content, when it was known and parsed: for the caller to stage. */
  readonly byokText?: string;
}

/**
 * Validates `ByokImportedKey` inputs without any network call.
 *
 * @param news - the inputs from the program; any value may be the unknown sentinel.
 * @returns the inputs to store (the `.byok` content replaced by its digest), every failure with
 *   the property and the fix, and the content for staging.
 */
export function validateImportedKeyInputs(news: Record<string, unknown>): ImportedKeyCheck {
  const failures = new Failures();
  const vault = checkVaultUrl(news.vaultUrl, failures);
  checkKeyName(news.name, failures);
  const keyType = checkKeyType(news, vault?.vaultKind, failures);
  checkKeyOps(news.keyOps, keyType, failures);
  for (const property of ["enabled", "exportable", "purgeOnDelete", "adoptExisting"]) {
    checkOptionalBoolean(news[property], property, failures);
  }
  checkDates(news, failures);
  checkTags(news.tags, failures);
  checkRoleWaitSeconds(news.roleWaitSeconds, failures);
  checkRelease(news, failures);
  checkExpectedPublicKey(news.expectedPublicKeyPem, keyType, failures);
  const kekKid = checkKekKid(news.kekKid, failures);
  const { byokText, inputs } = checkByok(
    news,
    { vaultUrl: vault?.vaultUrl, kekKid, keyType },
    failures,
  );
  return byokText === undefined
    ? { inputs, failures: failures.list }
    : { inputs, failures: failures.list, byokText };
}

type KnownKeyType =
  { kty: "RSA" } | { kty: "EC"; curve: (typeof EC_CURVES)[number] } | { kty: "oct" };

function checkKeyType(
  news: Record<string, unknown>,
  vaultKind: VaultKind | undefined,
  failures: Failures,
): KnownKeyType | undefined {
  const { keyType, curve } = news;
  if (isUnknown(keyType)) return undefined;
  if (keyType !== "RSA" && keyType !== "EC" && keyType !== "oct") {
    failures.add(
      "keyType",
      `keyType is ${JSON.stringify(keyType)}: give "RSA", "EC" or "oct" (sent as RSA-HSM, EC-HSM, oct-HSM); match the key you wrapped`,
    );
    return undefined;
  }
  if (keyType === "oct" && vaultKind === "vault") {
    failures.add(
      "keyType",
      'keyType "oct" (AES) can only be imported into a Managed HSM, and vaultUrl is a Key Vault: use a https://<name>.managedhsm.azure.net URL or an RSA/EC key',
    );
  }
  if (keyType === "EC") {
    if (isUnknown(curve)) return undefined;
    if (isAbsent(curve)) {
      failures.add(
        "curve",
        `curve is required when keyType is "EC": give one of ${EC_CURVES.join(", ")}`,
      );
      return undefined;
    }
    if (!isEcCurve(curve)) {
      failures.add(
        "curve",
        `curve is ${JSON.stringify(curve)}: give one of ${EC_CURVES.join(", ")}`,
      );
      return undefined;
    }
    return { kty: "EC", curve };
  }
  if (!isAbsent(curve)) {
    failures.add(
      "curve",
      `curve is set but keyType is "${keyType}": a curve applies only to EC keys; remove curve`,
    );
  }
  return { kty: keyType };
}

function checkKeyOps(value: unknown, keyType: KnownKeyType | undefined, failures: Failures): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (!Array.isArray(value)) {
    failures.add("keyOps", 'keyOps must be a list such as ["sign", "verify"]');
    return;
  }
  const seen = new Set<string>();
  value.forEach((op: unknown, index) => {
    if (containsUnknown(op)) return;
    const property = `keyOps[${index}]`;
    if (typeof op !== "string") {
      failures.add(property, `${property} is a ${typeof op}: key operations are strings`);
      return;
    }
    if (seen.has(op))
      failures.add(property, `${property} "${op}" is listed twice: remove the duplicate`);
    seen.add(op);
    if (op === "import") {
      failures.add(
        property,
        '"import" is only for a KEK (ImportKek), and excludes every other operation: remove it from keyOps',
      );
      return;
    }
    if (keyType === undefined) return;
    const allowed = KEY_OPERATIONS_BY_TYPE[keyType.kty];
    if (!allowed.includes(op)) {
      failures.add(
        property,
        `${property} "${op}" is not an operation of ${keyType.kty} keys: use ${allowed.join(", ")}`,
      );
    }
  });
}

function checkRelease(news: Record<string, unknown>, failures: Failures): void {
  const { exportable, releasePolicy } = news;
  if (exportable === true && isAbsent(releasePolicy)) {
    failures.add(
      "releasePolicy",
      "exportable is true but releasePolicy is not set: Key Vault requires a release policy on an exportable key; give releasePolicy.policy",
    );
  }
  if (isAbsent(releasePolicy) || isUnknown(releasePolicy)) return;
  if (typeof releasePolicy !== "object" || Array.isArray(releasePolicy)) {
    failures.add(
      "releasePolicy",
      'releasePolicy must be { policy: "<JSON>", immutable?: boolean }',
    );
    return;
  }
  const { policy, immutable } = releasePolicy as Record<string, unknown>;
  checkOptionalBoolean(immutable, "releasePolicy.immutable", failures);
  if (isUnknown(policy)) return;
  let parsed: unknown;
  try {
    parsed = typeof policy === "string" ? JSON.parse(policy) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    failures.add(
      "releasePolicy.policy",
      'releasePolicy.policy must be the policy JSON text, such as {"version":"1.0.0","anyOf":[…]}',
    );
  }
  if (exportable !== true && !isUnknown(exportable)) {
    failures.add(
      "exportable",
      "releasePolicy is set but exportable is not true: set exportable: true, or remove releasePolicy",
    );
  }
}

function checkExpectedPublicKey(
  value: unknown,
  keyType: KnownKeyType | undefined,
  failures: Failures,
): void {
  if (isAbsent(value) || isUnknown(value)) return;
  if (keyType?.kty === "oct") {
    failures.add(
      "expectedPublicKeyPem",
      "expectedPublicKeyPem is set but an oct (AES) key has no public key: remove expectedPublicKeyPem",
    );
    return;
  }
  let kind: string | undefined;
  let curve: string | undefined;
  try {
    if (typeof value !== "string") throw new TypeError("not a string");
    const key = createPublicKey({ key: value, format: "pem" });
    kind = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    failures.add(
      "expectedPublicKeyPem",
      "expectedPublicKeyPem does not parse: give the target key's public key as SPKI PEM (-----BEGIN PUBLIC KEY-----)",
    );
    return;
  }
  if (keyType === undefined) return;
  const expected = keyType.kty === "RSA" ? "rsa" : "ec";
  if (kind !== expected) {
    failures.add(
      "expectedPublicKeyPem",
      `expectedPublicKeyPem is a public key of type "${kind ?? "unknown"}" but keyType is ${keyType.kty}: give the public key of the key you wrapped`,
    );
    return;
  }
  const nodeCurves: Record<string, string> = {
    "P-256": "prime256v1",
    "P-256K": "secp256k1",
    "P-384": "secp384r1",
    "P-521": "secp521r1",
  };
  if (keyType.kty === "EC" && curve !== nodeCurves[keyType.curve]) {
    failures.add(
      "expectedPublicKeyPem",
      `expectedPublicKeyPem is on curve ${curve ?? "unknown"} but curve is ${keyType.curve}: give the public key of the key you wrapped`,
    );
  }
}

function checkKekKid(value: unknown, failures: Failures): string | undefined {
  if (isAbsent(value) || isUnknown(value)) return undefined;
  if (typeof value !== "string") {
    failures.add("kekKid", "kekKid must be the KEK's versioned key id, such as kek.kid");
    return undefined;
  }
  try {
    parseVersionedKeyId(value, "kekKid");
    return value;
  } catch (error) {
    if (!isByokError(error)) throw error;
    failures.add("kekKid", error.message);
    return undefined;
  }
}

function checkByok(
  news: Record<string, unknown>,
  known: {
    vaultUrl: string | undefined;
    kekKid: string | undefined;
    keyType: KnownKeyType | undefined;
  },
  failures: Failures,
): { inputs: Record<string, unknown>; byokText?: string } {
  const { byok } = news;
  if (isUnknown(byok)) return { inputs: { ...news } };
  if (typeof byok !== "string" || byok === "") {
    failures.add(
      "byok",
      'byok is required: give the .byok file\'s content, e.g. fs.readFileSync("KeyTransferPackage.byok", "utf8")',
    );
    return { inputs: { ...news, byok: null } };
  }
  if (isByokDigestForm(byok)) {
    // Already checked once (the engine re-checks stored inputs in some flows): nothing to parse.
    return { inputs: { ...news } };
  }
  const inputs = { ...news, byok: byokDigestForm(byok) };
  let pkg: ByokPackage;
  try {
    pkg = parseByokFile(byok, { what: "byok" });
  } catch (error) {
    if (!isByokError(error)) throw error;
    failures.add("byok", `${error.message} (${error.code})`);
    return { inputs };
  }
  const header = pkg.kek;
  if (known.kekKid !== undefined) {
    const kek = parseVersionedKeyId(known.kekKid, "kekKid");
    if (
      kek.vaultUrl !== header.vaultUrl ||
      kek.name !== header.name ||
      kek.version !== header.version
    ) {
      failures.add(
        "byok",
        `byok.header.kid is ${pkg.header.kid} but kekKid is ${known.kekKid}: the file was wrapped for another KEK (or KEK version); wrap the target key again with the current KEK's public key`,
      );
    }
  }
  if (known.vaultUrl !== undefined && header.vaultUrl !== known.vaultUrl) {
    failures.add(
      "byok",
      `byok.header.kid names a KEK in ${header.vaultUrl} but vaultUrl is ${known.vaultUrl}: the KEK must live in the vault the key is imported into; wrap the key for a KEK in ${known.vaultUrl}`,
    );
  }
  checkCiphertextFits(pkg.ciphertext.length, known.keyType, failures);
  return { inputs, byokText: byok };
}

/**
 * The ciphertext is the KEK's RSA block followed by the wrapped key (contracts §1.5), so its
 * length says which KEK sizes and target key types it can hold.
 */
function checkCiphertextFits(
  length: number,
  keyType: KnownKeyType | undefined,
  failures: Failures,
): void {
  const candidates: KeySpec[] = KEK_MODULUS_BYTES.flatMap((modulus) =>
    length > modulus ? [...targetSpecsForWrappedLength(length - modulus)] : [],
  );
  if (candidates.length === 0) {
    failures.add(
      "byok",
      `byok.ciphertext is ${length} bytes, which fits no 2048/3072/4096-bit KEK and target key: the file is damaged or not a CKM_RSA_AES_KEY_WRAP package; export it again (ERR_BYOK_CIPHERTEXT_LENGTH)`,
    );
    return;
  }
  if (keyType === undefined) return;
  const fits = candidates.some(
    (spec) =>
      spec.kty === keyType.kty &&
      (keyType.kty !== "EC" || (spec.kty === "EC" && spec.curve === keyType.curve)),
  );
  if (!fits) {
    const wanted = keyType.kty === "EC" ? `EC ${keyType.curve}` : keyType.kty;
    const holds = [...new Set(candidates.map(describeKeySpec))].join(", ");
    failures.add(
      "keyType",
      `keyType is ${wanted} but the .byok ciphertext (${length} bytes) can only hold ${holds}: set keyType/curve to the key you wrapped, or wrap the intended key`,
    );
  }
}
