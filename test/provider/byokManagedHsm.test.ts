/**
 * `ByokManagedHsm` under `pulumi.runtime.setMocks`: the resource graph it registers (types,
 * names, parents, dependsOn), the inputs `keyvault.ManagedHsm` gets, the secret outputs, and the
 * argument errors. The mocks stand in for the engine; they answer each resource with outputs
 * shaped like its provider's. The data-plane children run for real in hsmActivation.test.ts and
 * hsmRoleAssignment.test.ts.
 */
import { spawnSync } from "node:child_process";
import test from "ava";
import type { ExecutionContext } from "ava";
import * as pulumi from "@pulumi/pulumi";
import { ByokManagedHsm, isProviderError } from "pulumi-azure-byok";
import type { ByokManagedHsmArgs } from "pulumi-azure-byok";
import { PACKAGE_ROOT } from "../harness/pluginHost.js";

const TENANT = "11111111-2222-3333-4444-555555555555";
const DEPLOYER = "00000000-0000-0000-0000-0000000d0001";
const APP = "00000000-0000-0000-0000-0000000a0001";
const SECRET_DOMAIN = '{"EncData":"not-really-a-domain"}';
const GENERATED_KEY = "-----BEGIN PRIVATE KEY-----\nMIIBVwIBADANBg\n-----END PRIVATE KEY-----\n";

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}
const registrations: Registration[] = [];
let clientConfigCalls = 0;

void pulumi.runtime.setMocks(
  {
    newResource(args) {
      const inputs = args.inputs as Record<string, unknown>;
      registrations.push({ type: args.type, name: args.name, inputs });
      if (args.type === "azure-native:resources:ResourceGroup") {
        return { id: `/rg/${args.name}`, state: { ...inputs, name: `${args.name}1234` } };
      }
      if (args.type === "azure-native:keyvault:ManagedHsm") {
        const name = typeof inputs.name === "string" ? inputs.name : `${args.name}5678`;
        const properties = inputs.properties as Record<string, unknown>;
        return {
          id: `/rg/hsm/${name}`,
          state: {
            ...inputs,
            name,
            properties: { ...properties, hsmUri: `https://${name}.managedhsm.azure.net/` },
          },
        };
      }
      if (args.type.endsWith(":ManagedHsmActivation")) {
        return {
          id: `${String(inputs.hsmUri)}/securitydomain`,
          state: {
            ...inputs,
            securityDomain: SECRET_DOMAIN,
            certificatePems: ["-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n"],
            certificatePrivateKeyPems: [GENERATED_KEY],
            status: "Success",
          },
        };
      }
      if (args.type.endsWith(":ImportKek")) {
        const kid = `${String(inputs.vaultUrl)}/keys/${String(inputs.name)}/0123456789abcdef0123456789abcdef`;
        return { id: kid, state: { ...inputs, kid, publicKeyPem: "-----BEGIN PUBLIC KEY-----" } };
      }
      return { id: `${args.name}-id`, state: inputs };
    },
    call(args) {
      if (args.token === "azure-native:authorization:getClientConfig") {
        clientConfigCalls += 1;
        return { tenantId: TENANT, objectId: DEPLOYER, clientId: "app", subscriptionId: "sub" };
      }
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "azure-byok-test",
  "dev",
);

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** What the component registered for each child: type, options, and its inputs once known. */
interface Child {
  readonly type: string;
  readonly name: string;
  readonly parent: pulumi.Resource | undefined;
  readonly dependsOn: readonly pulumi.Resource[];
  readonly additionalSecretOutputs: readonly string[];
  readonly resource: pulumi.Resource;
}

/** Builds the component, recording every child's options through a component transformation. */
async function build(
  name: string,
  args: ByokManagedHsmArgs,
): Promise<{
  component: ByokManagedHsm;
  children: Child[];
  inputsOf: (name: string) => Registration;
}> {
  const children: Child[] = [];
  const component = new ByokManagedHsm(name, args, {
    transformations: [
      ({ resource, type, name: childName, opts }) => {
        const dependsOn = opts.dependsOn;
        children.push({
          type,
          name: childName,
          parent: opts.parent,
          dependsOn: Array.isArray(dependsOn) ? (dependsOn as pulumi.Resource[]) : [],
          additionalSecretOutputs:
            (opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [],
          resource,
        });
        return undefined;
      },
    ],
  });
  await valueOf(pulumi.all([component.kekKid, component.hsmUri, component.urn]));
  // the component's own options pass through the transformation too
  const own = children.findIndex((c) => c.resource === component);
  if (own >= 0) children.splice(own, 1);
  // let the last registrations reach the mocks
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    component,
    children,
    inputsOf: (childName) => {
      const found = registrations.find((r) => r.name === childName);
      if (found === undefined) throw new Error(`no registration for ${childName}`);
      return found;
    },
  };
}

function names(resources: readonly pulumi.Resource[], children: readonly Child[]): string[] {
  return resources.map((r) => children.find((c) => c.resource === r)?.name ?? "?").sort();
}

// serial: ava runs these before the concurrent tests, so the invoke count is theirs alone
test.serial(
  "defaults: a resource group and a Standard_B1 HSM for the deploying identity, activation, its roles at /keys, then the KEK, all under the component",
  async (t) => {
    const before = clientConfigCalls;
    const { component, children, inputsOf } = await build("dflt", {});
    t.deepEqual(
      children.map((c) => `${c.type} ${c.name}`),
      [
        "azure-native:resources:ResourceGroup dflt-rg",
        "azure-native:keyvault:ManagedHsm dflt-hsm",
        "pulumi-nodejs:dynamic/azure-byok:ManagedHsmActivation dflt-activation",
        "pulumi-nodejs:dynamic/azure-byok:ManagedHsmRoleAssignment dflt-deployer-crypto-user",
        "pulumi-nodejs:dynamic/azure-byok:ManagedHsmRoleAssignment dflt-deployer-crypto-officer",
        "pulumi-nodejs:dynamic/azure-byok:ImportKek dflt-kek",
      ],
    );
    for (const child of children) t.is(child.parent, component, `${child.name} is parented`);
    const byName = (n: string) => children.find((c) => c.name === n)!;
    t.deepEqual(names(byName("dflt-activation").dependsOn, children), ["dflt-hsm"]);
    t.deepEqual(names(byName("dflt-deployer-crypto-user").dependsOn, children), [
      "dflt-activation",
    ]);
    t.deepEqual(names(byName("dflt-kek").dependsOn, children), [
      "dflt-activation",
      "dflt-deployer-crypto-officer",
      "dflt-deployer-crypto-user",
    ]);
    t.true(clientConfigCalls > before, "the deploying identity is looked up");

    const hsm = inputsOf("dflt-hsm").inputs;
    t.is(hsm.resourceGroupName, "dflt-rg1234");
    t.deepEqual(hsm.sku, { family: "B", name: "Standard_B1" });
    t.deepEqual(hsm.properties, {
      tenantId: TENANT,
      initialAdminObjectIds: [DEPLOYER],
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: false,
      publicNetworkAccess: "Enabled",
    });

    const hsmUri = "https://dflt-hsm5678.managedhsm.azure.net";
    t.is(await valueOf(component.hsmUri), hsmUri, "properties.hsmUri without its trailing slash");
    t.is(inputsOf("dflt-activation").inputs.hsmUri, hsmUri);
    const officer = inputsOf("dflt-deployer-crypto-officer").inputs;
    t.like(officer, {
      hsmUri,
      scope: "/keys",
      role: "Managed HSM Crypto Officer",
      principalId: DEPLOYER,
    });
    t.like(inputsOf("dflt-kek").inputs, { vaultUrl: hsmUri, name: "KEKforBYOK" });
    t.is(
      await valueOf(component.kekKid),
      `${hsmUri}/keys/KEKforBYOK/0123456789abcdef0123456789abcdef`,
    );
  },
);

test("every HSM argument reaches keyvault.ManagedHsm: group, location, name, tenant, admins, SKU, retention, purge protection, network access and ACLs, tags", async (t) => {
  const admins = [DEPLOYER, APP];
  const { children, inputsOf } = await build("full", {
    resourceGroupName: "security-rg",
    location: "westeurope",
    hsmName: "contoso-hsm",
    tenantId: TENANT,
    initialAdminObjectIds: admins,
    sku: "Custom_C42",
    softDeleteRetentionInDays: 7,
    enablePurgeProtection: true,
    publicNetworkAccess: "Disabled",
    networkAcls: {
      bypass: "None",
      defaultAction: "Deny",
      ipRules: ["203.0.113.0/24"],
      virtualNetworkRules: [
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
      ],
    },
    tags: { env: "prod" },
    deployerObjectId: DEPLOYER,
  });
  t.false(
    children.some((c) => c.type === "azure-native:resources:ResourceGroup"),
    "no resource group is created when one is given",
  );
  const hsm = inputsOf("full-hsm").inputs;
  t.like(hsm, { resourceGroupName: "security-rg", location: "westeurope", name: "contoso-hsm" });
  t.deepEqual(hsm.sku, { family: "C", name: "Custom_C42" });
  t.deepEqual(hsm.tags, { env: "prod" });
  t.deepEqual(hsm.properties, {
    tenantId: TENANT,
    initialAdminObjectIds: admins,
    enableSoftDelete: true,
    softDeleteRetentionInDays: 7,
    enablePurgeProtection: true,
    publicNetworkAccess: "Disabled",
    networkAcls: {
      bypass: "None",
      defaultAction: "Deny",
      ipRules: [{ value: "203.0.113.0/24" }],
      virtualNetworkRules: [
        {
          id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
        },
      ],
    },
  });
});

test("the security domain settings reach the activation; the domain and the generated keys are secret outputs", async (t) => {
  const { component, children, inputsOf } = await build("sd", {
    securityDomain: {
      certificateCount: 5,
      certificateKeySize: 3072,
      quorum: 3,
      path: "sd.json",
      certificatesDirectory: "sd-certs",
      timeoutSeconds: 900,
    },
    deployerObjectId: DEPLOYER,
    tenantId: TENANT,
  });
  t.like(inputsOf("sd-activation").inputs, {
    certificateCount: 5,
    certificateKeySize: 3072,
    quorum: 3,
    securityDomainPath: "sd.json",
    certificatesDirectory: "sd-certs",
    timeoutSeconds: 900,
  });
  const activation = children.find((c) => c.name === "sd-activation")!;
  t.deepEqual([...activation.additionalSecretOutputs].sort(), [
    "certificatePrivateKeyPems",
    "securityDomain",
  ]);
  t.true(await pulumi.isSecret(component.securityDomain));
  t.true(await pulumi.isSecret(component.certificatePrivateKeyPems));
  t.false(await pulumi.isSecret(component.certificatePems));
  t.is(await valueOf(component.securityDomain), SECRET_DOMAIN);
  t.deepEqual(await valueOf(component.certificatePrivateKeyPems), [GENERATED_KEY]);
});

test("dataPlaneUrl points every data-plane child at another endpoint (an emulator) while the HSM is still created", async (t) => {
  const emulatorUrl = "https://127.0.0.1:8443";
  const { component, children, inputsOf } = await build("dp", {
    dataPlaneUrl: emulatorUrl,
    deployerObjectId: DEPLOYER,
    tenantId: TENANT,
    initialAdminObjectIds: [DEPLOYER],
  });
  t.true(children.some((c) => c.type === "azure-native:keyvault:ManagedHsm"));
  t.is(await valueOf(component.hsmUri), emulatorUrl);
  t.is(inputsOf("dp-activation").inputs.hsmUri, emulatorUrl);
  t.is(inputsOf("dp-deployer-crypto-user").inputs.hsmUri, emulatorUrl);
  t.is(inputsOf("dp-kek").inputs.vaultUrl, emulatorUrl);
});

test.serial(
  "existingHsmUri with deployerObjectId creates no group or HSM and looks nothing up; roleAssignments become labelled children",
  async (t) => {
    const before = clientConfigCalls;
    const { component, children, inputsOf } = await build("ex", {
      existingHsmUri: "https://contoso.managedhsm.azure.net/",
      deployerObjectId: DEPLOYER,
      deployerRoles: ["Managed HSM Crypto User"],
      roleAssignments: {
        app: { principalId: APP, role: "Managed HSM Crypto User" },
        auditor: { principalId: APP, role: "Managed HSM Crypto Auditor", scope: "/" },
      },
      kek: { name: "kek-2026", size: 3072 },
    });
    t.is(clientConfigCalls, before);
    t.deepEqual(
      children.map((c) => c.name),
      ["ex-activation", "ex-deployer-crypto-user", "ex-role-app", "ex-role-auditor", "ex-kek"],
    );
    t.deepEqual(children.find((c) => c.name === "ex-activation")!.dependsOn, []);
    t.deepEqual(names(children.find((c) => c.name === "ex-role-app")!.dependsOn, children), [
      "ex-activation",
    ]);
    t.like(inputsOf("ex-role-app").inputs, {
      hsmUri: "https://contoso.managedhsm.azure.net",
      scope: "/keys",
      role: "Managed HSM Crypto User",
      principalId: APP,
    });
    t.like(inputsOf("ex-role-auditor").inputs, { scope: "/", role: "Managed HSM Crypto Auditor" });
    t.like(inputsOf("ex-kek").inputs, { name: "kek-2026", size: 3072 });
    t.is(await valueOf(component.hsmName), "contoso");
    t.is(await valueOf(component.hsmResourceId), undefined);
    t.deepEqual(Object.keys(component.roleAssignments).sort(), [
      "app",
      "auditor",
      "deployer-crypto-user",
    ]);
  },
);

test("activate: false leaves the activation out: roles wait for the HSM, securityDomain is undefined", async (t) => {
  const { component, children } = await build("noact", {
    activate: false,
    deployerObjectId: DEPLOYER,
    tenantId: TENANT,
  });
  t.false(children.some((c) => c.type.endsWith(":ManagedHsmActivation")));
  t.deepEqual(
    names(children.find((c) => c.name === "noact-deployer-crypto-user")!.dependsOn, children),
    ["noact-hsm"],
  );
  t.is(component.activation, undefined);
  t.is(await valueOf(component.securityDomain), undefined);
  t.deepEqual(await valueOf(component.certificatePems), []);
});

/** The component's error for these arguments. */
function argumentError(t: ExecutionContext, args: ByokManagedHsmArgs): string {
  const error = t.throws(() => new ByokManagedHsm("bad", { deployerObjectId: DEPLOYER, ...args }));
  t.true(isProviderError(error));
  t.is((error as { code?: string }).code, "ERR_INVALID_ARGUMENT");
  return error.message;
}

const PEM_PLACEHOLDER = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

test("bad security domain settings fail at once, naming the argument and the fix", (t) => {
  t.regex(
    argumentError(t, { securityDomain: { certificateCount: 2 } }),
    /securityDomain\.certificateCount is 2: the security domain needs 3 to 10 certificates/,
  );
  t.regex(
    argumentError(t, { securityDomain: { certificates: [PEM_PLACEHOLDER, PEM_PLACEHOLDER] } }),
    /securityDomain\.certificates has 2 certificates: the security domain needs 3 to 10/,
  );
  t.regex(
    argumentError(t, { securityDomain: { quorum: 11 } }),
    /securityDomain\.quorum is 11: the quorum is 2 to 10/,
  );
  t.regex(
    argumentError(t, { securityDomain: { certificateCount: 3, quorum: 4 } }),
    /securityDomain\.quorum is 4 but there are only 3 certificates: .*lower securityDomain\.quorum to at most 3/,
  );
  t.regex(
    argumentError(t, {
      securityDomain: { certificates: ["not a pem", PEM_PLACEHOLDER, PEM_PLACEHOLDER] },
    }),
    /securityDomain\.certificates\[0\]: it is not a PEM certificate/,
  );
  t.regex(
    argumentError(t, { activate: false, securityDomain: { quorum: 2 } }),
    /securityDomain is set with activate: false/,
  );
});

test("bad HSM, role and KEK arguments name their property; several are reported together", (t) => {
  const message = argumentError(t, {
    sku: "Premium" as never,
    softDeleteRetentionInDays: 5,
    publicNetworkAccess: "Off" as never,
    networkAcls: { defaultAction: "Block" as never, ipRules: ["not-an-ip"] },
    initialAdminObjectIds: [],
    roleAssignments: {
      "bad label": { principalId: "me", role: "Owner", scope: "/secrets" },
    },
    kek: { size: 1024 as never, name: "no spaces" },
  });
  for (const expected of [
    /sku is "Premium": use one of Standard_B1/,
    /softDeleteRetentionInDays is 5: a Managed HSM keeps deleted objects 7 to 90 days/,
    /publicNetworkAccess is "Off": use one of Enabled, Disabled/,
    /networkAcls\.defaultAction is "Block"/,
    /networkAcls\.ipRules\[0\] is "not-an-ip"/,
    /initialAdminObjectIds is empty: an HSM without administrators can never be activated/,
    /roleAssignments\.bad label: a label is 1-40 letters/,
    /roleAssignments\.bad label\.role is "Owner": give a built-in role's name/,
    /roleAssignments\.bad label\.scope is "\/secrets"/,
    /roleAssignments\.bad label\.principalId is "me": give an object id/,
    /kek\.size is 1024/,
    /kek\.name is "no spaces"/,
  ]) {
    t.regex(message, expected);
  }
  t.regex(
    argumentError(t, { existingHsmUri: "https://x.managedhsm.azure.net", location: "westeurope" }),
    /location is set with existingHsmUri: the component creates no HSM then/,
  );
});

test("importing the package loads neither @pulumi/azure-native nor the Azure SDK", (t) => {
  const probe = spawnSync(
    process.execPath,
    [
      "--import=tsx",
      "--conditions=azure-byok-source",
      "-e",
      `require("pulumi-azure-byok");
       const loaded = Object.keys(require.cache);
       console.log(JSON.stringify({
         azureNative: loaded.some((p) => p.includes("@pulumi/azure-native")),
         azureSdk: loaded.some((p) => p.includes("@azure/")),
         x509: loaded.some((p) => p.includes("@peculiar/x509")),
       }));`,
    ],
    { cwd: PACKAGE_ROOT, encoding: "utf8" },
  );
  t.is(probe.status, 0, probe.stderr);
  t.deepEqual(JSON.parse(probe.stdout.trim().split("\n").at(-1) ?? "{}"), {
    azureNative: false,
    azureSdk: false,
    x509: false,
  });
});
