/**
 * The durable key store (STYLE.md rule 8): every commit is one line appended to `keys.journal`
 * and fsynced before the commit resolves, so a reply means the disk has it. Concurrent commits
 * share one write and one fsync (group commit). On start the journal is replayed; a torn last
 * line (the process died mid-write) is cut off, since its commit never resolved. Key material is
 * sealed with AES-256-GCM under `store.key`, kept beside the journal.
 *
 * Two states are kept. Readers see the durable one: a commit is applied there once it is on
 * disk, so nothing a reader sees can be lost by a crash. Writers decide on the pending one, where
 * a commit is applied (and checked: a mutation that does not fit is refused) the moment it is
 * accepted, so a write decided while an earlier one waits for the disk sees it.
 *
 * A write that fails or comes up short is finished or undone: short writes are continued until
 * every byte is written; on an error the journal is cut back to its last good length, the failed
 * commits and every commit accepted after them are refused, and the pending state starts again
 * from the durable one. The journal is never left with a damaged line before good ones (which
 * would stop the next start). If it cannot be cut back, the store refuses every later commit.
 *
 * Each line is `<first 16 hex of SHA-256 of the JSON> <JSON>`, so a damaged line is told from a
 * good one without trusting the JSON parser alone.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { logger } from "../logger.js";
import { StoreConflictError } from "./keyStore.js";
import type {
  KeyMaterial,
  KeyStore,
  KeyStoreReader,
  KeyVersionChanges,
  Sealer,
  StoredKeyVersion,
  StoreMutation,
  WriteDecision,
} from "./keyStore.js";
import {
  applyMutation,
  applyMutations,
  cloneKeyState,
  createKeyState,
  getHsmView,
  getKey,
  listKeys,
} from "./keyState.js";
import type { KeyState } from "./keyState.js";
import { ensureDir, loadOrCreateFile } from "./dataFiles.js";
import { createSealer } from "./sealer.js";
import { createVaultWriteQueue } from "./vaultWriteQueue.js";

/** File names inside the data directory. */
export const JOURNAL_FILE = "keys.journal";
export const SEALING_KEY_FILE = "store.key";

/**
 * The journal file as the store uses it. The store calls nothing else, so a test can wrap it
 * to make writes fail or come up short.
 */
export interface JournalFile {
  /** Appends the first bytes of `data`; answers how many it wrote, which may be fewer. */
  append(data: Buffer): Promise<number>;
  /** fdatasync. */
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link openJournalStore}. */
export interface OpenJournalStoreOptions {
  /** Called once when replay cut off a torn last record: its byte length. */
  readonly onTornRecord?: (bytes: number) => void;
  /**
   * Wraps the opened journal file (tests inject failed and short writes with it).
   * @internal
   */
  readonly wrapFile?: (file: JournalFile) => JournalFile;
}

/**
 * Opens (or creates) the journal in `dataDir` and replays it.
 *
 * @throws Error when a record other than the last is damaged: the store would be silently
 *   missing writes, so it refuses to start and names the line.
 */
export async function openJournalStore(
  dataDir: string,
  options: OpenJournalStoreOptions = {},
): Promise<KeyStore> {
  await ensureDir(dataDir);
  const sealer = createSealer(
    await loadOrCreateFile(path.join(dataDir, SEALING_KEY_FILE), () =>
      Promise.resolve(randomBytes(32)),
    ),
  );
  const file = path.join(dataDir, JOURNAL_FILE);
  const state = createKeyState();
  const length = await replay(file, state, sealer, options);
  const opened = fileOf(await fs.open(file, "a", 0o600));
  return new JournalStore(options.wrapFile?.(opened) ?? opened, length, state, sealer);
}

function fileOf(handle: fs.FileHandle): JournalFile {
  return {
    // Opened for append: every write goes to the end, whatever the position.
    append: async (data) => (await handle.write(data, 0, data.length)).bytesWritten,
    sync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

/** Writes all of `data`: a write may take only part of it (a full disk, a signal). */
async function appendAll(file: JournalFile, data: Buffer): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const bytes = await file.append(data.subarray(written));
    if (!(bytes > 0)) {
      throw new Error(
        `the journal write stopped after ${written} of ${data.length} bytes (the write took none)`,
      );
    }
    written += bytes;
  }
}

interface Pending {
  readonly line: string;
  readonly mutations: readonly StoreMutation[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function readerOf(state: () => KeyState, sealer: Sealer): KeyStoreReader {
  return {
    getKey: (vault, name) => getKey(state(), vault, name),
    listKeys: (vault) => listKeys(state(), vault),
    getHsm: (vault) => getHsmView(state(), vault),
    sealer,
  };
}

class JournalStore implements KeyStore {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Set when a failed write could not be undone: every later commit is refused. */
  private broken: Error | undefined;
  /** Commits applied, not all durable yet: what writes decide on. */
  private pending: KeyState;
  /** Bumped when the pending state is thrown away after a failed write. */
  private generation = 0;
  private readonly writes = createVaultWriteQueue();
  private readonly durableReader: KeyStoreReader;
  private readonly pendingReader: KeyStoreReader;

  constructor(
    private readonly file: JournalFile,
    /** Bytes of the journal that hold durable records. */
    private goodLength: number,
    /** Commits on disk: what readers see. */
    private readonly durable: KeyState,
    readonly sealer: Sealer,
  ) {
    this.pending = cloneKeyState(durable);
    this.durableReader = readerOf(() => this.durable, sealer);
    this.pendingReader = readerOf(() => this.pending, sealer);
  }

  getKey(vault: string, name: string) {
    return this.durableReader.getKey(vault, name);
  }

  listKeys(vault: string) {
    return this.durableReader.listKeys(vault);
  }

  getHsm(vault: string) {
    return this.durableReader.getHsm(vault);
  }

  // async: a refusal thrown by accept (synchronously, before anything is queued) rejects.
  async commit(mutations: readonly StoreMutation[]): Promise<void> {
    await this.accept(mutations);
  }

  async write<T extends WriteDecision>(
    vault: string,
    decide: (reader: KeyStoreReader) => Promise<T> | T,
  ): Promise<T> {
    const { decision, durable } = await this.writes(vault, async () => {
      const generation = this.generation;
      const decision = await decide(this.pendingReader);
      if (generation !== this.generation) {
        throw new Error(
          "a journal write failed while this write was being decided, so what it decided on was undone: nothing was written; send it again",
        );
      }
      // The next write of the vault decides once this one is accepted, not once it is durable.
      return { decision, durable: this.accept(decision.mutations ?? []) };
    });
    await durable;
    return decision;
  }

  /**
   * Applies the mutations to the pending state and queues their line; the promise resolves
   * once the line is durable.
   * @throws StoreConflictError synchronously when they do not fit (nothing applied).
   */
  private accept(mutations: readonly StoreMutation[]): Promise<void> {
    if (this.broken !== undefined) throw this.broken;
    if (mutations.length === 0) return Promise.resolve();
    if (this.closed) throw new Error("the key store is closed");
    const line = encodeLine(mutations, this.sealer);
    const refusal = applyMutations(this.pending, mutations);
    if (refusal !== undefined) throw new StoreConflictError(refusal);
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ line, mutations, resolve, reject });
    });
    // Handled here so a failure before the caller awaits is not reported as unhandled.
    void durable.catch(() => undefined);
    this.flushing ??= this.flush();
    return durable;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.broken !== undefined) {
        // Accepted while the failed write was being undone: written behind its partial line,
        // they would make the journal unreadable.
        for (const pending of batch) pending.reject(this.broken);
        continue;
      }
      const data = Buffer.from(batch.map((p) => p.line).join(""), "utf8");
      try {
        await appendAll(this.file, data);
        await this.file.sync();
      } catch (error) {
        await this.undo(batch, error);
        continue;
      }
      this.goodLength += data.length;
      // Applied only once durable: nothing a reader sees can be lost by a crash. These fit: the
      // pending state took the same mutations in the same order.
      for (const pending of batch) {
        for (const mutation of pending.mutations) applyMutation(this.durable, mutation);
        pending.resolve();
      }
    }
    this.flushing = undefined;
  }

  /** After a failed write: cut the journal back, refuse the batch and all accepted after it. */
  private async undo(batch: readonly Pending[], error: unknown): Promise<void> {
    // Everything accepted after the batch was decided on the batch's changes: refused with it.
    const refused = [...batch, ...this.queue];
    this.queue = [];
    this.pending = cloneKeyState(this.durable);
    this.generation++;
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(`journal write failed (${reason}): ${refused.length} commits refused`);
    try {
      await this.file.truncate(this.goodLength);
    } catch (truncateError) {
      // A partial line may end the file; it stays the last one (torn, cut off at the next
      // start) because nothing more is written.
      this.broken = new Error(
        `the key store stopped taking writes: a journal write failed (${reason}) and the journal could not be cut back to its last good record; restart the emulator`,
        { cause: truncateError },
      );
      logger.error(this.broken.message);
    }
    const failure = new Error(`the key store could not write the journal: ${reason}`, {
      cause: error,
    });
    for (const pending of refused) pending.reject(failure);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.file.close();
  }
}

// --- encoding -------------------------------------------------------------------------------

type EncodedMaterial = { readonly kind: KeyMaterial["kind"]; readonly sealed: string };

function materialContext(vault: string, name: string, version: string): string {
  return `${vault}/${name.toLowerCase()}/${version}`;
}

function encodeVersion(
  vault: string,
  name: string,
  key: StoredKeyVersion,
  sealer: Sealer,
): unknown {
  const secret = key.material.kind === "pkcs8" ? key.material.der : key.material.bytes;
  const material: EncodedMaterial = {
    kind: key.material.kind,
    sealed: sealer.seal(secret, materialContext(vault, name, key.version)).toString("base64"),
  };
  return {
    ...key,
    material,
    ...(key.releasePolicy === undefined
      ? {}
      : {
          releasePolicy: { ...key.releasePolicy, data: key.releasePolicy.data.toString("base64") },
        }),
  };
}

function encodeLine(mutations: readonly StoreMutation[], sealer: Sealer): string {
  const records = mutations.map((m) => {
    if (m.op === "putVersion") return { ...m, key: encodeVersion(m.vault, m.name, m.key, sealer) };
    if (m.op === "updateVersion" && m.changes.releasePolicy !== undefined) {
      return {
        ...m,
        changes: {
          ...m.changes,
          releasePolicy: {
            ...m.changes.releasePolicy,
            data: m.changes.releasePolicy.data.toString("base64"),
          },
        },
      };
    }
    return m;
  });
  const json = JSON.stringify(records);
  return `${checksum(json)} ${json}\n`;
}

function checksum(json: string): string {
  return createHash("sha256").update(json).digest("hex").slice(0, 16);
}

interface EncodedPolicy {
  readonly contentType: string;
  readonly immutable: boolean;
  readonly data: string;
}

function decodePolicy(policy: EncodedPolicy | undefined) {
  return policy === undefined ? undefined : { ...policy, data: Buffer.from(policy.data, "base64") };
}

function decodeMutation(record: Record<string, unknown>, sealer: Sealer): StoreMutation {
  const mutation = record as unknown as StoreMutation;
  if (mutation.op === "putVersion") {
    const encoded = record.key as Omit<StoredKeyVersion, "material" | "releasePolicy"> & {
      material: EncodedMaterial;
      releasePolicy?: EncodedPolicy;
    };
    const secret = sealer.open(
      Buffer.from(encoded.material.sealed, "base64"),
      materialContext(mutation.vault, mutation.name, encoded.version),
    );
    const material: KeyMaterial =
      encoded.material.kind === "pkcs8"
        ? { kind: "pkcs8", der: secret }
        : { kind: "oct", bytes: secret };
    const { releasePolicy, ...rest } = encoded;
    const policy = decodePolicy(releasePolicy);
    return {
      ...mutation,
      key: { ...rest, material, ...(policy === undefined ? {} : { releasePolicy: policy }) },
    };
  }
  if (mutation.op === "updateVersion") {
    const changes = record.changes as Record<string, unknown>;
    const policy = decodePolicy(changes.releasePolicy as EncodedPolicy | undefined);
    const rest: { -readonly [K in keyof KeyVersionChanges]: KeyVersionChanges[K] } = {
      ...mutation.changes,
    };
    delete rest.releasePolicy;
    return {
      ...mutation,
      changes: { ...rest, ...(policy === undefined ? {} : { releasePolicy: policy }) },
    };
  }
  return mutation;
}

function parseLine(line: string, sealer: Sealer): StoreMutation[] | undefined {
  const space = line.indexOf(" ");
  if (space !== 16) return undefined;
  const json = line.slice(space + 1);
  if (checksum(json) !== line.slice(0, space)) return undefined;
  const records = JSON.parse(json) as Record<string, unknown>[];
  return records.map((record) => decodeMutation(record, sealer));
}

/** Replays the journal into `state`; answers the length of its good records. */
async function replay(
  file: string,
  state: KeyState,
  sealer: Sealer,
  options: OpenJournalStoreOptions,
): Promise<number> {
  let content: Buffer;
  try {
    content = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let offset = 0;
  let lineNumber = 0;
  while (offset < content.length) {
    lineNumber++;
    const end = content.indexOf(0x0a, offset);
    const complete = end !== -1;
    const line = content.subarray(offset, complete ? end : content.length).toString("utf8");
    const mutations = complete ? parseLine(line, sealer) : undefined;
    if (mutations === undefined) {
      const restIsTail = !complete || content.indexOf(0x0a, end + 1) === -1;
      if (!restIsTail) {
        throw new Error(
          `${file} line ${lineNumber} is damaged but later records follow: the store will not start with writes missing; restore the data directory from a backup`,
        );
      }
      // The last record was being written when the process died; its commit never resolved.
      options.onTornRecord?.(content.length - offset);
      await fs.truncate(file, offset);
      return offset;
    }
    // Every record fitted when it was committed; one that does not (only in a journal written
    // before commits were checked) is skipped, as it was then.
    for (const mutation of mutations) applyMutation(state, mutation);
    offset = end + 1;
  }
  return offset;
}
