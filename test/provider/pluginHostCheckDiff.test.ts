/**
 * check and diff through the real plugin host, with the `__provider` text from Pulumi's own
 * serializer: no network (the vault URLs below are never contacted, and no emulator runs).
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { byokSha256 } from "../../byok/index.js";
import { UNKNOWN_VALUE } from "../../provider/unknowns.js";
import { HSM_URL, KEK_VERSION, wrappedTarget } from "../harness/byokFixtures.js";
import { PACKAGE_ROOT, serializeProviders, startPluginHost, urnOf } from "../harness/pluginHost.js";
import type { PluginHost } from "../harness/pluginHost.js";
import { findLeaks } from "../harness/resourceDriver.js";

const KEK_KID = `${HSM_URL}/keys/KEKforBYOK/${KEK_VERSION}`;
let host: PluginHost;
let providers: Awaited<ReturnType<typeof serializeProviders>>;

test.before(async () => {
  providers = await serializeProviders();
  host = await startPluginHost();
  await host.configure();
});
test.after.always(async () => {
  await host.close();
});

test("the serialized providers are small, name the package, and hold no path of this machine", (t) => {
  for (const [text, type] of [
    [providers.importKek, "importKek"],
    [providers.byokImportedKey, "byokImportedKey"],
  ] as const) {
    t.true(Buffer.byteLength(text) < 4096, `__provider is ${Buffer.byteLength(text)} bytes`);
    t.true(text.includes(`require("pulumi-azure-byok/provider/runtime/${type}")`));
    t.false(text.includes(PACKAGE_ROOT));
    t.false(text.includes("@azure/"));
  }
  t.log(
    `__provider sizes: ImportKek ${Buffer.byteLength(providers.importKek)} B, ByokImportedKey ${Buffer.byteLength(providers.byokImportedKey)} B`,
  );
});

test("Check through the host stores the .byok digest, never the content", async (t) => {
  const { text, ciphertext } = await wrappedTarget("rsa-2048", { kekKid: KEK_KID });
  const urn = urnOf("ByokImportedKey", "check-digest");
  const news = {
    vaultUrl: HSM_URL,
    name: "app",
    byok: text,
    keyType: "RSA",
    kekKid: KEK_KID,
    __provider: providers.byokImportedKey,
  };
  const { inputs, failures } = await host.check(urn, {}, news);
  t.deepEqual(failures, []);
  t.is(inputs.byok, `sha256:${byokSha256(text)}`);
  t.is(inputs.__provider, providers.byokImportedKey);
  t.deepEqual(findLeaks(JSON.stringify(inputs), { byok: text, ciphertext }), []);
});

test("Check through the host returns every failure with its property", async (t) => {
  const urn = urnOf("ByokImportedKey", "check-fail");
  const { failures } = await host.check(
    urn,
    {},
    {
      vaultUrl: "contoso",
      name: "",
      byok: "{}",
      keyType: "EC",
      kekKid: UNKNOWN_VALUE,
      __provider: providers.byokImportedKey,
    },
  );
  t.deepEqual(failures.map((f) => f.property).sort(), ["byok", "curve", "name", "vaultUrl"]);
  const kek = await host.check(
    urnOf("ImportKek", "kek-fail"),
    {},
    {
      vaultUrl: HSM_URL,
      name: "KEKforBYOK",
      size: 1024,
      __provider: providers.importKek,
    },
  );
  t.deepEqual(
    kek.failures.map((f) => f.property),
    ["size"],
  );
});

test("Check tolerates unknowns from resources not yet created (first preview)", async (t) => {
  const { text } = await wrappedTarget("ec-p256", { kekKid: KEK_KID });
  const { failures, inputs } = await host.check(
    urnOf("ByokImportedKey", "unknowns"),
    {},
    {
      vaultUrl: UNKNOWN_VALUE,
      name: "ec",
      byok: text,
      keyType: "EC",
      curve: "P-256",
      kekKid: UNKNOWN_VALUE,
      __provider: providers.byokImportedKey,
    },
  );
  t.deepEqual(failures, []);
  t.is(inputs.vaultUrl, UNKNOWN_VALUE);
});

test("Diff through the host: no-op, in-place update, new version in place, replace", async (t) => {
  const urn = urnOf("ByokImportedKey", "diff");
  const olds = {
    __provider: "exports.handler = an older provider",
    vaultUrl: HSM_URL,
    name: "app",
    version: "v1",
    latestVersion: "v1",
    byokSha256: "c".repeat(64),
    keyType: "RSA",
    tags: {},
    enabled: true,
    purgeOnDelete: false,
    exportable: false,
  };
  const news = {
    vaultUrl: HSM_URL,
    name: "app",
    byok: `sha256:${"c".repeat(64)}`,
    keyType: "RSA",
    __provider: providers.byokImportedKey,
  };
  t.like(await host.diff("id", urn, olds, news), { changes: "none", replaces: [] });
  t.like(await host.diff("id", urn, olds, { ...news, tags: { env: "dev" } }), {
    changes: "some",
    replaces: [],
  });
  t.like(await host.diff("id", urn, olds, { ...news, byok: `sha256:${"d".repeat(64)}` }), {
    changes: "some",
    replaces: [],
  });
  const replace = await host.diff("id", urn, olds, { ...news, name: "renamed" });
  t.deepEqual(replace.replaces, ["name"]);
  t.false(replace.deleteBeforeReplace);
});

test("check and diff do not load the Azure SDK", (t) => {
  const script = `
    const rt = require("pulumi-azure-byok/provider/runtime");
    rt.byokImportedKeyImplementation.check({}, { vaultUrl: "${HSM_URL}", name: "k", byok: "{}", keyType: "RSA" });
    rt.byokImportedKeyImplementation.diff("id", { name: "k" }, { name: "k" });
    rt.importKekImplementation.check({}, { vaultUrl: "${HSM_URL}", name: "k" });
    rt.importKekImplementation.diff("id", { name: "k" }, { name: "k" });
    const azure = Object.keys(require.cache).filter((p) => p.includes("@azure"));
    process.stdout.write(JSON.stringify(azure));`;
  const run = spawnSync(
    process.execPath,
    [
      `--import=${pathToFileURL(require.resolve("tsx")).href}`,
      "--conditions=azure-byok-source",
      "-e",
      script,
    ],
    { cwd: PACKAGE_ROOT, encoding: "utf8" },
  );
  t.is(run.status, 0, run.stderr);
  t.deepEqual(JSON.parse(run.stdout), []);
});
