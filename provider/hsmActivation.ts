/**
 * `ManagedHsmActivation`: activates a Managed HSM by downloading its security domain.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's own exports object: the serializer stores it by name (installLayout.ts)
import hsmActivationProvider = require("./shells/hsmActivation.js");

/**
 * The outputs Pulumi must store encrypted: named unlike any input, they would otherwise be plain
 * (reference §1.3), so the resource always lists them in `additionalSecretOutputs`.
 */
export const MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS = [
  "securityDomain",
  "certificatePrivateKeyPems",
] as const;

/** The arguments of {@link ManagedHsmActivation}. */
export interface ManagedHsmActivationArgs {
  /**
   * The Managed HSM's URL, `https://<name>.managedhsm.azure.net` (azure-native's
   * `properties.hsmUri`), or an emulator's. Changing it replaces the resource: the other HSM is
   * activated.
   */
  readonly hsmUri: pulumi.Input<string>;
  /**
   * 3 to 10 X.509 certificates (PEM, RSA of 2048 bits or more) the security domain is encrypted
   * to; their private keys stay with you, offline. Default: none, and `certificateCount`
   * certificates are generated. Cannot change once the HSM is activated (preview fails).
   */
  readonly certificates?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * How many certificates to generate when `certificates` is not given: 3 to 10. Default 3.
   * Their private keys become secret outputs (and files under `certificatesDirectory`). Cannot
   * change once the HSM is activated.
   */
  readonly certificateCount?: pulumi.Input<number>;
  /** RSA size of generated certificates' keys: 2048, 3072 or 4096 bits. Default 2048. */
  readonly certificateKeySize?: pulumi.Input<2048 | 3072 | 4096>;
  /**
   * How many certificates' private keys it takes to restore the security domain: 2 to 10, at
   * most the number of certificates. Default 2. Cannot change once the HSM is activated.
   */
  readonly quorum?: pulumi.Input<number>;
  /**
   * Also write the security domain (JSON) to this file, mode 0600, on the machine that runs
   * `pulumi up`; relative to the program's directory. An existing file is never overwritten
   * unless `overwriteFiles` is true. Default: no file. Changing it writes the new file from state.
   */
  readonly securityDomainPath?: pulumi.Input<string>;
  /**
   * Generated certificates only: write `certificate-<i>.pem` (0644) and their private keys
   * `certificate-<i>.key.pem` (0600) into this directory. Default: no files.
   */
  readonly certificatesDirectory?: pulumi.Input<string>;
  /** Allow writing over existing files. Default false. */
  readonly overwriteFiles?: pulumi.Input<boolean>;
  /**
   * How long create waits for the service to report the HSM active: 10 to 3600 seconds. Default
   * 600. On a timeout the resource is kept (with the domain) and the next `up` waits again.
   */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/**
 * Activates a Managed HSM: `POST /securitydomain/download` with the certificates' public keys and
 * the quorum, then waits, honouring `Retry-After`, until the service reports the activation done
 * (contracts §4.3). Until then every key operation of the HSM fails, so make everything that uses
 * keys depend on this resource.
 *
 * The security domain (and, for generated certificates, their private keys) is kept only in
 * secret outputs, which Pulumi encrypts in state, and in the files you ask for. With generated
 * certificates the state holds the domain together with the keys that unlock it: for production,
 * supply your own `certificates` and keep their keys offline.
 *
 * An HSM that is already activated is an error (`ERR_HSM_ALREADY_ACTIVATED`): its domain can be
 * downloaded only once. Deleting this resource does not de-activate the HSM (nothing can); it
 * only removes the resource from the stack.
 *
 * Needs the "Managed HSM Administrator" role, which before activation only the HSM's initial
 * administrators hold. Credentials come from `DefaultAzureCredential`.
 *
 * @example
 * ```ts
 * const activation = new ManagedHsmActivation("hsm-activation", {
 *   hsmUri: hsm.properties.hsmUri.apply((uri) => uri ?? ""),
 *   quorum: 2,
 *   securityDomainPath: "security-domain.json",
 * }, { dependsOn: [hsm] });
 * export const securityDomain = activation.securityDomain; // secret
 * ```
 */
export class ManagedHsmActivation extends pulumi.dynamic.Resource {
  /** The HSM's URL. */
  declare public readonly hsmUri: pulumi.Output<string>;
  /** The security domain, JSON text encrypted to the certificates. Secret. */
  declare public readonly securityDomain: pulumi.Output<string>;
  /** The certificates the domain is encrypted to, PEM, in order. */
  declare public readonly certificatePems: pulumi.Output<string[]>;
  /** Each certificate's `x5t#S256` thumbprint (base64url SHA-256 of its DER). */
  declare public readonly certificateThumbprints: pulumi.Output<string[]>;
  /**
   * The generated certificates' private keys, PKCS#8 PEM, in the order of `certificatePems`;
   * empty when the certificates were supplied. Secret.
   */
  declare public readonly certificatePrivateKeyPems: pulumi.Output<string[]>;
  /** True when this resource generated the certificates. */
  declare public readonly generatedCertificates: pulumi.Output<boolean>;
  /** The quorum. */
  declare public readonly quorum: pulumi.Output<number>;
  /** `Success`, or `InProgress` after a timeout until an update sees it done. */
  declare public readonly status: pulumi.Output<"Success" | "InProgress">;
  /** When the service first reported the activation done, ISO 8601. */
  declare public readonly activatedOn: pulumi.Output<string | undefined>;

  /**
   * @param name - the Pulumi resource name.
   * @param args - the HSM, certificates, quorum and files.
   * @param opts - Pulumi resource options; `additionalSecretOutputs` always includes the domain
   *   and the private keys.
   */
  constructor(
    name: string,
    args: ManagedHsmActivationArgs,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    super(
      hsmActivationProvider,
      name,
      {
        ...args,
        securityDomain: undefined,
        certificatePems: undefined,
        certificateThumbprints: undefined,
        certificatePrivateKeyPems: undefined,
        generatedCertificates: undefined,
        quorum: args.quorum,
        status: undefined,
        activatedOn: undefined,
      },
      {
        ...opts,
        // outputs under new names are not secret by themselves (reference §1.3)
        additionalSecretOutputs: [
          ...(opts.additionalSecretOutputs ?? []),
          ...MANAGED_HSM_ACTIVATION_SECRET_OUTPUTS,
        ],
      },
      "azure-byok",
      "ManagedHsmActivation",
    );
  }
}
