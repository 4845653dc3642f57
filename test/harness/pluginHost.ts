/**
 * The plugin-host client for tests: the product's gRPC client of the real host
 * (`cli/driver/pluginHostClient.ts`, which the offline deployment driver uses too), plus what only
 * tests need: the serialized providers captured under `setMocks`, and URNs of the test stack.
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";

export { PACKAGE_ROOT, startPluginHost } from "../../cli/driver/pluginHostClient.js";
export type {
  CheckFailure,
  DiffChanges,
  PluginHost,
  PropertyMap,
  StartPluginHostOptions,
} from "../../cli/driver/pluginHostClient.js";

/** The `__provider` strings of the dynamic resources, produced by Pulumi's own serializer. */
export interface SerializedProviders {
  readonly importKek: string;
  readonly byokImportedKey: string;
  readonly hsmActivation: string;
  readonly hsmRoleAssignment: string;
}

let captured: Promise<SerializedProviders> | undefined;

/**
 * The `__provider` text of each resource exactly as a program registers it: the resources
 * are constructed under `pulumi.runtime.setMocks` (so `dynamic.Resource` runs Pulumi's own
 * serializer, reference §3) and the mock monitor records the `__provider` input. Memoized per
 * process. It replaces any mocks set before, so do not mix it with a test's own `setMocks`.
 */
export function serializeProviders(): Promise<SerializedProviders> {
  captured ??= (async () => {
    const byType = new Map<string, string>();
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const provider: unknown = (args.inputs as Record<string, unknown>).__provider;
          const text: unknown = pulumi.runtime.isRpcSecret(provider)
            ? (pulumi.runtime.unwrapRpcSecret(provider) as unknown)
            : provider;
          if (typeof text === "string") byType.set(args.type.split(":").at(-1) ?? "", text);
          return { id: `${args.name}-id`, state: {} };
        },
        call: () => ({}),
      },
      "azure-byok-harness",
      "harness",
    );
    const { ImportKek, ByokImportedKey, ManagedHsmActivation, ManagedHsmRoleAssignment } =
      await import("pulumi-azure-byok");
    const vaultUrl = "https://harness.managedhsm.azure.net";
    const kek = new ImportKek("harness-kek", { vaultUrl, name: "harness-kek" });
    const key = new ByokImportedKey("harness-key", {
      vaultUrl,
      name: "harness-key",
      byok: "{}",
      keyType: "RSA",
    });
    const activation = new ManagedHsmActivation("harness-activation", { hsmUri: vaultUrl });
    const assignment = new ManagedHsmRoleAssignment("harness-assignment", {
      hsmUri: vaultUrl,
      scope: "/keys",
      role: "Managed HSM Crypto User",
      principalId: "00000000-0000-0000-0000-000000000000",
    });
    await new Promise((resolveIds) =>
      pulumi.all([kek.id, key.id, activation.id, assignment.id]).apply(resolveIds),
    );
    const importKek = byType.get("ImportKek");
    const byokImportedKey = byType.get("ByokImportedKey");
    const hsmActivation = byType.get("ManagedHsmActivation");
    const hsmRoleAssignment = byType.get("ManagedHsmRoleAssignment");
    if (
      importKek === undefined ||
      byokImportedKey === undefined ||
      hsmActivation === undefined ||
      hsmRoleAssignment === undefined
    ) {
      throw new Error(
        `the mocks saw no __provider for some types: ${[...byType.keys()].join(", ")}`,
      );
    }
    return { importKek, byokImportedKey, hsmActivation, hsmRoleAssignment };
  })();
  return captured;
}

/** URNs the way the engine builds them for our dynamic types. */
export function urnOf(
  type: "ImportKek" | "ByokImportedKey" | "ManagedHsmActivation" | "ManagedHsmRoleAssignment",
  name: string,
): string {
  return `urn:pulumi:test::azure-byok-test::pulumi-nodejs:dynamic/azure-byok:${type}::${name}`;
}
