/**
 * The small files the emulator keeps beside its journal: the sealing key, the token-signing key,
 * the CA and server certificate. Written atomically (temp file, fsync, link into place), so a
 * crash leaves either the old file or the new one, and two processes racing to create the same
 * file agree on one (the loser reads the winner's).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/** Reads a file, or `undefined` when it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Creates a directory and its parents, owner-only. */
export async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `content` to `file` unless it exists, durably; returns what is in the file afterwards
 * (ours, or the content another process wrote first).
 */
export async function createFileOnce(
  file: string,
  content: Buffer | string,
  mode = 0o600,
): Promise<Buffer> {
  await ensureDir(path.dirname(file));
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await fs.open(temp, "wx", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await fs.unlink(temp);
  }
  await syncDir(path.dirname(file));
  return fs.readFile(file);
}

/** Writes `content` to `file`, replacing it atomically. */
export async function replaceFile(
  file: string,
  content: Buffer | string,
  mode = 0o600,
): Promise<void> {
  await ensureDir(path.dirname(file));
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await fs.open(temp, "wx", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await syncDir(path.dirname(file));
}

/** Reads the file, or creates it with `make()` once; the result is what is on disk. */
export async function loadOrCreateFile(
  file: string,
  make: () => Promise<Buffer | string>,
): Promise<Buffer> {
  return (await readFileIfExists(file)) ?? createFileOnce(file, await make());
}

/** A fresh temporary directory (certificates of an in-memory emulator). */
export async function makeTempDir(prefix: string): Promise<string> {
  const os = await import("node:os");
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Removes a directory tree (the temporary one above). */
export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

async function syncDir(dir: string): Promise<void> {
  // The new directory entry must reach the disk too, or a crash can lose the file (fsync(2)).
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
