/**
 * `ByokImportedKey`: a target key imported from a `.byok` key transfer package.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's own exports object: the serializer stores it by name (installLayout.ts)
import byokImportedKeyProvider = require("./shells/byokImportedKey.js");
import type { ByokHeaderOutput, KeyAttributesOutput, ReleasePolicy } from "./types.js";

/**
 * The release policy of an exportable key, as a program gives it: each field may come from
 * another resource (an attestation authority's URI inside `policy`, for example).
 */
export interface ReleasePolicyInput {
  /**
   * The policy document, JSON text (`{"version":"1.0.0","anyOf":[…]}`): who may release the key
   * (attestation authorities and claims). Required. A change is PATCHed in place.
   */
  readonly policy: pulumi.Input<string>;
  /**
   * When true the policy can never be changed again (the service refuses later changes; the
   * next `up` that changes it fails). Default false.
   */
  readonly immutable?: pulumi.Input<boolean>;
}

/** The arguments of {@link ByokImportedKey}. */
export interface ByokImportedKeyArgs {
  /**
   * The Managed HSM or Key Vault Premium base URL, usually `kek.vaultUrl`: the KEK named in the
   * file's header must live there. Changing it replaces the key.
   */
  readonly vaultUrl: pulumi.Input<string>;
  /** The key name: 1-127 of `[0-9a-zA-Z-]`, case-insensitive. Changing it replaces the key. */
  readonly name: pulumi.Input<string>;
  /**
   * The `.byok` file's content (UTF-8 JSON), e.g. `fs.readFileSync("key.byok", "utf8")`.
   * Validated at preview. It is never stored: state records only its SHA-256 (`byokSha256`),
   * and the stored input is `sha256:<hex>`. A different file (by SHA-256) imports a new version
   * of the same key in place; the old version stays.
   */
  readonly byok: pulumi.Input<string>;
  /** `"RSA"`, `"EC"` or `"oct"` (AES, Managed HSM only); sent as `RSA-HSM`/`EC-HSM`/`oct-HSM`. A change imports a new version. */
  readonly keyType: pulumi.Input<"RSA" | "EC" | "oct">;
  /** The curve of an EC key: `P-256`, `P-256K`, `P-384` or `P-521`. Required for EC, refused otherwise. */
  readonly curve?: pulumi.Input<"P-256" | "P-256K" | "P-384" | "P-521">;
  /**
   * The KEK's versioned id, usually `kek.kid`. When given, preview fails early if the file was
   * wrapped for another KEK or KEK version. Default: unset, and the file's header is checked
   * only against `vaultUrl` (a wrong KEK then shows as `ERR_BYOK_REJECTED` at `up`). Never
   * causes a change by itself.
   */
  readonly kekKid?: pulumi.Input<string>;
  /** Key operations; default: the service's default for the key type. Changed in place. */
  readonly keyOps?: pulumi.Input<pulumi.Input<string>[]>;
  /** Whether the key can be used. Default true. Changed in place. */
  readonly enabled?: pulumi.Input<boolean>;
  /**
   * ISO 8601 expiry; unset means no opinion. At most 2038-01-19T03:14:07Z: the Azure SDK sends
   * dates as 32-bit seconds, so check refuses later ones. Changed in place.
   */
  readonly expiresOn?: pulumi.Input<string>;
  /**
   * ISO 8601 activation date, at most 2038-01-19T03:14:07Z; unset means no opinion. Changed in
   * place.
   */
  readonly notBefore?: pulumi.Input<string>;
  /** Up to 15 tags. Default none. Changed in place. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Whether the key can be released (needs `releasePolicy`). Default false. A change imports a new version. */
  readonly exportable?: pulumi.Input<boolean>;
  /**
   * The release policy of an exportable key; required when `exportable` is true, refused
   * otherwise. Default: none. Changed in place (unless it was made immutable).
   */
  readonly releasePolicy?: pulumi.Input<ReleasePolicyInput>;
  /**
   * The target key's public key (SPKI PEM), to prove the HSM now holds the key you meant. Unset
   * means no check. Not for oct keys.
   *
   * If the imported key differs, the new version is disabled and the operation fails with
   * `ERR_PUBLIC_KEY_MISMATCH`, saying how to recover. Disabling is the safest choice Key Vault
   * allows: it cannot delete one version, and an enabled wrong version would serve every caller
   * of the versionless id. Until a good version is imported, calls through the versionless id
   * fail (the disabled version is the latest); earlier versions are untouched. Recover by
   * wrapping the intended key again and running `pulumi up`, which imports a new, enabled
   * current version. A failed create is not recorded in the state; the key with its disabled
   * version stays in the vault and the next `up` imports into it.
   */
  readonly expectedPublicKeyPem?: pulumi.Input<string>;
  /** When true, deleting the resource also purges the key. Default false (soft delete). */
  readonly purgeOnDelete?: pulumi.Input<boolean>;
  /**
   * What create does when a key of this name already exists but this resource is not in the
   * stack's state (a key made outside Pulumi, or one a deploy imported before it was interrupted
   * and could record it):
   *
   * - `true`: bind to it instead of importing, after checking it is the key the inputs describe:
   *   the same type and curve, a size the file can hold and, when given, exactly
   *   `expectedPublicKeyPem` (only that last check proves identity; give it). This is the way to
   *   bring an existing key under Pulumi: `pulumi import` cannot reach a dynamic provider (the
   *   engine calls Read without the provider, pulumi/pulumi#16175).
   * - `false`: import the file as a new version of it.
   * - unset (the default): bind to it when its current version is enabled and its public key is
   *   `expectedPublicKeyPem` (so the next deploy after an interrupted one makes no second
   *   version; `note` says so); import when its current version is disabled; otherwise fail with
   *   `ERR_KEY_EXISTS`, which names both settings, rather than add a second enabled version.
   *
   * Never causes a change once the resource is in state.
   */
  readonly adoptExisting?: pulumi.Input<boolean>;
  /**
   * How long create keeps retrying when the service refuses the call for a missing role (HTTP
   * 403), in seconds: a role granted in the same deployment can take a while to take effect
   * (minutes for Azure RBAC on a vault; usually seconds for Managed HSM local RBAC). Each retry is
   * logged. 0 to 1800; default 0 (fail at once, naming the role to grant). Changes nothing in
   * the vault and never causes a diff.
   */
  readonly roleWaitSeconds?: pulumi.Input<number>;
}

/**
 * A key imported into a Managed HSM or Key Vault Premium from a `.byok` file wrapped for an
 * {@link ImportKek}. Rotation is a new file: it imports a new version in place.
 *
 * Drift: `pulumi refresh` records tags, enabled and dates changed outside Pulumi (the next `up`
 * puts back what the program declares, in place), a key deleted outside Pulumi (it leaves the
 * state; the next `up` imports it again) and a newer version made outside Pulumi, in
 * `latestVersion`. For the last, the next `up` shows an update with no input changed (the
 * dynamic provider host cannot show the reason; refresh showed `latestVersion` move): it
 * imports the declared `.byok` again as a new version, so the key material the program declares
 * is current again. Nothing is deleted: the version made outside stays and keeps working by its
 * versioned id. To make that key material the declared one instead, point `byok` at its file.
 *
 * @example
 * ```ts
 * const key = new ByokImportedKey("app", {
 *   vaultUrl: kek.vaultUrl,
 *   name: "ContosoFirstHSMkey",
 *   byok: fs.readFileSync("KeyTransferPackage-ContosoFirstHSMkey.byok", "utf8"),
 *   keyType: "RSA",
 *   kekKid: kek.kid,
 * });
 * export const keyId = key.kid;
 * ```
 */
export class ByokImportedKey extends pulumi.dynamic.Resource {
  /** The vault's base URL, normalized. */
  declare public readonly vaultUrl: pulumi.Output<string>;
  /** The key name. */
  declare public readonly name: pulumi.Output<string>;
  /** The versioned key id of the version this resource manages. */
  declare public readonly kid: pulumi.Output<string>;
  /** The key id without version: what most Azure services take. */
  declare public readonly versionlessId: pulumi.Output<string>;
  /** The version this resource manages. */
  declare public readonly version: pulumi.Output<string>;
  /**
   * The newest version in the vault at the last read. When it differs from `version`, a newer
   * version was made outside Pulumi, and the next `up` imports the declared `.byok` again so it is
   * current (an update in place; the other version stays).
   */
  declare public readonly latestVersion: pulumi.Output<string>;
  /** `RSA`, `EC` or `oct`. */
  declare public readonly keyType: pulumi.Output<string>;
  /** The EC curve, for EC keys. */
  declare public readonly curve: pulumi.Output<string | undefined>;
  /** The RSA modulus size in bits, for RSA keys. */
  declare public readonly keySize: pulumi.Output<number | undefined>;
  /** The key operations in the vault. */
  declare public readonly keyOps: pulumi.Output<string[]>;
  /** The public key, SPKI PEM, for RSA and EC keys. */
  declare public readonly publicKeyPem: pulumi.Output<string | undefined>;
  /** SHA-256 (hex) of the `.byok` file this version came from. */
  declare public readonly byokSha256: pulumi.Output<string>;
  /** The KEK id from the `.byok` header. */
  declare public readonly byokKekKid: pulumi.Output<string>;
  /**
   * The `.byok` file's header (`kid`, `alg`, `enc`), `schemaVersion` and `generator`: public
   * metadata that says which KEK and tool made the current version. Never the ciphertext.
   * Undefined in state written by a version of this package without it, until the next import.
   */
  declare public readonly byokHeader: pulumi.Output<ByokHeaderOutput | undefined>;
  /** The version's attributes: enabled, dates (ISO 8601), recovery level, exportable. */
  declare public readonly attributes: pulumi.Output<KeyAttributesOutput>;
  /** The tags in the vault. */
  declare public readonly tags: pulumi.Output<Record<string, string>>;
  /** Whether the version is enabled, as the vault reports it. */
  declare public readonly enabled: pulumi.Output<boolean>;
  /** The expiry in the vault, ISO 8601, if any. */
  declare public readonly expiresOn: pulumi.Output<string | undefined>;
  /** The activation date in the vault, ISO 8601, if any. */
  declare public readonly notBefore: pulumi.Output<string | undefined>;
  /** Whether the key is exportable. */
  declare public readonly exportable: pulumi.Output<boolean>;
  /** The release policy in the vault, if any. */
  declare public readonly releasePolicy: pulumi.Output<ReleasePolicy | undefined>;
  /** The expected public key, as given. */
  declare public readonly expectedPublicKeyPem: pulumi.Output<string | undefined>;
  /** Whether delete purges. */
  declare public readonly purgeOnDelete: pulumi.Output<boolean>;
  /** True when the resource bound to an existing key (`adoptExisting`) instead of importing. */
  declare public readonly adopted: pulumi.Output<boolean>;
  /**
   * Set when create or an import had to tidy up or decide something the user should know: it
   * disabled a duplicate version a retried request had made, or bound to a key that already held
   * `expectedPublicKeyPem` (see `adoptExisting`).
   */
  declare public readonly note: pulumi.Output<string | undefined>;

  /**
   * @param name - the Pulumi resource name (not the key name; that is `args.name`).
   * @param args - the vault, key name, `.byok` content and attributes.
   * @param opts - Pulumi resource options.
   */
  constructor(name: string, args: ByokImportedKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      byokImportedKeyProvider,
      name,
      {
        ...args,
        kid: undefined,
        versionlessId: undefined,
        version: undefined,
        latestVersion: undefined,
        keySize: undefined,
        publicKeyPem: undefined,
        byokSha256: undefined,
        byokKekKid: undefined,
        byokHeader: undefined,
        attributes: undefined,
        adopted: undefined,
        note: undefined,
        curve: args.curve,
        keyOps: args.keyOps,
        tags: args.tags,
        enabled: args.enabled,
        expiresOn: args.expiresOn,
        notBefore: args.notBefore,
        exportable: args.exportable,
        releasePolicy: args.releasePolicy,
        expectedPublicKeyPem: args.expectedPublicKeyPem,
        purgeOnDelete: args.purgeOnDelete,
      },
      opts,
      "azure-byok",
      "ByokImportedKey",
    );
  }
}
