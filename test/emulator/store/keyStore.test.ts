/**
 * One suite for both key stores (STYLE.md rule 8), plus what only the journal promises:
 * replay after reopen, a torn last record cut off, material sealed at rest, and short or failed
 * writes finished or undone so the journal stays readable.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import type { ExecutionContext } from "ava";
import { JOURNAL_FILE, openJournalStore } from "../../../emulator/store/journalStore.js";
import type { JournalFile } from "../../../emulator/store/journalStore.js";
import { createMemoryStore } from "../../../emulator/store/memoryStore.js";
import type { KeyStore, StoredKeyVersion } from "../../../emulator/store/keyStore.js";

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "azure-byok-store-"));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function version(id: string, secret = randomBytes(32)): StoredKeyVersion {
  return {
    version: id,
    kty: "oct-HSM",
    keyOps: ["wrapKey", "unwrapKey"],
    keySize: 256,
    enabled: true,
    created: 1,
    updated: 1,
    exportable: false,
    tags: { team: "a" },
    material: { kind: "oct", bytes: secret },
  };
}

const DOWNLOAD = { startedAt: 1, readyAt: 2, required: 2, certificateCount: 3 };
const ASSIGNMENT = {
  name: "00000000-0000-0000-0000-000000000001",
  scope: "/",
  roleDefinitionGuid: "21dbd100-6940-42c2-9190-5d6cb909625b",
  principalId: "00000000-0000-0000-0000-000000000002",
};

const FACTORIES: Record<string, (t: ExecutionContext) => Promise<KeyStore>> = {
  memory: () => Promise.resolve(createMemoryStore()),
  journal: (t) => openJournalStore(tempDir(t)),
};

for (const [kind, open] of Object.entries(FACTORIES)) {
  test(`${kind} store: versions append in order and names are case-insensitive`, async (t) => {
    const store = await open(t);
    await store.commit([{ op: "putVersion", vault: "v", name: "Key-A", key: version("1") }]);
    await store.commit([{ op: "putVersion", vault: "v", name: "key-a", key: version("2") }]);
    const key = store.getKey("v", "KEY-A");
    t.is(key?.name, "Key-A");
    t.deepEqual(
      key?.versions.map((v) => v.version),
      ["1", "2"],
    );
    t.is(store.getKey("other-vault", "key-a"), undefined);
    await store.close();
  });

  test(`${kind} store: update, delete, recover and purge`, async (t) => {
    const store = await open(t);
    await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("1") }]);
    await store.commit([
      {
        op: "updateVersion",
        vault: "v",
        name: "k",
        version: "1",
        changes: { updated: 5, enabled: false, exp: 100 },
      },
    ]);
    t.is(store.getKey("v", "k")?.versions[0]?.enabled, false);
    t.is(store.getKey("v", "k")?.versions[0]?.exp, 100);
    await store.commit([
      {
        op: "updateVersion",
        vault: "v",
        name: "k",
        version: "1",
        changes: { updated: 6, exp: null },
      },
    ]);
    t.is(store.getKey("v", "k")?.versions[0]?.exp, undefined);
    await store.commit([
      { op: "deleteKey", vault: "v", name: "k", deletedDate: 10, scheduledPurgeDate: 20 },
    ]);
    t.deepEqual(store.getKey("v", "k")?.deleted, { deletedDate: 10, scheduledPurgeDate: 20 });
    await t.throwsAsync(
      store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("2") }]),
      { code: "ERR_STORE_CONFLICT", message: /key k is deleted/ },
      "a deleted key takes no new versions, and says so",
    );
    t.is(store.getKey("v", "k")?.versions.length, 1);
    await store.commit([{ op: "recoverKey", vault: "v", name: "k" }]);
    t.is(store.getKey("v", "k")?.deleted, undefined);
    await store.commit([
      { op: "deleteKey", vault: "v", name: "k", deletedDate: 11, scheduledPurgeDate: 21 },
    ]);
    await store.commit([{ op: "purgeKey", vault: "v", name: "k" }]);
    t.is(store.getKey("v", "k"), undefined);
    await store.close();
  });

  test(`${kind} store: a commit that does not fit is refused whole and changes nothing`, async (t) => {
    const store = await open(t);
    await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("1") }]);
    const refusals: [string, Parameters<KeyStore["commit"]>[0], RegExp][] = [
      [
        "a version that exists",
        [
          { op: "putVersion", vault: "v", name: "other", key: version("1") },
          { op: "putVersion", vault: "v", name: "k", key: version("1") },
        ],
        /key k has a version 1 already/,
      ],
      ["a recover of a live key", [{ op: "recoverKey", vault: "v", name: "k" }], /not deleted/],
      ["a purge of a live key", [{ op: "purgeKey", vault: "v", name: "k" }], /not deleted/],
      [
        "an update of a missing version",
        [{ op: "updateVersion", vault: "v", name: "k", version: "9", changes: { updated: 2 } }],
        /has no version 9/,
      ],
      [
        "a delete of a missing key",
        [{ op: "deleteKey", vault: "v", name: "nope", deletedDate: 1, scheduledPurgeDate: 2 }],
        /does not exist/,
      ],
      [
        "a second security domain download",
        [
          { op: "startSecurityDomainDownload", vault: "h", download: DOWNLOAD },
          { op: "startSecurityDomainDownload", vault: "h", download: DOWNLOAD },
        ],
        /downloaded already/,
      ],
      [
        "a role assignment name that is taken",
        [
          { op: "putRoleAssignment", vault: "h", assignment: ASSIGNMENT },
          { op: "putRoleAssignment", vault: "h", assignment: ASSIGNMENT },
        ],
        /exists already/,
      ],
    ];
    for (const [what, mutations, message] of refusals) {
      await t.throwsAsync(store.commit(mutations), { code: "ERR_STORE_CONFLICT", message }, what);
    }
    // All or none: the first mutation of each refused commit was undone.
    t.is(store.getKey("v", "other"), undefined);
    t.deepEqual(store.getHsm("h"), { rbacSeeded: false, assignments: [], definitions: [] });
    t.deepEqual(
      store.getKey("v", "k")?.versions.map((v) => v.version),
      ["1"],
    );
    // And the store goes on.
    await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("2") }]);
    t.is(store.getKey("v", "k")?.versions.length, 2);
    await store.close();
  });

  test(`${kind} store: writes of one vault decide one at a time, each on the ones before it`, async (t) => {
    const store = await open(t);
    await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("1") }]);
    let releaseFirst = (): void => undefined;
    const gate = new Promise<void>((resolve) => (releaseFirst = resolve));
    const seen: string[] = [];
    // The first write deletes the key after a pause (as a create pauses to generate its key).
    const first = store.write("v", async () => {
      seen.push("first decides");
      await gate;
      return {
        mutations: [
          { op: "deleteKey", vault: "v", name: "k", deletedDate: 1, scheduledPurgeDate: 2 },
        ] as const,
      };
    });
    // The second would add a version to a live key: it decides only once the first is accepted.
    const second = store.write("v", (reader) => {
      seen.push(
        `second decides: deleted=${String(reader.getKey("v", "k")?.deleted !== undefined)}`,
      );
      return reader.getKey("v", "k")?.deleted === undefined
        ? { mutations: [{ op: "putVersion", vault: "v", name: "k", key: version("2") }] as const }
        : {};
    });
    // Another vault's write does not wait.
    await store.write("w", () => ({
      mutations: [{ op: "putVersion", vault: "w", name: "k", key: version("1") }] as const,
    }));
    t.deepEqual(seen, ["first decides"]);
    releaseFirst();
    await Promise.all([first, second]);
    t.deepEqual(seen, ["first decides", "second decides: deleted=true"]);
    t.deepEqual(
      store.getKey("v", "k")?.versions.map((v) => v.version),
      ["1"],
    );
    // A write whose decision throws commits nothing and does not stop the next.
    await t.throwsAsync(
      store.write("v", () => {
        throw new Error("refused");
      }),
      { message: "refused" },
    );
    await store.write("v", () => ({
      mutations: [{ op: "recoverKey", vault: "v", name: "k" }] as const,
    }));
    t.is(store.getKey("v", "k")?.deleted, undefined);
    await store.close();
  });

  test(`${kind} store: concurrent commits all land`, async (t) => {
    const store = await open(t);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.commit([{ op: "putVersion", vault: "v", name: `k${i}`, key: version("1") }]),
      ),
    );
    t.is(store.listKeys("v").length, 50);
    await store.close();
  });
}

test("journal store: a reopened store has every committed write, material included", async (t) => {
  const dir = tempDir(t);
  const secret = randomBytes(32);
  const store = await openJournalStore(dir);
  await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("1", secret) }]);
  await store.commit([
    {
      op: "updateVersion",
      vault: "v",
      name: "k",
      version: "1",
      changes: { updated: 2, tags: { b: "c" } },
    },
  ]);
  await store.close();
  const reopened = await openJournalStore(dir);
  const stored = reopened.getKey("v", "k")?.versions[0];
  t.deepEqual(stored?.tags, { b: "c" });
  t.deepEqual(stored?.material, { kind: "oct", bytes: secret });
  await reopened.close();
});

test("journal store: key material is not on disk in the clear", async (t) => {
  const dir = tempDir(t);
  const secret = randomBytes(32);
  const store = await openJournalStore(dir);
  await store.commit([{ op: "putVersion", vault: "v", name: "k", key: version("1", secret) }]);
  await store.close();
  const journal = readFileSync(path.join(dir, JOURNAL_FILE));
  for (const encoding of ["hex", "base64", "base64url"] as const)
    t.false(journal.includes(secret.toString(encoding)), encoding);
  t.false(journal.includes(secret));
});

test("journal store: a torn last record is cut off and the store keeps working", async (t) => {
  const dir = tempDir(t);
  const store = await openJournalStore(dir);
  await store.commit([{ op: "putVersion", vault: "v", name: "kept", key: version("1") }]);
  await store.close();
  appendFileSync(
    path.join(dir, JOURNAL_FILE),
    '0123456789abcdef [{"op":"putVersion","vault":"v","na',
  );
  let torn = 0;
  const reopened = await openJournalStore(dir, { onTornRecord: (bytes) => (torn = bytes) });
  t.true(torn > 0);
  t.truthy(reopened.getKey("v", "kept"));
  await reopened.commit([{ op: "putVersion", vault: "v", name: "after", key: version("1") }]);
  await reopened.close();
  const again = await openJournalStore(dir);
  t.truthy(again.getKey("v", "after"));
  t.truthy(again.getKey("v", "kept"));
  await again.close();
});

test("journal store: a damaged record followed by good ones refuses to start", async (t) => {
  const dir = tempDir(t);
  const store = await openJournalStore(dir);
  await store.commit([{ op: "putVersion", vault: "v", name: "a", key: version("1") }]);
  await store.commit([{ op: "putVersion", vault: "v", name: "b", key: version("1") }]);
  await store.close();
  const file = path.join(dir, JOURNAL_FILE);
  const content = readFileSync(file);
  content[5] = content[5] === 0x30 ? 0x31 : 0x30;
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, content);
  await t.throwsAsync(openJournalStore(dir), { message: /line 1 is damaged/ });
});

// --- failed and short writes (the journal file wrapped) ---------------------------------------

/** A journal file whose appends and truncates a test steers; counts the appends. */
function steeredFile(
  steer: {
    append?: (inner: JournalFile, data: Buffer, call: number) => Promise<number>;
    sync?: (inner: JournalFile, call: number) => Promise<void>;
    truncate?: (inner: JournalFile, length: number) => Promise<void>;
  },
  counts = { appends: 0, syncs: 0 },
) {
  return (inner: JournalFile): JournalFile => ({
    append: (data) => {
      counts.appends++;
      return steer.append?.(inner, data, counts.appends) ?? inner.append(data);
    },
    sync: () => {
      counts.syncs++;
      return steer.sync?.(inner, counts.syncs) ?? inner.sync();
    },
    truncate: (length) => steer.truncate?.(inner, length) ?? inner.truncate(length),
    close: () => inner.close(),
  });
}

function putVersion(name: string) {
  return [{ op: "putVersion" as const, vault: "v", name, key: version("1") }];
}

/** Fails an append after writing half of its bytes, as a full disk does. */
async function writeHalfThenFail(inner: JournalFile, data: Buffer): Promise<number> {
  await inner.append(data.subarray(0, Math.floor(data.length / 2)));
  throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
}

test("journal store: a short write is continued until the whole record is on disk", async (t) => {
  const dir = tempDir(t);
  const counts = { appends: 0, syncs: 0 };
  // At most 7 bytes per write: every record takes many.
  const store = await openJournalStore(dir, {
    wrapFile: steeredFile({ append: (inner, data) => inner.append(data.subarray(0, 7)) }, counts),
  });
  await store.commit(putVersion("a"));
  await Promise.all([store.commit(putVersion("b")), store.commit(putVersion("c"))]);
  await store.close();
  t.true(counts.appends > 30, `${counts.appends} appends`);
  let torn = 0;
  const reopened = await openJournalStore(dir, { onTornRecord: (bytes) => (torn = bytes) });
  t.is(torn, 0);
  t.deepEqual(
    reopened
      .listKeys("v")
      .map((k) => k.name)
      .sort(),
    ["a", "b", "c"],
  );
  await reopened.close();
});

test("journal store: a write that fails midway is refused and cut back; later commits land and the store reopens", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, JOURNAL_FILE);
  const store = await openJournalStore(dir, {
    wrapFile: steeredFile({
      append: (inner, data, call) =>
        call === 2 ? writeHalfThenFail(inner, data) : inner.append(data),
    }),
  });
  await store.commit(putVersion("before"));
  const goodLength = statSync(file).size;
  // "during" is accepted while the failing write is under way: it was decided on it, so it is
  // refused with it.
  const failed = store.commit(putVersion("failed"));
  const during = store.commit(putVersion("during"));
  await t.throwsAsync(failed, { message: /could not write the journal: ENOSPC/ });
  await t.throwsAsync(during, { message: /could not write the journal: ENOSPC/ });
  t.is(statSync(file).size, goodLength, "the half-written record is cut off");
  t.is(store.getKey("v", "failed"), undefined);
  await store.commit(putVersion("after"));
  t.truthy(store.getKey("v", "after"));
  await store.close();
  let torn = 0;
  const reopened = await openJournalStore(dir, { onTornRecord: (bytes) => (torn = bytes) });
  t.is(torn, 0, "nothing torn: the journal was left whole");
  t.deepEqual(
    reopened
      .listKeys("v")
      .map((k) => k.name)
      .sort(),
    ["after", "before"],
  );
  await reopened.close();
});

test("journal store: a failed fsync is refused and its record cut off", async (t) => {
  const dir = tempDir(t);
  const store = await openJournalStore(dir, {
    wrapFile: steeredFile({
      sync: (inner, call) =>
        call === 2 ? Promise.reject(new Error("EIO: i/o error, fdatasync")) : inner.sync(),
    }),
  });
  await store.commit(putVersion("before"));
  await t.throwsAsync(store.commit(putVersion("unsynced")), { message: /EIO/ });
  await store.commit(putVersion("after"));
  await store.close();
  const reopened = await openJournalStore(dir);
  t.deepEqual(
    reopened
      .listKeys("v")
      .map((k) => k.name)
      .sort(),
    ["after", "before"],
  );
  await reopened.close();
});

test("journal store: when a failed write cannot be cut back, later commits are refused and the next start has every acknowledged write", async (t) => {
  const dir = tempDir(t);
  const store = await openJournalStore(dir, {
    wrapFile: steeredFile({
      append: (inner, data, call) =>
        call === 2 ? writeHalfThenFail(inner, data) : inner.append(data),
      truncate: () => Promise.reject(new Error("EIO: i/o error, ftruncate")),
    }),
  });
  await store.commit(putVersion("before"));
  await t.throwsAsync(store.commit(putVersion("failed")), { message: /ENOSPC/ });
  await t.throwsAsync(store.commit(putVersion("refused")), {
    message: /stopped taking writes.*restart the emulator/,
  });
  await t.throwsAsync(
    store.write("v", () => ({ mutations: putVersion("refused-write") })),
    { message: /stopped taking writes/ },
  );
  await store.close();
  let torn = 0;
  const reopened = await openJournalStore(dir, { onTornRecord: (bytes) => (torn = bytes) });
  t.true(torn > 0, "the partial record is the last line, cut off at start");
  t.deepEqual(
    reopened.listKeys("v").map((k) => k.name),
    ["before"],
  );
  await reopened.close();
});
