/**
 * Checks `ByokManagedHsm`'s arguments before any child exists, so a program with a bad argument
 * fails at once with every problem named. Only values the program gives plainly are checked;
 * Outputs are left to the children's own `check` (which runs at preview).
 *
 * @module
 * @internal
 */
import * as pulumi from "@pulumi/pulumi";
import { RSA_KEY_SIZES, isRsaKeySize, isValidKeyName } from "../byok/index.js";
import type { ByokManagedHsmArgs } from "./byokManagedHsmArgs.js";
import { ProviderError } from "./errors.js";
import {
  MANAGED_HSM_BUILT_IN_ROLES,
  isGuid,
  isValidHsmScope,
  resolveHsmRole,
} from "./managedHsmRoles.js";
import { UNKNOWN_VALUE } from "./unknowns.js";
import { Failures } from "./validateCommon.js";
import { checkSecurityDomainSettings } from "./validateHsmActivation.js";

const SKUS = ["Standard_B1", "Custom_B32", "Custom_B6", "Custom_C42", "Custom_C10"];
const LABEL = /^[A-Za-z0-9_-]{1,40}$/;

/** The value when the program gave it plainly; `undefined` for an Output, a Promise or nothing. */
function plain(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return undefined;
  return value;
}

function checkOneOf(
  value: unknown,
  allowed: readonly string[],
  property: string,
  failures: Failures,
): void {
  const v = plain(value);
  if (v !== undefined && (typeof v !== "string" || !allowed.includes(v))) {
    failures.add(property, `${property} is ${JSON.stringify(v)}: use one of ${allowed.join(", ")}`);
  }
}

function checkGuidList(value: unknown, property: string, failures: Failures): void {
  const list = plain(value);
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    failures.add(property, `${property} must be a list of object ids`);
    return;
  }
  list.forEach((item: unknown, i) => {
    const v = plain(item);
    if (v !== undefined && (typeof v !== "string" || !isGuid(v))) {
      failures.add(
        `${property}[${i}]`,
        `${property}[${i}] is ${JSON.stringify(v)}: give an object id (a GUID)`,
      );
    }
  });
}

function checkHsm(args: ByokManagedHsmArgs, failures: Failures): void {
  checkOneOf(args.sku, SKUS, "sku", failures);
  checkOneOf(args.publicNetworkAccess, ["Enabled", "Disabled"], "publicNetworkAccess", failures);
  const retention = plain(args.softDeleteRetentionInDays);
  if (
    retention !== undefined &&
    (typeof retention !== "number" ||
      !Number.isInteger(retention) ||
      retention < 7 ||
      retention > 90)
  ) {
    failures.add(
      "softDeleteRetentionInDays",
      `softDeleteRetentionInDays is ${JSON.stringify(retention)}: a Managed HSM keeps deleted objects 7 to 90 days; pick a whole number in that range`,
    );
  }
  const hsmName = plain(args.hsmName);
  if (
    hsmName !== undefined &&
    (typeof hsmName !== "string" ||
      !/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(hsmName) ||
      hsmName.includes("--"))
  ) {
    failures.add(
      "hsmName",
      `hsmName is ${JSON.stringify(hsmName)}: a Managed HSM name is 3-24 letters, digits and single hyphens, starting with a letter`,
    );
  }
  const tenant = plain(args.tenantId);
  if (tenant !== undefined && (typeof tenant !== "string" || !isGuid(tenant))) {
    failures.add(
      "tenantId",
      `tenantId is ${JSON.stringify(tenant)}: give the Entra tenant id (a GUID)`,
    );
  }
  checkGuidList(args.initialAdminObjectIds, "initialAdminObjectIds", failures);
  const admins = plain(args.initialAdminObjectIds);
  if (Array.isArray(admins) && admins.length === 0) {
    failures.add(
      "initialAdminObjectIds",
      "initialAdminObjectIds is empty: an HSM without administrators can never be activated; leave it out (the deploying identity) or list at least one object id",
    );
  }
  const acls = plain(args.networkAcls) as Record<string, unknown> | undefined;
  if (acls !== undefined) {
    checkOneOf(acls.bypass, ["AzureServices", "None"], "networkAcls.bypass", failures);
    checkOneOf(acls.defaultAction, ["Allow", "Deny"], "networkAcls.defaultAction", failures);
    const rules = plain(acls.ipRules);
    if (Array.isArray(rules)) {
      rules.forEach((rule: unknown, i) => {
        const v = plain(rule);
        if (
          v !== undefined &&
          (typeof v !== "string" || !/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v))
        ) {
          failures.add(
            `networkAcls.ipRules[${i}]`,
            `networkAcls.ipRules[${i}] is ${JSON.stringify(v)}: give an IPv4 address or CIDR range such as 203.0.113.0/24`,
          );
        }
      });
    }
  }
}

/** The HSM arguments that mean "create an HSM", which `existingHsmUri` excludes. */
const CREATE_ONLY = [
  "resourceGroupName",
  "location",
  "hsmName",
  "tenantId",
  "initialAdminObjectIds",
  "sku",
  "softDeleteRetentionInDays",
  "enablePurgeProtection",
  "publicNetworkAccess",
  "networkAcls",
  "tags",
  "dataPlaneUrl",
] as const;

function checkRoles(args: ByokManagedHsmArgs, failures: Failures): void {
  const builtIns = Object.keys(MANAGED_HSM_BUILT_IN_ROLES);
  (args.deployerRoles ?? []).forEach((role, i) => {
    if (!builtIns.includes(role)) {
      failures.add(
        `deployerRoles[${i}]`,
        `deployerRoles[${i}] is ${JSON.stringify(role)}: use built-in role names (${builtIns.join(", ")})`,
      );
    }
  });
  const deployer = plain(args.deployerObjectId);
  if (deployer !== undefined && (typeof deployer !== "string" || !isGuid(deployer))) {
    failures.add(
      "deployerObjectId",
      `deployerObjectId is ${JSON.stringify(deployer)}: give an object id (a GUID)`,
    );
  }
  for (const [label, assignment] of Object.entries(args.roleAssignments ?? {})) {
    const where = `roleAssignments.${label}`;
    if (!LABEL.test(label)) {
      failures.add(
        where,
        `${where}: a label is 1-40 letters, digits, - and _ (it names the child resource); rename it`,
      );
    }
    const role = plain(assignment.role);
    if (role !== undefined && (typeof role !== "string" || resolveHsmRole(role) === undefined)) {
      failures.add(
        `${where}.role`,
        `${where}.role is ${JSON.stringify(role)}: give a built-in role's name (${builtIns.join(", ")}), a role definition GUID or id`,
      );
    }
    const scope = plain(assignment.scope);
    if (scope !== undefined && (typeof scope !== "string" || !isValidHsmScope(scope))) {
      failures.add(
        `${where}.scope`,
        `${where}.scope is ${JSON.stringify(scope)}: use "/", "/keys" or "/keys/<key name>"`,
      );
    }
    const principal = plain(assignment.principalId);
    if (principal !== undefined && (typeof principal !== "string" || !isGuid(principal))) {
      failures.add(
        `${where}.principalId`,
        `${where}.principalId is ${JSON.stringify(principal)}: give an object id (a GUID)`,
      );
    }
  }
}

function checkKek(args: ByokManagedHsmArgs, failures: Failures): void {
  const name = plain(args.kek?.name);
  if (name !== undefined && (typeof name !== "string" || !isValidKeyName(name))) {
    failures.add(
      "kek.name",
      `kek.name is ${JSON.stringify(name)}: a key name is 1-127 of 0-9, a-z, A-Z and -`,
    );
  }
  const size = plain(args.kek?.size);
  if (size !== undefined && !isRsaKeySize(size)) {
    failures.add(
      "kek.size",
      `kek.size is ${JSON.stringify(size)}: a KEK is RSA-HSM of ${RSA_KEY_SIZES.join(", ")} bits`,
    );
  }
}

/**
 * Validates the component's arguments.
 *
 * @throws ProviderError `ERR_INVALID_ARGUMENT` listing every problem, each naming its argument.
 */
export function validateByokManagedHsmArgs(args: ByokManagedHsmArgs): void {
  const failures = new Failures();
  if (args.existingHsmUri !== undefined) {
    for (const property of CREATE_ONLY) {
      if (args[property] !== undefined) {
        failures.add(
          property,
          `${property} is set with existingHsmUri: the component creates no HSM then, so ${property} does nothing; remove one of them`,
        );
      }
    }
  } else {
    checkHsm(args, failures);
  }
  if (args.activate === false && args.securityDomain !== undefined) {
    failures.add(
      "securityDomain",
      "securityDomain is set with activate: false: nothing is downloaded, so remove securityDomain (or set activate: true)",
    );
  }
  const domain = args.securityDomain ?? {};
  const certificates = plain(domain.certificates);
  checkSecurityDomainSettings(
    {
      // an Output among the certificates is checked by the activation's own check, at preview
      certificates: Array.isArray(certificates)
        ? certificates.map((pem: unknown) => plain(pem) ?? UNKNOWN_VALUE)
        : certificates,
      certificateCount: domain.certificateCount,
      certificateKeySize: domain.certificateKeySize,
      quorum: domain.quorum,
    },
    failures,
    "securityDomain.",
  );
  checkRoles(args, failures);
  checkKek(args, failures);
  if (failures.list.length > 0) {
    throw new ProviderError(
      "ERR_INVALID_ARGUMENT",
      `ByokManagedHsm: ${failures.list.map((f) => f.reason).join("; ")}`,
    );
  }
}
