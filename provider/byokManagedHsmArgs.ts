/**
 * The arguments of the `ByokManagedHsm` component. Written in our own types, not
 * `@pulumi/azure-native`'s, so a program that uses only `ImportKek` and `ByokImportedKey` type-checks
 * without that package installed.
 *
 * @module
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ManagedHsmBuiltInRole } from "./managedHsmRoles.js";

/** A Managed HSM SKU: `Standard_B1` (family B) unless Microsoft gave you a custom one. */
export type ManagedHsmSkuName =
  "Standard_B1" | "Custom_B32" | "Custom_B6" | "Custom_C42" | "Custom_C10";

/** A Managed HSM role given by name, or any role definition GUID or id. */
export type ManagedHsmRole = ManagedHsmBuiltInRole | (string & Record<never, never>);

/** The HSM's network rules (azure-native `MHSMNetworkRuleSet`). */
export interface ByokManagedHsmNetworkAcls {
  /** What may bypass the rules: `"AzureServices"` or `"None"`. Service default `AzureServices`. */
  readonly bypass?: pulumi.Input<"AzureServices" | "None">;
  /** What happens when no rule matches: `"Allow"` or `"Deny"`. Service default `Allow`. */
  readonly defaultAction?: pulumi.Input<"Allow" | "Deny">;
  /** Allowed client addresses: IPv4 addresses or CIDR ranges (`"203.0.113.0/24"`). */
  readonly ipRules?: pulumi.Input<pulumi.Input<string>[]>;
  /** Allowed subnets, by resource id. */
  readonly virtualNetworkRules?: pulumi.Input<pulumi.Input<string>[]>;
}

/** How the component activates the HSM (see `ManagedHsmActivation`). */
export interface ByokManagedHsmSecurityDomainArgs {
  /**
   * 3 to 10 X.509 certificates (PEM, RSA of 2048 bits or more) to encrypt the security domain
   * to; their private keys stay offline with you. Recommended for production. Default: none, and
   * `certificateCount` are generated. Cannot change after activation.
   */
  readonly certificates?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * How many certificates to generate when none are supplied: 3 to 10. Default 3. Their private
   * keys are secret outputs (`certificatePrivateKeyPems`), kept in state encrypted beside the
   * domain they unlock, and, with `certificatesDirectory`, files of mode 0600. Cannot change
   * after activation.
   */
  readonly certificateCount?: number;
  /**
   * RSA size of generated certificates' keys: 2048, 3072 or 4096. Default 2048. Cannot change
   * after activation.
   */
  readonly certificateKeySize?: 2048 | 3072 | 4096;
  /**
   * How many certificates' keys restore the domain: 2 to 10, at most the number of
   * certificates. Default 2. Cannot change after activation.
   */
  readonly quorum?: number;
  /**
   * Also write the security domain to this file, mode 0600, relative to the program's directory;
   * an existing file fails the activation before anything is downloaded unless `overwriteFiles`.
   * Default: no file. A new path later is written from state.
   */
  readonly path?: pulumi.Input<string>;
  /**
   * Generated certificates only: write `certificate-<i>.pem` (mode 0644: public) and their
   * private keys `certificate-<i>.key.pem` (mode 0600) into this directory. Default: no files.
   */
  readonly certificatesDirectory?: pulumi.Input<string>;
  /** Allow writing over existing files (`path`, `certificatesDirectory`). Default false. */
  readonly overwriteFiles?: pulumi.Input<boolean>;
  /** How long to wait for the activation, 10 to 3600 seconds. Default 600. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/** A role to grant in the HSM's local RBAC. */
export interface ByokManagedHsmRoleAssignmentArgs {
  /** The object id of the user, group, service principal or managed identity. */
  readonly principalId: pulumi.Input<string>;
  /** A built-in role's name (`"Managed HSM Crypto User"`), or a role definition GUID or id. */
  readonly role: pulumi.Input<ManagedHsmRole>;
  /** `"/"`, `"/keys"` or `"/keys/<key name>"`. Default `"/keys"`. */
  readonly scope?: pulumi.Input<string>;
}

/** The KEK the component creates (see `ImportKek`). */
export interface ByokManagedHsmKekArgs {
  /** The key name. Default `KEKforBYOK`. Changing it replaces the KEK. */
  readonly name?: pulumi.Input<string>;
  /** RSA size: 2048, 3072 or 4096. Default 4096. Changing it makes a new KEK version. */
  readonly size?: pulumi.Input<2048 | 3072 | 4096>;
  /** ISO 8601 expiry. Default none. */
  readonly expiresOn?: pulumi.Input<string>;
  /** ISO 8601 activation date. Default none. */
  readonly notBefore?: pulumi.Input<string>;
  /** Key tags. Default none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Purge the KEK when it is deleted (needs Crypto Officer). Default false: soft-delete. */
  readonly purgeOnDelete?: pulumi.Input<boolean>;
  /**
   * How long the KEK's create retries a refusal for a missing role while the deploying
   * identity's new role assignments take effect, in seconds (0 to 1800). Default 300.
   */
  readonly roleWaitSeconds?: pulumi.Input<number>;
}

/** The arguments of `ByokManagedHsm`. */
export interface ByokManagedHsmArgs {
  /**
   * The resource group to create the HSM in. Default: a new resource group (`<name>-rg`) in
   * `location`. Changing it replaces the HSM.
   */
  readonly resourceGroupName?: pulumi.Input<string>;
  /** The Azure region. Default: the resource group's, else the azure-native provider's `location`. */
  readonly location?: pulumi.Input<string>;
  /** The HSM's name, 3-24 of a-z, 0-9 and -. Default: `<name>-hsm` with a random suffix. */
  readonly hsmName?: pulumi.Input<string>;
  /** The Entra tenant of the HSM. Default: the deploying identity's tenant. */
  readonly tenantId?: pulumi.Input<string>;
  /**
   * Object ids of the HSM's initial administrators, who alone can activate it. Default: the
   * deploying identity. The deploying identity must be one of them, or activation and the role
   * assignments fail with a message that says so.
   */
  readonly initialAdminObjectIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** The SKU. Default `Standard_B1`. */
  readonly sku?: pulumi.Input<ManagedHsmSkuName>;
  /**
   * Days a deleted HSM (and a deleted key) stays recoverable: 7 to 90. Default 90. Set only at
   * creation.
   */
  readonly softDeleteRetentionInDays?: pulumi.Input<number>;
  /**
   * Purge protection: nothing deleted can be purged before its retention ends. Irreversible once
   * on. Default false, sent explicitly (azure-native would otherwise turn it on).
   */
  readonly enablePurgeProtection?: pulumi.Input<boolean>;
  /** `"Enabled"` or `"Disabled"`. Default `Enabled`. */
  readonly publicNetworkAccess?: pulumi.Input<"Enabled" | "Disabled">;
  /** Network rules. Default none (the service's: allow, Azure services bypass). */
  readonly networkAcls?: pulumi.Input<ByokManagedHsmNetworkAcls>;
  /** Tags on the HSM (and on a resource group the component creates). Default none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;

  /**
   * Use a Managed HSM provisioned elsewhere (or an emulator's) at this URL instead of creating
   * one: no resource group and no HSM are created, and the HSM arguments above and
   * `dataPlaneUrl` must be left out. With `deployerObjectId` too, `@pulumi/azure-native` is not
   * loaded. The `azure-byok emulator` command's HSMs start activated: set `activate: false`
   * against them. Default: create the HSM.
   */
  readonly existingHsmUri?: pulumi.Input<string>;
  /**
   * The data-plane URL the activation, role assignments and KEK use instead of the created HSM's
   * `properties.hsmUri`, e.g. a private endpoint's name; only when the component creates the HSM
   * (with `existingHsmUri`, that URL is used). Default: `hsmUri`.
   * Credentials are never arguments: they come from `DefaultAzureCredential` in the process that
   * runs the providers (for the emulator, its `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`).
   */
  readonly dataPlaneUrl?: pulumi.Input<string>;

  /**
   * Activate the HSM (download its security domain). Default true. Set false for an HSM that is
   * already active: then nothing is downloaded and `securityDomain` is undefined.
   */
  readonly activate?: boolean;
  /** Certificates, quorum and files of the activation. Default: 3 generated certificates, quorum 2. */
  readonly securityDomain?: ByokManagedHsmSecurityDomainArgs;

  /**
   * The deploying identity's object id, which gets `deployerRoles`. Default: the azure-native
   * provider's identity (`getClientConfig`), which loads `@pulumi/azure-native`: give it with
   * `existingHsmUri` to do without that package.
   */
  readonly deployerObjectId?: pulumi.Input<string>;
  /**
   * Roles granted to the deploying identity at `/keys`, so it can create the KEK and import keys
   * (Crypto User) and purge or recover them (Crypto Officer). Default
   * `["Managed HSM Crypto User", "Managed HSM Crypto Officer"]`.
   */
  readonly deployerRoles?: readonly ManagedHsmBuiltInRole[];
  /**
   * More role assignments, by a label of your choice (letters, digits, `-` and `_`), which names
   * the child resource (`<name>-role-<label>`): `{ app: { principalId, role: "Managed HSM Crypto User" } }`.
   * Keep labels stable: the assignment's name in the HSM comes from scope, role and principal, so
   * a renamed label creates the same assignment under the new resource and then deletes it with
   * the old one; rename with the `aliases` resource option, or run `pulumi up` twice.
   */
  readonly roleAssignments?: Readonly<Record<string, ByokManagedHsmRoleAssignmentArgs>>;

  /** The KEK. Default: `KEKforBYOK`, RSA-HSM 4096. */
  readonly kek?: ByokManagedHsmKekArgs;
}
