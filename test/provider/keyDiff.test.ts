import test from "ava";
import { IMPORT_KEK_CHANGES, planKeyChange } from "../../provider/keyDiff.js";
import { UNKNOWN_VALUE } from "../../provider/unknowns.js";

const DIGEST = "a".repeat(64);
const stored = {
  __provider: "exports.handler = old",
  vaultUrl: "https://contoso.managedhsm.azure.net",
  name: "app-key",
  version: "v1",
  latestVersion: "v1",
  byokSha256: DIGEST,
  keyType: "RSA",
  tags: { env: "prod" },
  enabled: true,
  keyOps: ["encrypt", "decrypt"],
  purgeOnDelete: false,
  exportable: false,
};
const same = {
  __provider: "exports.handler = new",
  vaultUrl: "https://contoso.managedhsm.azure.net/",
  name: "APP-KEY",
  byok: `sha256:${DIGEST}`,
  keyType: "RSA",
  tags: { env: "prod" },
  kekKid: "https://contoso.managedhsm.azure.net/keys/kek/v9",
};

test("same inputs, a __provider-only change, URL slash and name case are no change", (t) => {
  t.deepEqual(planKeyChange(stored, same), {
    changes: false,
    replaces: [],
    newVersion: [],
    update: [],
  });
});

test("only vaultUrl and name replace", (t) => {
  const plan = planKeyChange(stored, {
    ...same,
    vaultUrl: "https://other.managedhsm.azure.net",
    name: "other",
  });
  t.deepEqual(plan.replaces, ["vaultUrl", "name"]);
  t.true(plan.changes);
});

test("a new .byok is a new version in place, never a replace", (t) => {
  const plan = planKeyChange(stored, { ...same, byok: `sha256:${"b".repeat(64)}` });
  t.deepEqual(plan, { changes: true, replaces: [], newVersion: ["byok"], update: [] });
  // the raw content (before check) is compared by its digest too
  t.deepEqual(planKeyChange(stored, { ...same, byok: "{}" }).newVersion, ["byok"]);
});

test("tags, enabled, dates, ops and purgeOnDelete update in place", (t) => {
  const plan = planKeyChange(stored, {
    ...same,
    tags: { env: "dev" },
    enabled: false,
    expiresOn: "2030-01-01T00:00:00Z",
    keyOps: ["encrypt"],
    purgeOnDelete: true,
  });
  t.deepEqual(plan.replaces, []);
  t.deepEqual(plan.newVersion, []);
  t.deepEqual(plan.update.sort(), ["enabled", "expiresOn", "keyOps", "purgeOnDelete", "tags"]);
});

test("absent optional inputs are no opinion; absent tags mean no tags", (t) => {
  t.deepEqual(planKeyChange({ ...stored, expiresOn: "2030-01-01T00:00:00.000Z" }, same).update, []);
  t.deepEqual(planKeyChange(stored, { ...same, tags: undefined }).update, ["tags"]);
  t.deepEqual(planKeyChange({ ...stored, tags: {} }, { ...same, tags: undefined }).update, []);
  t.deepEqual(planKeyChange(stored, { ...same, keyOps: ["decrypt", "encrypt"] }).update, []);
  t.deepEqual(
    planKeyChange(
      { ...stored, expiresOn: "2030-01-01T00:00:00.000Z" },
      { ...same, expiresOn: "2030-01-01T00:00:00Z" },
    ).update,
    [],
  );
});

test("unknown values count as changes with their property's action", (t) => {
  const plan = planKeyChange(stored, {
    ...same,
    byok: UNKNOWN_VALUE,
    tags: { env: UNKNOWN_VALUE },
    vaultUrl: UNKNOWN_VALUE,
  });
  t.deepEqual(plan.replaces, ["vaultUrl"]);
  t.deepEqual(plan.newVersion, ["byok"]);
  t.deepEqual(plan.update, ["tags"]);
});

test("a newer version made outside Pulumi re-imports the declared .byok", (t) => {
  const plan = planKeyChange({ ...stored, latestVersion: "v2" }, same);
  t.deepEqual(plan.newVersion, ["latestVersion"]);
});

test("ImportKek: a size change is a new KEK version in place; drift in versions is only reported", (t) => {
  const kek = {
    vaultUrl: stored.vaultUrl,
    name: "kek",
    keySize: 2048,
    version: "v1",
    latestVersion: "v2",
    tags: {},
    enabled: true,
  };
  const news = { vaultUrl: stored.vaultUrl, name: "kek", size: 4096 };
  t.deepEqual(
    planKeyChange(kek, news, { table: IMPORT_KEK_CHANGES, restoreLatestVersion: false }),
    {
      changes: true,
      replaces: [],
      newVersion: ["size"],
      update: [],
    },
  );
  t.false(
    planKeyChange(
      kek,
      { ...news, size: 2048 },
      { table: IMPORT_KEK_CHANGES, restoreLatestVersion: false },
    ).changes,
  );
});
