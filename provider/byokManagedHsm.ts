/**
 * `ByokManagedHsm`: a Managed HSM ready for bring-your-own-key, as one component.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";
import { loadAzureNative } from "./azureNative.js";
import type { AzureNativeModules } from "./azureNative.js";
import type { ByokManagedHsmArgs, ManagedHsmSkuName } from "./byokManagedHsmArgs.js";
import { ManagedHsmActivation } from "./hsmActivation.js";
import { ManagedHsmRoleAssignment } from "./hsmRoleAssignment.js";
import { ImportKek } from "./importKek.js";
import type { ManagedHsmBuiltInRole } from "./managedHsmRoles.js";
import { validateByokManagedHsmArgs } from "./validateByokManagedHsm.js";

/** The roles the deploying identity gets at `/keys` unless told otherwise. */
export const DEFAULT_DEPLOYER_ROLES: readonly ManagedHsmBuiltInRole[] = [
  "Managed HSM Crypto User",
  "Managed HSM Crypto Officer",
];

/** The KEK's name unless told otherwise: the one Microsoft's BYOK guides use. */
export const DEFAULT_KEK_NAME = "KEKforBYOK";

/** How long the KEK waits for the deploying identity's new roles to take effect, in seconds. */
export const DEFAULT_KEK_ROLE_WAIT_SECONDS = 300;

/** `Managed HSM Crypto User` → `crypto-user`: the stable part of a child's name. */
function roleSlug(role: ManagedHsmBuiltInRole): string {
  return role
    .replace(/^Managed HSM /, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-");
}

/** `Standard_B1` → family `B`, `Custom_C42` → `C`. */
function skuFamily(sku: ManagedHsmSkuName): "B" | "C" {
  return sku.split("_")[1]?.startsWith("C") === true ? "C" : "B";
}

function withoutTrailingSlash(url: string | undefined): string {
  return (url ?? "").replace(/\/+$/, "");
}

/**
 * A Managed HSM set up for BYOK in one resource: the HSM itself (`@pulumi/azure-native`
 * `keyvault.ManagedHsm`, in a new resource group unless you give one), its activation by a
 * security domain download (`ManagedHsmActivation`), local RBAC roles for the deploying identity
 * and for the principals you list (`ManagedHsmRoleAssignment`), and the KEK (`ImportKek`).
 *
 * Order: the HSM, then the activation, then the role assignments, then the KEK, each child
 * depending on the one before, all parented to this component. The security domain and generated
 * certificates' private keys are secret outputs. Credentials come from `DefaultAzureCredential`
 * (data plane) and the azure-native provider's configuration (control plane).
 *
 * `@pulumi/azure-native` is an optional peer dependency, loaded only when the component creates
 * the HSM or looks up the deploying identity.
 *
 * @example
 * ```ts
 * const hsm = new ByokManagedHsm("contoso", {
 *   location: "westeurope",
 *   securityDomain: { quorum: 2, path: "contoso-security-domain.json" },
 *   roleAssignments: { app: { principalId: appObjectId, role: "Managed HSM Crypto User" } },
 * });
 * export const kekKid = hsm.kekKid;
 * export const kekPublicKeyPem = hsm.kekPublicKeyPem;
 * export const securityDomain = hsm.securityDomain; // secret
 * ```
 */
export class ByokManagedHsm extends pulumi.ComponentResource {
  /** The data-plane URL the children use, without a trailing slash. */
  public readonly hsmUri: pulumi.Output<string>;
  /** The HSM's name: its ARM name, or the first label of `existingHsmUri`'s host. */
  public readonly hsmName: pulumi.Output<string>;
  /** The HSM's ARM resource id; undefined with `existingHsmUri`. */
  public readonly hsmResourceId: pulumi.Output<string | undefined>;
  /** The resource group holding the HSM; undefined with `existingHsmUri`. */
  public readonly resourceGroupName: pulumi.Output<string | undefined>;
  /** The deploying identity's object id, which got `deployerRoles`. */
  public readonly deployerObjectId: pulumi.Output<string>;
  /** The security domain (JSON text) the activation downloaded. Secret. Undefined without activation. */
  public readonly securityDomain: pulumi.Output<string | undefined>;
  /** The certificates the security domain is encrypted to, PEM; empty without activation. */
  public readonly certificatePems: pulumi.Output<string[]>;
  /** Generated certificates' private keys, PKCS#8 PEM; empty when supplied. Secret. */
  public readonly certificatePrivateKeyPems: pulumi.Output<string[]>;
  /** The KEK. */
  public readonly kek: ImportKek;
  /** The KEK's versioned id: the `kid` a `.byok` file must name. */
  public readonly kekKid: pulumi.Output<string>;
  /** The KEK's id without version. */
  public readonly kekVersionlessId: pulumi.Output<string>;
  /** The KEK's public key, SPKI PEM: wrap target keys for it offline. */
  public readonly kekPublicKeyPem: pulumi.Output<string>;
  /** The activation; undefined with `activate: false`. */
  public readonly activation: ManagedHsmActivation | undefined;
  /** Every role assignment child, by label (`deployer-crypto-user`, and `roleAssignments`' labels). */
  public readonly roleAssignments: Readonly<Record<string, ManagedHsmRoleAssignment>>;

  /**
   * @param name - the component's name; children are named `<name>-hsm`, `<name>-activation`,
   *   `<name>-deployer-<role>`, `<name>-role-<label>`, `<name>-kek`.
   * @param args - the HSM, its activation, roles and KEK.
   * @param opts - Pulumi resource options.
   * @throws ProviderError `ERR_INVALID_ARGUMENT` naming every bad argument;
   *   `ERR_AZURE_NATIVE_MISSING` when the HSM must be created and `@pulumi/azure-native` is absent.
   */
  constructor(name: string, args: ByokManagedHsmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("azure-byok:index:ByokManagedHsm", name, {}, opts);
    validateByokManagedHsmArgs(args);
    const parent = { parent: this };
    const creating = args.existingHsmUri === undefined;
    const needsClientConfig =
      args.deployerObjectId === undefined ||
      (creating && (args.tenantId === undefined || args.initialAdminObjectIds === undefined));
    const native: AzureNativeModules | undefined =
      creating || needsClientConfig
        ? loadAzureNative(creating ? "creates the HSM" : "looks up the deploying identity")
        : undefined;
    const clientConfig =
      native !== undefined && needsClientConfig
        ? native.authorization.getClientConfigOutput(parent)
        : undefined;
    const deployer = pulumi.output(
      args.deployerObjectId ?? clientConfig?.objectId ?? pulumi.output(""),
    );

    let hsm: pulumi.CustomResource | undefined;
    let armHsmUri: pulumi.Output<string> | undefined;
    if (native !== undefined && creating) {
      const group =
        args.resourceGroupName === undefined
          ? new native.resources.ResourceGroup(
              `${name}-rg`,
              {
                ...(args.location === undefined ? {} : { location: args.location }),
                ...(args.tags === undefined ? {} : { tags: args.tags }),
              },
              parent,
            )
          : undefined;
      const resourceGroupName = args.resourceGroupName ?? group?.name ?? "";
      const sku = pulumi
        .output(args.sku ?? "Standard_B1")
        .apply((skuName) => ({ family: skuFamily(skuName), name: skuName }));
      const created = new native.keyvault.ManagedHsm(
        `${name}-hsm`,
        {
          resourceGroupName,
          ...(args.location === undefined
            ? group === undefined
              ? {}
              : { location: group.location }
            : { location: args.location }),
          ...(args.hsmName === undefined ? {} : { name: args.hsmName }),
          sku,
          ...(args.tags === undefined ? {} : { tags: args.tags }),
          properties: {
            tenantId: args.tenantId ?? clientConfig?.tenantId ?? "",
            initialAdminObjectIds: args.initialAdminObjectIds ?? deployer.apply((id) => [id]),
            // soft delete cannot be turned off on a Managed HSM; say so rather than rely on defaults
            enableSoftDelete: true,
            softDeleteRetentionInDays: args.softDeleteRetentionInDays ?? 90,
            // azure-native turns purge protection on whenever `properties` is passed, and it
            // cannot be undone (DESIGN.md): send our own default
            enablePurgeProtection: args.enablePurgeProtection ?? false,
            publicNetworkAccess: args.publicNetworkAccess ?? "Enabled",
            ...(args.networkAcls === undefined
              ? {}
              : {
                  networkAcls: pulumi.output(args.networkAcls).apply((acls) => ({
                    ...(acls.bypass === undefined ? {} : { bypass: acls.bypass }),
                    ...(acls.defaultAction === undefined
                      ? {}
                      : { defaultAction: acls.defaultAction }),
                    ...(acls.ipRules === undefined
                      ? {}
                      : { ipRules: acls.ipRules.map((value) => ({ value })) }),
                    ...(acls.virtualNetworkRules === undefined
                      ? {}
                      : { virtualNetworkRules: acls.virtualNetworkRules.map((id) => ({ id })) }),
                  })),
                }),
          },
        },
        parent,
      );
      hsm = created;
      armHsmUri = created.properties.apply((p) => p.hsmUri);
      this.hsmName = created.name;
      this.hsmResourceId = created.id.apply((id): string | undefined => id);
      this.resourceGroupName = pulumi.output(resourceGroupName).apply((n): string | undefined => n);
    } else {
      this.hsmName = pulumi
        .output(args.existingHsmUri ?? "")
        .apply((uri) => (URL.canParse(uri) ? (new URL(uri).hostname.split(".")[0] ?? "") : ""));
      this.hsmResourceId = pulumi.output(undefined);
      this.resourceGroupName = pulumi.output(undefined);
    }
    this.hsmUri = pulumi
      .output(args.dataPlaneUrl ?? args.existingHsmUri ?? armHsmUri ?? "")
      .apply(withoutTrailingSlash);
    this.deployerObjectId = deployer;

    // Every data-plane call fails until the HSM is activated, so everything below waits for it.
    const domain = args.securityDomain ?? {};
    this.activation =
      args.activate === false
        ? undefined
        : new ManagedHsmActivation(
            `${name}-activation`,
            {
              hsmUri: this.hsmUri,
              ...(domain.certificates === undefined ? {} : { certificates: domain.certificates }),
              ...(domain.certificateCount === undefined
                ? {}
                : { certificateCount: domain.certificateCount }),
              ...(domain.certificateKeySize === undefined
                ? {}
                : { certificateKeySize: domain.certificateKeySize }),
              ...(domain.quorum === undefined ? {} : { quorum: domain.quorum }),
              ...(domain.path === undefined ? {} : { securityDomainPath: domain.path }),
              ...(domain.certificatesDirectory === undefined
                ? {}
                : { certificatesDirectory: domain.certificatesDirectory }),
              ...(domain.overwriteFiles === undefined
                ? {}
                : { overwriteFiles: domain.overwriteFiles }),
              ...(domain.timeoutSeconds === undefined
                ? {}
                : { timeoutSeconds: domain.timeoutSeconds }),
            },
            { parent: this, dependsOn: hsm === undefined ? [] : [hsm] },
          );
    const activated = this.activation ?? hsm;
    const afterActivation = { parent: this, dependsOn: activated === undefined ? [] : [activated] };

    const assignments: Record<string, ManagedHsmRoleAssignment> = {};
    const deployerAssignments = (args.deployerRoles ?? DEFAULT_DEPLOYER_ROLES).map((role) => {
      const label = `deployer-${roleSlug(role)}`;
      const assignment = new ManagedHsmRoleAssignment(
        `${name}-${label}`,
        { hsmUri: this.hsmUri, scope: "/keys", role, principalId: deployer },
        afterActivation,
      );
      assignments[label] = assignment;
      return assignment;
    });
    for (const [label, grant] of Object.entries(args.roleAssignments ?? {})) {
      assignments[label] = new ManagedHsmRoleAssignment(
        `${name}-role-${label}`,
        {
          hsmUri: this.hsmUri,
          scope: grant.scope ?? "/keys",
          role: grant.role,
          principalId: grant.principalId,
        },
        afterActivation,
      );
    }
    this.roleAssignments = assignments;

    const kek = args.kek ?? {};
    this.kek = new ImportKek(
      `${name}-kek`,
      {
        vaultUrl: this.hsmUri,
        name: kek.name ?? DEFAULT_KEK_NAME,
        ...(kek.size === undefined ? {} : { size: kek.size }),
        ...(kek.expiresOn === undefined ? {} : { expiresOn: kek.expiresOn }),
        ...(kek.notBefore === undefined ? {} : { notBefore: kek.notBefore }),
        ...(kek.tags === undefined ? {} : { tags: kek.tags }),
        ...(kek.purgeOnDelete === undefined ? {} : { purgeOnDelete: kek.purgeOnDelete }),
        // the grants it depends on were made moments ago and may not count yet
        roleWaitSeconds: kek.roleWaitSeconds ?? DEFAULT_KEK_ROLE_WAIT_SECONDS,
      },
      // the KEK needs Crypto User: wait for the deploying identity's roles, not just activation
      {
        parent: this,
        dependsOn: [...(activated === undefined ? [] : [activated]), ...deployerAssignments],
      },
    );
    this.kekKid = this.kek.kid;
    this.kekVersionlessId = this.kek.versionlessId;
    this.kekPublicKeyPem = this.kek.publicKeyPem;

    // secret here too, whatever the engine does with the children's additionalSecretOutputs
    this.securityDomain =
      this.activation === undefined
        ? pulumi.output(undefined)
        : pulumi.secret(this.activation.securityDomain).apply((d): string | undefined => d);
    this.certificatePems = this.activation?.certificatePems ?? pulumi.output([]);
    this.certificatePrivateKeyPems = pulumi.secret(
      this.activation?.certificatePrivateKeyPems ?? pulumi.output<string[]>([]),
    );

    this.registerOutputs({
      hsmUri: this.hsmUri,
      hsmName: this.hsmName,
      hsmResourceId: this.hsmResourceId,
      resourceGroupName: this.resourceGroupName,
      deployerObjectId: this.deployerObjectId,
      securityDomain: this.securityDomain,
      certificatePems: this.certificatePems,
      certificatePrivateKeyPems: this.certificatePrivateKeyPems,
      kekKid: this.kekKid,
      kekVersionlessId: this.kekVersionlessId,
      kekPublicKeyPem: this.kekPublicKeyPem,
    });
  }
}
