/**
 * check and diff of `ManagedHsmActivation` and `ManagedHsmRoleAssignment` through the real plugin
 * host, with the `__provider` text from Pulumi's own serializer: what preview tells a user,
 * without any network (no emulator runs; the URLs below are never contacted).
 */
import test from "ava";
import { UNKNOWN_VALUE } from "../../provider/unknowns.js";
import { generateSecurityDomainCertificates } from "../../provider/generateSecurityDomainCertificates.js";
import { PACKAGE_ROOT, serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";

const HSM = "https://contoso.managedhsm.azure.net";
const PRINCIPAL = "0A1B2C3D-0000-4000-8000-00000000AB01";
const CRYPTO_USER = "21dbd100-6940-42c2-9190-5d6cb909625b";

let host: PluginHost;
let providers: SerializedProviders;

test.before(async () => {
  providers = await serializeProviders();
  host = await startPluginHost();
  await host.configure();
});
test.after.always(async () => {
  await (host as PluginHost | undefined)?.close();
});

function activationCheck(olds: Record<string, unknown>, news: Record<string, unknown>) {
  return host.check(urnOf("ManagedHsmActivation", "activation"), olds, {
    ...news,
    __provider: providers.hsmActivation,
  });
}

function assignmentCheck(news: Record<string, unknown>) {
  return host.check(
    urnOf("ManagedHsmRoleAssignment", "assignment"),
    {},
    {
      ...news,
      __provider: providers.hsmRoleAssignment,
    },
  );
}

test("the serialized providers are small, name the package, and hold no path of this machine", (t) => {
  for (const [text, type] of [
    [providers.hsmActivation, "hsmActivation"],
    [providers.hsmRoleAssignment, "hsmRoleAssignment"],
  ] as const) {
    t.true(Buffer.byteLength(text) < 4096, `__provider is ${Buffer.byteLength(text)} bytes`);
    t.true(text.includes(`require("pulumi-azure-byok/provider/runtime/${type}")`));
    t.false(text.includes(PACKAGE_ROOT));
    t.false(text.includes("@azure/"));
  }
});

test("activation: check fills the defaults (3 generated RSA-2048 certificates, quorum 2, 600 s, no overwriting)", async (t) => {
  const { inputs, failures } = await activationCheck({}, { hsmUri: HSM });
  t.deepEqual(failures, []);
  t.like(inputs, {
    hsmUri: HSM,
    certificateCount: 3,
    certificateKeySize: 2048,
    quorum: 2,
    timeoutSeconds: 600,
    overwriteFiles: false,
  });
});

test("activation: check accepts supplied certificates and refuses weak or wrong ones, naming each", async (t) => {
  const good = await generateSecurityDomainCertificates(3);
  const pems = good.map((g) => g.certificatePem);
  const ok = await activationCheck({}, { hsmUri: HSM, certificates: pems, quorum: 3 });
  t.deepEqual(ok.failures, []);
  t.is(ok.inputs.certificateCount, undefined, "nothing is generated");

  const withKey = `${pems[0] ?? ""}${good[0]?.privateKeyPem ?? ""}`;
  const { failures } = await activationCheck(
    {},
    {
      hsmUri: HSM,
      certificates: [withKey, "not a certificate", pems[2]],
      certificateCount: 4,
      certificatesDirectory: "certs",
    },
  );
  const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
  t.regex(
    byProperty["certificates[0]"] ?? "",
    /holds a private key too; give only the certificate/,
  );
  t.regex(byProperty["certificates[1]"] ?? "", /not a PEM certificate/);
  t.regex(
    byProperty.certificateCount ?? "",
    /either your own certificates or how many to generate/,
  );
  t.regex(byProperty.certificatesDirectory ?? "", /certificates are supplied/);
  t.false(
    failures.some((f) => f.reason.includes("PRIVATE KEY") || f.reason.includes("MII")),
    "no key or certificate bytes in a message",
  );
});

test("activation: quorum and counts out of range, a Key Vault URL and a bad timeout are refused at preview", async (t) => {
  const { failures } = await activationCheck(
    {},
    {
      hsmUri: "https://contoso.vault.azure.net",
      certificateCount: 11,
      quorum: 1,
      timeoutSeconds: 5,
      certificateKeySize: 1024,
    },
  );
  const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
  t.regex(byProperty.hsmUri ?? "", /is a Key Vault: only a Managed HSM .* has a security domain/);
  t.regex(byProperty.certificateCount ?? "", /certificateCount is 11: .* 3 to 10/);
  t.regex(byProperty.quorum ?? "", /quorum is 1: the quorum is 2 to 10/);
  t.regex(byProperty.timeoutSeconds ?? "", /timeoutSeconds is 5: give 10 to 3600 seconds/);
  t.regex(byProperty.certificateKeySize ?? "", /certificateKeySize is 1024/);

  const above = await activationCheck({}, { hsmUri: HSM, certificateCount: 4, quorum: 5 });
  t.deepEqual(
    above.failures.map((f) => f.property),
    ["quorum"],
  );
  t.regex(above.failures[0]?.reason ?? "", /quorum is 5 but there are only 4 certificates/);
});

test("activation: during preview an unknown HSM URL or quorum passes check", async (t) => {
  const { failures, inputs } = await activationCheck(
    {},
    { hsmUri: UNKNOWN_VALUE, quorum: UNKNOWN_VALUE },
  );
  t.deepEqual(failures, []);
  t.is(inputs.hsmUri, UNKNOWN_VALUE);
});

test("activation: after activation, changing the quorum or certificates fails preview and says to put it back; file settings change in place", async (t) => {
  const first = await activationCheck({}, { hsmUri: HSM, certificateCount: 3, quorum: 2 });
  const olds = first.inputs;
  const changed = await activationCheck(olds, { hsmUri: HSM, certificateCount: 4, quorum: 3 });
  t.deepEqual(changed.failures.map((f) => f.property).sort(), ["certificateCount", "quorum"]);
  t.regex(
    changed.failures.find((f) => f.property === "quorum")?.reason ?? "",
    /quorum changed \(was 2\), but https:\/\/contoso\.managedhsm\.azure\.net is already activated .* put quorum back/,
  );

  const stored = { ...olds, status: "Success", securityDomain: "{}" };
  const paths = await activationCheck(olds, { hsmUri: HSM, securityDomainPath: "sd.json" });
  t.deepEqual(paths.failures, []);
  const diff = await host.diff("id", urnOf("ManagedHsmActivation", "a"), stored, paths.inputs);
  t.is(diff.changes, "some");
  t.deepEqual(diff.replaces, []);

  const same = await activationCheck(olds, { hsmUri: HSM });
  const none = await host.diff("id", urnOf("ManagedHsmActivation", "a"), stored, {
    ...same.inputs,
    __provider: `${providers.hsmActivation}\n// another build of the provider\n`,
  });
  t.is(none.changes, "none", "a change only in __provider is no change");

  const otherHsm = await activationCheck(olds, { hsmUri: "https://other.managedhsm.azure.net" });
  t.deepEqual(otherHsm.failures, [], "another HSM is another activation");
  const replace = await host.diff(
    "id",
    urnOf("ManagedHsmActivation", "a"),
    stored,
    otherHsm.inputs,
  );
  t.deepEqual(replace.replaces, ["hsmUri"]);
});

test("role assignment: check resolves the role and derives one assignment name from scope, role and principal, whatever their spelling", async (t) => {
  const byName = await assignmentCheck({
    hsmUri: HSM,
    scope: "/keys",
    role: "managed hsm crypto user",
    principalId: PRINCIPAL,
  });
  t.deepEqual(byName.failures, []);
  t.is(
    byName.inputs.roleDefinitionId,
    `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`,
  );
  t.is(byName.inputs.principalId, PRINCIPAL.toLowerCase());
  t.regex(
    String(byName.inputs.assignmentName),
    /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  const byId = await assignmentCheck({
    hsmUri: HSM,
    scope: "/keys",
    role: `/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER.toUpperCase()}`,
    principalId: PRINCIPAL.toLowerCase(),
  });
  t.is(byId.inputs.assignmentName, byName.inputs.assignmentName);
  const officer = await assignmentCheck({
    hsmUri: HSM,
    scope: "/keys",
    role: "Managed HSM Crypto Officer",
    principalId: PRINCIPAL,
  });
  t.not(officer.inputs.assignmentName, byName.inputs.assignmentName);
  const root = await assignmentCheck({
    hsmUri: HSM,
    scope: "/",
    role: "Managed HSM Crypto User",
    principalId: PRINCIPAL,
  });
  t.not(root.inputs.assignmentName, byName.inputs.assignmentName);
});

test("role assignment: bad scope, role, principal and a Key Vault URL are refused with the fix", async (t) => {
  const { failures } = await assignmentCheck({
    hsmUri: "https://contoso.vault.azure.net",
    scope: "/secrets",
    role: "Owner",
    principalId: "alice@contoso.com",
  });
  const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
  t.regex(byProperty.hsmUri ?? "", /is a Key Vault: a Key Vault's roles are Azure RBAC/);
  t.regex(
    byProperty.scope ?? "",
    /scope is "\/secrets": .*scope is "\/" \(the whole HSM\), "\/keys" \(every key\) or "\/keys\/<key name>"/,
  );
  t.regex(
    byProperty.role ?? "",
    /role is "Owner": give a built-in role's name \(Managed HSM Administrator/,
  );
  t.regex(byProperty.principalId ?? "", /principalId is "alice@contoso.com": give the object id/);
});

test("role assignment: another spelling of the same role changes nothing in the service; another principal, role, scope or HSM replaces", async (t) => {
  const base = {
    hsmUri: HSM,
    scope: "/keys",
    role: "Managed HSM Crypto User",
    principalId: PRINCIPAL,
  };
  const first = await assignmentCheck(base);
  const stored = { ...first.inputs, assignmentId: "/keys/providers/x" };
  const urn = urnOf("ManagedHsmRoleAssignment", "assignment");
  const respelled = await assignmentCheck({ ...base, role: CRYPTO_USER });
  const same = await host.diff("id", urn, stored, respelled.inputs);
  t.deepEqual(same.replaces, []);
  for (const [property, value] of [
    ["principalId", "00000000-0000-0000-0000-00000000ab02"],
    ["role", "Managed HSM Crypto Auditor"],
    ["scope", "/"],
    ["hsmUri", "https://other.managedhsm.azure.net"],
  ] as const) {
    const next = await assignmentCheck({ ...base, [property]: value });
    const diff = await host.diff("id", urn, stored, next.inputs);
    t.is(diff.changes, "some", property);
    t.true(diff.replaces.length > 0, `${property} replaces`);
  }
  const unknown = await assignmentCheck({ ...base, principalId: UNKNOWN_VALUE });
  t.deepEqual(unknown.failures, []);
  const pending = await host.diff("id", urn, stored, unknown.inputs);
  t.deepEqual(pending.replaces, ["principalId"], "an unknown principal may be another one");
});
