/**
 * What users get from an npm install (provider/installLayout.ts): the package installed as npm
 * lays it out (built `dist/` only, test/harness/installedPackage.ts), a program in that
 * directory registering our resources, and the real plugin host running them from there. The
 * stored `__provider` is a `require()` of the type's shell by name, about 0.3 KB instead of
 * 2.2 KB, on every resource in inputs and outputs; and the host runs it and still runs state
 * written with the stored-by-value form.
 */
import test from "ava";
import { buildByokFile } from "../../byok/index.js";
import { memoizedTargetKey, startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { installPackage } from "../harness/installedPackage.js";
import type { InstalledPackage } from "../harness/installedPackage.js";
import { PACKAGE_ROOT, serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost, SerializedProviders } from "../harness/pluginHost.js";
import { ResourceDriver } from "../harness/resourceDriver.js";

const HSM = "installed-hsm";

let installed: InstalledPackage;
let installedProviders: SerializedProviders;
let emulator: TestEmulator;
let host: PluginHost;

test.before(async () => {
  installed = await installPackage();
  installedProviders = await installed.serializeProviders();
  emulator = await startTestEmulator({ vaults: [{ name: HSM, kind: "managedhsm" }] });
  host = await startPluginHost({
    env: emulator.emulator.env,
    source: false,
    packageDir: installed.packageDir,
  });
  await host.configure();
});

test.after.always(async () => {
  await (host as PluginHost | undefined)?.close();
  await (emulator as TestEmulator | undefined)?.emulator.stop();
  await (installed as InstalledPackage | undefined)?.remove();
});

const SHELLS: Record<keyof SerializedProviders, string> = {
  importKek: "importKek",
  byokImportedKey: "byokImportedKey",
  hsmActivation: "hsmActivation",
  hsmRoleAssignment: "hsmRoleAssignment",
};

test("an installed package's __provider is a require() of the type's shell by name, under 400 bytes", (t) => {
  for (const [type, shell] of Object.entries(SHELLS) as Array<
    [keyof SerializedProviders, string]
  >) {
    const text = installedProviders[type];
    t.true(
      text.includes(`require("pulumi-azure-byok/provider/shells/${shell}")`),
      `${type}: ${text}`,
    );
    t.true(Buffer.byteLength(text) < 400, `${type}: ${Buffer.byteLength(text)} bytes`);
    t.false(text.includes(installed.programDir), `${type}: no path of the install`);
    t.false(text.includes(PACKAGE_ROOT), `${type}: no path of this clone`);
  }
});

async function kekIn(name: string, provider: string): Promise<{ kid: string; pem: string }> {
  const kek = new ResourceDriver(host, urnOf("ImportKek", name), provider);
  await kek.up({ vaultUrl: emulator.emulator.url(HSM), name, size: 2048 });
  return { kid: String(kek.state!.outputs.kid), pem: String(kek.state!.outputs.publicKeyPem) };
}

async function byokFor(kek: { kid: string; pem: string }): Promise<string> {
  return buildByokFile(await memoizedTargetKey("ec-p256"), {
    kekPublicKey: kek.pem,
    kekKid: kek.kid,
  }).text;
}

test.serial(
  "the plugin host runs the installed shells: a KEK and a BYOK key are created, then a second up changes nothing",
  async (t) => {
    const kek = await kekIn("installed-kek", installedProviders.importKek);
    const program = {
      vaultUrl: emulator.emulator.url(HSM),
      name: "installed-key",
      byok: await byokFor(kek),
      keyType: "EC",
      curve: "P-256",
      kekKid: kek.kid,
    };
    const key = new ResourceDriver(
      host,
      urnOf("ByokImportedKey", "installed-key"),
      installedProviders.byokImportedKey,
    );
    t.is(await key.up(program), "create");
    t.is(await key.up(program), "same");
    const state = key.state!;
    t.is(state.outputs.__provider, installedProviders.byokImportedKey);
    t.is(state.inputs.__provider, installedProviders.byokImportedKey);
    // the entry holds __provider twice (inputs and outputs): by value it is over twice as large
    const stored = Buffer.byteLength(JSON.stringify([state.inputs, state.outputs]));
    const byValue = (await serializeProviders()).byokImportedKey;
    const byValueEntry =
      stored +
      2 * (Buffer.byteLength(byValue) - Buffer.byteLength(installedProviders.byokImportedKey));
    t.true(stored * 2 < byValueEntry, `${stored} bytes; by value ${byValueEntry}`);
    const kv = await emulator.keyClient(HSM).getKey("installed-key");
    t.is(kv.properties.version, String(state.outputs.version));
  },
);

/**
 * The `__provider` text of the stored-by-value shell that a clone or pnpm registers, as this
 * version stores it or, with `earlier`, as earlier builds (before provider/shells/) stored it: loading
 * the gathered `pulumi-azure-byok/provider/runtime` instead of the type's own module.
 */
async function byValueProvider(type: "importKek" | "byokImportedKey", earlier: boolean) {
  const text = (await serializeProviders())[type];
  const own = `require("pulumi-azure-byok/provider/runtime/${type}")`;
  if (!text.includes(own)) throw new Error(`the by-value shell no longer requires ${own}`);
  return earlier ? text.replaceAll(own, 'require("pulumi-azure-byok/provider/runtime")') : text;
}

for (const earlier of [false, true]) {
  test.serial(
    `state written with the stored-by-value provider (${earlier ? "an earlier version's" : "a clone's or pnpm's"}) previews with no change under the installed one`,
    async (t) => {
      const name = earlier ? "earlier" : "byvalue";
      const kek = await kekIn(`${name}-kek`, await byValueProvider("importKek", earlier));
      const program = {
        vaultUrl: emulator.emulator.url(HSM),
        name: `${name}-key`,
        byok: await byokFor(kek),
        keyType: "EC",
        curve: "P-256",
        kekKid: kek.kid,
      };
      const urn = urnOf("ByokImportedKey", `${name}-key`);
      const before = new ResourceDriver(
        host,
        urn,
        await byValueProvider("byokImportedKey", earlier),
      );
      t.is(await before.up(program), "create");
      const after = new ResourceDriver(host, urn, installedProviders.byokImportedKey);
      after.state = before.state;
      const { changes } = await after.preview(program);
      t.is(changes, "none");
      t.is(await after.up(program), "same");
    },
  );
}
