// Prints, as JSON, the `__provider` text of each resource type as a program in the current
// directory registers it: the same as serializeProviders() in pluginHost.ts, but with
// `pulumi-azure-byok` and `@pulumi/pulumi` loaded from this directory's node_modules, as a
// user's program loads them. Run by installedPackage.ts with --preserve-symlinks, so the
// installed layout keeps its paths (Pulumi's serializer names modules by their path).
/* global process, require, console -- Node CommonJS */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script run without tsx */
"use strict";

// Resolved as from a file of the program: `require.resolve(name, { paths })` from this file
// would first try this clone's own name (package self-reference) and load its dist/ instead.
const fromProgram = require("node:module").createRequire(
  require("node:path").join(process.cwd(), "program.js"),
);

async function main() {
  const pulumi = fromProgram("@pulumi/pulumi");
  const byType = {};
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const value = args.inputs.__provider;
        const text = pulumi.runtime.isRpcSecret(value)
          ? pulumi.runtime.unwrapRpcSecret(value)
          : value;
        byType[args.type.split(":").at(-1)] = text;
        return { id: `${args.name}-id`, state: {} };
      },
      call: () => ({}),
    },
    "azure-byok-installed",
    "installed",
  );
  const byok = fromProgram("pulumi-azure-byok");
  const vaultUrl = "https://installed.managedhsm.azure.net";
  const resources = [
    new byok.ImportKek("kek", { vaultUrl, name: "kek" }),
    new byok.ByokImportedKey("key", { vaultUrl, name: "key", byok: "{}", keyType: "RSA" }),
    new byok.ManagedHsmActivation("activation", { hsmUri: vaultUrl }),
    new byok.ManagedHsmRoleAssignment("assignment", {
      hsmUri: vaultUrl,
      scope: "/keys",
      role: "Managed HSM Crypto User",
      principalId: "00000000-0000-0000-0000-000000000000",
    }),
  ];
  await new Promise((resolve) => pulumi.all(resources.map((r) => r.id)).apply(resolve));
  console.log(
    JSON.stringify({
      importKek: byType.ImportKek,
      byokImportedKey: byType.ByokImportedKey,
      hsmActivation: byType.ManagedHsmActivation,
      hsmRoleAssignment: byType.ManagedHsmRoleAssignment,
    }),
  );
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exitCode = 1;
});
