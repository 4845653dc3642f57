/**
 * Program-level tests under `pulumi.runtime.setMocks`: how a program's inputs and outputs are
 * wired. The mocks stand in for the engine's resource monitor (no engine runs here); they answer
 * with outputs shaped like the providers' and record what each resource was registered with.
 */
import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { ByokImportedKey, ImportKek } from "pulumi-azure-byok";
import { byokImportedKeyImplementation } from "../../provider/runtime.js";
import { HSM_URL, KEK_VERSION, wrappedTarget } from "../harness/byokFixtures.js";

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}
const registrations: Registration[] = [];

void pulumi.runtime.setMocks(
  {
    newResource(args) {
      registrations.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs as Record<string, unknown>,
      });
      const inputs = args.inputs as Record<string, string>;
      if (args.type.endsWith(":ImportKek")) {
        const kid = `${inputs.vaultUrl}/keys/${inputs.name}/${KEK_VERSION}`;
        return {
          id: `${inputs.vaultUrl}/keys/${inputs.name}`,
          state: { ...inputs, kid, version: KEK_VERSION, keySize: 2048 },
        };
      }
      // what the engine would store: the checked inputs (digest, not content) plus outputs
      const { inputs: checked } = byokImportedKeyImplementation.check(
        {},
        args.inputs as Record<string, unknown>,
      );
      const digest = String(checked.byok).slice("sha256:".length);
      return {
        id: `${inputs.vaultUrl}/keys/${inputs.name}`,
        state: { ...checked, byokSha256: digest, kid: `${inputs.vaultUrl}/keys/${inputs.name}/v1` },
      };
    },
    call: (args) => args.inputs as Record<string, unknown>,
  },
  "azure-byok-test",
  "dev",
);

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

test("kek.kid and kek.vaultUrl flow into the imported key's inputs; outputs are declared", async (t) => {
  const kekKid = `${HSM_URL}/keys/KEKforBYOK/${KEK_VERSION}`;
  const { text } = await wrappedTarget("rsa-2048", { kekKid });
  const kek = new ImportKek("kek", { vaultUrl: HSM_URL, name: "KEKforBYOK", size: 2048 });
  const key = new ByokImportedKey("app", {
    vaultUrl: kek.vaultUrl,
    name: "ContosoFirstHSMkey",
    byok: text,
    keyType: "RSA",
    kekKid: kek.kid,
    tags: { env: pulumi.output("prod") },
  });
  t.is(await valueOf(kek.kid), kekKid);
  t.is(await valueOf(key.kid), `${HSM_URL}/keys/ContosoFirstHSMkey/v1`);
  t.regex(await valueOf(key.byokSha256), /^[0-9a-f]{64}$/);
  const registered = registrations.find((r) => r.name === "app");
  t.truthy(registered);
  t.is(registered!.type, "pulumi-nodejs:dynamic/azure-byok:ByokImportedKey");
  t.is(registered!.inputs.kekKid, kekKid);
  t.is(registered!.inputs.vaultUrl, HSM_URL);
  t.deepEqual(registered!.inputs.tags, { env: "prod" });
  t.is(
    registrations.find((r) => r.name === "kek")!.type,
    "pulumi-nodejs:dynamic/azure-byok:ImportKek",
  );
  // without a slot in the constructor's props an output is not on the object (reference §1.5)
  for (const output of [key.byokHeader, key.byokKekKid, key.attributes, key.releasePolicy]) {
    t.true(pulumi.Output.isInstance(output));
  }
});

test("releasePolicy's policy and immutable may come from other resources; the provider gets plain values", async (t) => {
  const kek = new ImportKek("kek-release", { vaultUrl: HSM_URL, name: "KEKrelease" });
  const { text } = await wrappedTarget("rsa-2048", {
    kekKid: `${HSM_URL}/keys/KEKrelease/${KEK_VERSION}`,
  });
  // an attestation authority's URI known only once another resource exists
  const authority = kek.vaultUrl.apply((url) => `${url}/attest`);
  const policy = authority.apply((url) =>
    JSON.stringify({
      version: "1.0.0",
      anyOf: [{ authority: url, allOf: [{ claim: "x-ms-attestation-type", equals: "sevsnpvm" }] }],
    }),
  );
  const key = new ByokImportedKey("release", {
    vaultUrl: kek.vaultUrl,
    name: "released",
    byok: text,
    keyType: "RSA",
    exportable: true,
    releasePolicy: { policy, immutable: pulumi.output(true) },
  });
  await valueOf(key.kid);
  const registered = registrations.find((r) => r.name === "release")!;
  const releasePolicy = registered.inputs.releasePolicy as { policy: string; immutable: boolean };
  t.deepEqual(Object.keys(releasePolicy).sort(), ["immutable", "policy"]);
  t.is(releasePolicy.immutable, true);
  t.is(
    (JSON.parse(releasePolicy.policy) as { anyOf: { authority: string }[] }).anyOf[0]!.authority,
    `${HSM_URL}/attest`,
  );
  t.deepEqual(byokImportedKeyImplementation.check({}, registered.inputs).failures, []);
});

test("each resource type registers one small __provider that loads the implementation by name", async (t) => {
  const kek = new ImportKek("kek2", { vaultUrl: HSM_URL, name: "KEK2" });
  const kek3 = new ImportKek("kek3", { vaultUrl: HSM_URL, name: "KEK3" });
  const { text } = await wrappedTarget("ec-p256", {
    kekKid: `${HSM_URL}/keys/KEK2/${KEK_VERSION}`,
  });
  const key = new ByokImportedKey("ec", {
    vaultUrl: HSM_URL,
    name: "ec",
    byok: text,
    keyType: "EC",
    curve: "P-256",
  });
  await Promise.all([valueOf(kek.kid), valueOf(kek3.kid), valueOf(key.kid)]);
  const provider = (name: string) => {
    const value = registrations.find((r) => r.name === name)!.inputs.__provider;
    return String(
      pulumi.runtime.isRpcSecret(value) ? pulumi.runtime.unwrapRpcSecret(value) : value,
    );
  };
  t.is(provider("kek2"), provider("kek3"));
  t.not(provider("kek2"), provider("ec"));
  for (const [name, type] of [
    ["kek2", "importKek"],
    ["ec", "byokImportedKey"],
  ] as const) {
    t.true(provider(name).includes(`require("pulumi-azure-byok/provider/runtime/${type}")`));
    // from a clone the shell is stored by value, about 2.2 KB, nearly all the serializer's
    // scaffolding; an installed package stores a require() by name (installedProvider.test.ts)
    t.true(Buffer.byteLength(provider(name)) < 2560, `${Buffer.byteLength(provider(name))} bytes`);
    t.false(provider(name).includes(process.cwd()), "no path of this machine");
  }
});
