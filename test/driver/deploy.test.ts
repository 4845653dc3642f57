/**
 * The offline deployment driver end to end: `examples/emulator` run with the real Pulumi runtime,
 * its dynamic resources through the real plugin host, against the emulator. One emulator for the
 * file; the tests run serially because the Pulumi runtime is one per process.
 */
import { mkdtemp, readFile, rm, symlink, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { deploy, hasNoChanges, PACKAGE_ROOT, readState, UNKNOWN } from "../../cli/driver/index.js";
import type { DeploymentResult, StepOp } from "../../cli/driver/index.js";
import { encodeTargetKey } from "../../byok/index.js";
import { startTestEmulator } from "../harness/emulatorHarness.js";
import type { TestEmulator } from "../harness/emulatorHarness.js";
import { wrappedTarget } from "../harness/byokFixtures.js";
import { findLeaks } from "../harness/resourceDriver.js";
import { keepForLeakScan } from "../reliability/reliabilitySettings.js";

const PROJECT = join(PACKAGE_ROOT, "examples", "emulator");
let hsm: TestEmulator;
let work: string;

test.before(async () => {
  hsm = await startTestEmulator({ vaults: [{ name: "driver-hsm", kind: "managedhsm" }] });
  work = await mkdtemp(join(tmpdir(), "azure-byok-driver-"));
});

test.after.always(async () => {
  await hsm.emulator.stop();
  keepForLeakScan(work, "driver");
  await rm(work, { recursive: true, force: true });
});

/** `op type:name` of every step, in registration order. */
function stepsOf(result: DeploymentResult): string[] {
  return result.steps.map((step) => `${step.op} ${step.type.split(":").at(-1) ?? ""}:${step.name}`);
}

function opOf(result: DeploymentResult, name: string): StepOp | undefined {
  return result.steps.find((step) => step.name === name)?.op;
}

function stack(name: string, config: Record<string, string>) {
  const stateFile = join(work, name, "state.json");
  return {
    stateFile,
    up: (extra: Record<string, string> = {}, preview = false) =>
      deploy({
        projectDir: PROJECT,
        stateFile,
        preview,
        env: hsm.emulator.env,
        config: { vaultUrl: hsm.emulator.url("driver-hsm"), kekSize: "2048", ...config, ...extra },
      }),
  };
}

test.serial(
  "preview plans the KEK and writes nothing; up creates it; a second up changes nothing",
  async (t) => {
    const s = stack("first", { kekName: "driver-first-kek" });

    const preview = await s.up({}, true);
    t.deepEqual(stepsOf(preview), ["create Stack:azure-byok-emulator-dev", "create ImportKek:kek"]);
    t.is(preview.outputs.kekKid, UNKNOWN, "a KEK not yet created has no kid in preview");
    t.false(existsSync(s.stateFile), "preview wrote no state file");
    t.is(
      (await hsm.keyClient().listPropertiesOfKeys().next()).done,
      true,
      "preview created no key",
    );

    const created = await s.up();
    t.deepEqual(stepsOf(created), ["create Stack:azure-byok-emulator-dev", "create ImportKek:kek"]);
    const kekKid = created.outputs.kekKid as string;
    t.regex(kekKid, /\/keys\/driver-first-kek\/[0-9a-f]{32}$/);
    const kek = await hsm.keyClient().getKey("driver-first-kek");
    t.is(kek.id, kekKid);
    t.deepEqual(kek.keyOperations, ["import"]);

    const state = await readState(s.stateFile, "azure-byok-emulator", "dev");
    const entry = state.resources.find((r) => r.type.endsWith(":ImportKek"));
    t.truthy(entry);
    t.is(typeof entry!.inputs.__provider, "string", "the checked inputs keep __provider");
    t.is(
      entry!.outputs.__provider,
      entry!.inputs.__provider,
      "Delete will run the stored provider",
    );
    t.is(entry!.outputs.kid, kekKid);
    t.is((state.outputs as Record<string, unknown>).kekKid, kekKid, "stack outputs are in state");

    const again = await s.up();
    t.true(hasNoChanges(again));
    t.deepEqual(stepsOf(again), ["same Stack:azure-byok-emulator-dev", "same ImportKek:kek"]);
    t.is(again.outputs.kekKid, kekKid, "a no-op keeps the outputs");
  },
);

test.serial(
  "a changed input updates in place, the imported key keeps no secret in state, a dropped key is deleted",
  async (t) => {
    const s = stack("second", { kekName: "driver-kek", keyName: "driver-key" });
    const first = await s.up();
    const firstKid = first.outputs.kekKid as string;

    // preview of a size change: an in-place update, nothing written
    const before = await readFile(s.stateFile, "utf8");
    const planned = await s.up({ kekSize: "3072" }, true);
    t.is(opOf(planned, "kek"), "update");
    t.deepEqual(planned.steps.find((step) => step.name === "kek")?.keys, ["size"]);
    t.is(await readFile(s.stateFile, "utf8"), before, "preview left the state file as it was");
    t.is((await hsm.keyClient().getKey("driver-kek")).id, firstKid, "preview made no new version");

    const updated = await s.up({ kekSize: "3072" });
    t.is(opOf(updated, "kek"), "update");
    const kekKid = updated.outputs.kekKid as string;
    t.not(kekKid, firstKid, "a new KEK version");
    t.is(kekKid.split("/").slice(0, -1).join("/"), firstKid.split("/").slice(0, -1).join("/"));
    t.is((await hsm.keyClient().getKey("driver-kek")).key?.n?.length, 384, "RSA-3072 in the HSM");

    // phase 2: a .byok file wrapped for that KEK version is imported
    const { text, target } = await wrappedTarget("rsa-2048", {
      kekKid,
      kekPublicKeyPem: updated.outputs.kekPublicKeyPem as string,
    });
    const byokFile = join(work, "second", "key.byok");
    await writeFile(byokFile, text);
    const imported = await s.up({ kekSize: "3072", byokFile });
    t.is(opOf(imported, "kek"), "same");
    t.is(opOf(imported, "key"), "create");
    const keyId = imported.outputs.keyId as string;
    t.is((await hsm.keyClient().getKey("driver-key")).id, keyId);

    const stateText = await readFile(s.stateFile, "utf8");
    t.deepEqual(
      findLeaks(stateText, { ".byok file": text, "target key": encodeTargetKey(target) }),
      [],
      "the state file holds neither the .byok file nor key material",
    );
    const state = await readState(s.stateFile, "azure-byok-emulator", "dev");
    const keyEntry = state.resources.find((r) => r.type.endsWith(":ByokImportedKey"));
    t.regex(
      String(keyEntry?.inputs.byok),
      /^sha256:[0-9a-f]{64}$/,
      "the .byok input is its digest",
    );

    // the program drops the key: it is deleted through the provider stored in state
    const dropped = await s.up({ kekSize: "3072" });
    t.is(opOf(dropped, "key"), "delete");
    t.is(opOf(dropped, "kek"), "same");
    t.is(dropped.outputs.keyId, null);
    await t.throwsAsync(hsm.keyClient().getKey("driver-key"), { message: /driver-key/ });
    t.truthy(await hsm.keyClient().getDeletedKey("driver-key"), "soft-deleted, recoverable");
    const after = await readState(s.stateFile, "azure-byok-emulator", "dev");
    t.false(after.resources.some((r) => r.type.endsWith(":ByokImportedKey")));
  },
);

test.serial(
  "a renamed KEK is replaced: preview shows the replace and changes nothing; up makes the new key, soft-deletes the old one and leaves no pending delete",
  async (t) => {
    const s = stack("replace", { kekName: "driver-kek-a" });
    const first = await s.up();
    const oldKid = first.outputs.kekKid as string;
    t.regex(oldKid, /\/keys\/driver-kek-a\//);

    const before = await readFile(s.stateFile, "utf8");
    const planned = await s.up({ kekName: "driver-kek-b" }, true);
    t.is(opOf(planned, "kek"), "replace");
    t.deepEqual(planned.steps.find((step) => step.name === "kek")?.keys, ["name"]);
    t.is(await readFile(s.stateFile, "utf8"), before, "preview left the state file as it was");
    await t.throwsAsync(hsm.keyClient().getKey("driver-kek-b"), { message: /driver-kek-b/ });
    t.is((await hsm.keyClient().getKey("driver-kek-a")).id, oldKid, "preview deleted nothing");

    const replaced = await s.up({ kekName: "driver-kek-b" });
    t.deepEqual(stepsOf(replaced), ["same Stack:azure-byok-emulator-dev", "replace ImportKek:kek"]);
    const newKid = replaced.outputs.kekKid as string;
    t.regex(newKid, /\/keys\/driver-kek-b\/[0-9a-f]{32}$/);
    const created = await hsm.keyClient().getKey("driver-kek-b");
    t.is(created.id, newKid);
    t.deepEqual(created.keyOperations, ["import"]);
    await t.throwsAsync(hsm.keyClient().getKey("driver-kek-a"), { message: /driver-kek-a/ });
    const deleted = await hsm.keyClient().getDeletedKey("driver-kek-a");
    t.is(deleted.id, oldKid, "the old KEK is soft-deleted, recoverable");

    const state = await readState(s.stateFile, "azure-byok-emulator", "dev");
    t.deepEqual(state.pendingDeletes, [], "the old copy is gone from the pending deletes");
    const keks = state.resources.filter((r) => r.type.endsWith(":ImportKek"));
    t.deepEqual(
      keks.map((r) => r.outputs.kid),
      [newKid],
      "state holds the new KEK only",
    );

    const again = await s.up({ kekName: "driver-kek-b" });
    t.true(hasNoChanges(again));
    t.is(again.outputs.kekKid, newKid);
  },
);

test.serial(
  "a custom resource that is not dynamic is refused: it needs the Pulumi CLI",
  async (t) => {
    // a project outside the checkout, seeing this package and @pulumi/* as an installed program would
    const dir = join(work, "native");
    await mkdir(join(dir, "node_modules"), { recursive: true });
    await symlink(
      join(PACKAGE_ROOT, "node_modules", "@pulumi"),
      join(dir, "node_modules", "@pulumi"),
    );
    await writeFile(join(dir, "Pulumi.yaml"), "name: native\nruntime: nodejs\n");
    await writeFile(
      join(dir, "index.ts"),
      'import * as resources from "@pulumi/azure-native/resources";\nnew resources.ResourceGroup("rg");\n',
    );
    const stateFile = join(dir, "state.json");
    const error = await t.throwsAsync(
      deploy({ projectDir: dir, stateFile, env: hsm.emulator.env }),
      { code: "ERR_NEEDS_PULUMI_CLI" },
    );
    t.regex(
      error.message,
      /azure-native:resources:ResourceGroup.*needs the Pulumi CLI.*pulumi up/s,
    );
    const state = await readState(stateFile, "native", "dev");
    t.false(
      state.resources.some((r) => r.custom),
      "nothing custom was recorded",
    );
  },
);

test.serial(
  "a Check failure stops the deployment, names the property, and keeps what was done",
  async (t) => {
    const s = stack("check", { kekName: "driver-check-kek", keyName: "driver-check-key" });
    const created = await s.up();
    const kekKid = created.outputs.kekKid as string;
    // a file wrapped for another version of the KEK: Check refuses it before anything is imported
    const { text } = await wrappedTarget("rsa-2048", {
      kekKid: `${kekKid.split("/").slice(0, -1).join("/")}/${"0".repeat(32)}`,
      kekPublicKeyPem: created.outputs.kekPublicKeyPem as string,
    });
    const byokFile = join(work, "check", "stale.byok");
    await writeFile(byokFile, text);
    const error = await t.throwsAsync(s.up({ byokFile }), { code: "ERR_CHECK_FAILED" });
    t.regex(error.message, /ByokImportedKey::key has invalid inputs:\n\s+\S*(kekKid|byok)\S*: /);
    await t.throwsAsync(hsm.keyClient().getKey("driver-check-key"), {
      message: /driver-check-key/,
    });
    const state = await readState(s.stateFile, "azure-byok-emulator", "dev");
    t.is(state.resources.find((r) => r.type.endsWith(":ImportKek"))?.outputs.kid, kekKid);
  },
);
