/**
 * `ImportKek`: the Key Exchange Key of BYOK, created inside the HSM.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's own exports object: the serializer stores it by name (installLayout.ts)
import importKekProvider = require("./shells/importKek.js");
import type { KeyAttributesOutput } from "./types.js";

/** The arguments of {@link ImportKek}. */
export interface ImportKekArgs {
  /**
   * The Managed HSM or Key Vault Premium base URL, e.g. `https://contoso.managedhsm.azure.net`.
   * Changing it replaces the KEK (a new key in the other vault; the old one is deleted).
   */
  readonly vaultUrl: pulumi.Input<string>;
  /**
   * The key name in the vault: 1-127 of `[0-9a-zA-Z-]`, case-insensitive. Changing it replaces
   * the KEK.
   */
  readonly name: pulumi.Input<string>;
  /**
   * RSA modulus size in bits: 2048, 3072 or 4096. Default 4096. Changing it creates a new KEK
   * version in place (the old version stays, so files wrapped for it still name an existing key).
   */
  readonly size?: pulumi.Input<2048 | 3072 | 4096>;
  /** Whether the KEK can be used. Default true. Changed in place. */
  readonly enabled?: pulumi.Input<boolean>;
  /**
   * ISO 8601 expiry; unset means none. At most 2038-01-19T03:14:07Z: the Azure SDK sends dates
   * as 32-bit seconds, so check refuses later ones. Changed in place.
   */
  readonly expiresOn?: pulumi.Input<string>;
  /**
   * ISO 8601 activation date, at most 2038-01-19T03:14:07Z; unset means usable at once. Changed
   * in place.
   */
  readonly notBefore?: pulumi.Input<string>;
  /** Up to 15 tags, names and values up to 256 characters. Default none. Changed in place. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * When true, deleting the resource also purges the KEK (not recoverable). Default false: the
   * KEK is soft-deleted and can be recovered during the vault's retention period.
   */
  readonly purgeOnDelete?: pulumi.Input<boolean>;
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
 * An RSA-HSM Key Exchange Key whose key operations are exactly `["import"]`, created in a
 * Managed HSM or a Key Vault Premium vault (contracts §1.2). Wrap target keys for its
 * `publicKeyPem` and `kid`, then import them with `ByokImportedKey`.
 *
 * Credentials come from `DefaultAzureCredential` in the process that runs the provider, never
 * from these arguments. Delete soft-deletes unless `purgeOnDelete` is set.
 *
 * @example
 * ```ts
 * const kek = new ImportKek("kek", {
 *   vaultUrl: "https://contoso.managedhsm.azure.net",
 *   name: "KEKforBYOK",
 *   size: 4096,
 * });
 * export const kekKid = kek.kid;
 * ```
 */
export class ImportKek extends pulumi.dynamic.Resource {
  /** The vault's base URL, normalized (`https://host`). */
  declare public readonly vaultUrl: pulumi.Output<string>;
  /** The key name. */
  declare public readonly name: pulumi.Output<string>;
  /** The versioned key id: the `kid` a `.byok` header must name. */
  declare public readonly kid: pulumi.Output<string>;
  /** The key id without version, `https://host/keys/<name>`. */
  declare public readonly versionlessId: pulumi.Output<string>;
  /** The version this resource manages. */
  declare public readonly version: pulumi.Output<string>;
  /**
   * The newest version in the vault at the last read; differs from `version` when a version was
   * made outside Pulumi (for example `az keyvault key create` run again). The next `up` changes
   * nothing: `kid` stays the version `.byok` files were wrapped for, which still imports.
   */
  declare public readonly latestVersion: pulumi.Output<string>;
  /** The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as `az keyvault key download` writes it. */
  declare public readonly publicKeyPem: pulumi.Output<string>;
  /** The RSA modulus size in bits. */
  declare public readonly keySize: pulumi.Output<number>;
  /** The key operations: always `["import"]`. */
  declare public readonly keyOps: pulumi.Output<string[]>;
  /** The version's attributes: enabled, dates (ISO 8601), recovery level. */
  declare public readonly attributes: pulumi.Output<KeyAttributesOutput>;
  /** The tags in the vault. */
  declare public readonly tags: pulumi.Output<Record<string, string>>;
  /** Whether the version is enabled, as the vault reports it. */
  declare public readonly enabled: pulumi.Output<boolean>;
  /** The expiry in the vault, ISO 8601, if any. */
  declare public readonly expiresOn: pulumi.Output<string | undefined>;
  /** The activation date in the vault, ISO 8601, if any. */
  declare public readonly notBefore: pulumi.Output<string | undefined>;
  /** Whether delete purges. */
  declare public readonly purgeOnDelete: pulumi.Output<boolean>;

  /**
   * @param name - the Pulumi resource name (not the key name; that is `args.name`).
   * @param args - the KEK's vault, name, size and attributes.
   * @param opts - Pulumi resource options.
   */
  constructor(name: string, args: ImportKekArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      importKekProvider,
      name,
      {
        ...args,
        kid: undefined,
        versionlessId: undefined,
        version: undefined,
        latestVersion: undefined,
        publicKeyPem: undefined,
        keySize: undefined,
        keyOps: undefined,
        attributes: undefined,
        tags: args.tags,
        enabled: args.enabled,
        expiresOn: args.expiresOn,
        notBefore: args.notBefore,
        purgeOnDelete: args.purgeOnDelete,
      },
      opts,
      "azure-byok",
      "ImportKek",
    );
  }
}
