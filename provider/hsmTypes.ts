/**
 * The plain-JSON shapes of the two Managed HSM data-plane resources, `ManagedHsmActivation` and
 * `ManagedHsmRoleAssignment`, as their providers exchange them with the engine (reference §1.5:
 * no `undefined` values, no `Date`, no bytes).
 *
 * @module
 * @internal
 */

/** The inputs of `ManagedHsmActivation` after `check` (defaults filled in). */
export type HsmActivationInputs = {
  readonly hsmUri: string;
  /** PEM certificates the user supplied; absent when they are generated. */
  readonly certificates?: string[];
  /** How many certificates to generate when none are supplied. */
  readonly certificateCount?: number;
  /** RSA size of generated certificates' keys. */
  readonly certificateKeySize?: number;
  readonly quorum: number;
  readonly securityDomainPath?: string;
  readonly certificatesDirectory?: string;
  readonly overwriteFiles: boolean;
  readonly timeoutSeconds: number;
};

/** Where the activation stands: `InProgress` only after a timeout, until an update sees it done. */
export type HsmActivationStatus = "Success" | "InProgress";

/** The outputs of `ManagedHsmActivation` in state. */
export type HsmActivationOutputs = HsmActivationInputs & {
  /** The certificates the domain is encrypted to, PEM, in order. */
  readonly certificatePems: string[];
  /** Each certificate's `x5t#S256` (base64url SHA-256 of its DER). */
  readonly certificateThumbprints: string[];
  /** True when this resource generated the certificates (and so holds their private keys). */
  readonly generatedCertificates: boolean;
  /** The security domain, JSON text. Secret (`additionalSecretOutputs`). */
  readonly securityDomain: string;
  /** Generated certificates' private keys, PKCS#8 PEM; empty when supplied. Secret. */
  readonly certificatePrivateKeyPems: string[];
  readonly status: HsmActivationStatus;
  /** When the service first reported `Success`, ISO 8601. */
  readonly activatedOn?: string;
};

/** The inputs of `ManagedHsmRoleAssignment` after `check`. */
export type HsmRoleAssignmentInputs = {
  readonly hsmUri: string;
  readonly scope: string;
  /** The role as the program gave it: a built-in name, a GUID or a role definition id. */
  readonly role: string;
  readonly principalId: string;
  /** Derived by `check`: the full role definition id. */
  readonly roleDefinitionId?: string;
  /** Derived by `check`: the deterministic assignment name (a GUID). */
  readonly assignmentName?: string;
};

/** The outputs of `ManagedHsmRoleAssignment` in state. */
export type HsmRoleAssignmentOutputs = {
  readonly hsmUri: string;
  readonly scope: string;
  readonly role: string;
  readonly principalId: string;
  readonly roleDefinitionId: string;
  readonly assignmentName: string;
  /** The service's id of the assignment. */
  readonly assignmentId: string;
  /** The built-in role's name, when it is one. */
  readonly roleName?: string;
};
