/**
 * Writing the security domain, generated certificates and their private keys to files on the
 * machine that runs `pulumi up`: secrets (the domain, private keys) mode 0600, certificates 0644,
 * never over an existing file unless the user said so. Paths are relative to the plugin host's
 * working directory, which is the Pulumi program's directory.
 *
 * @module
 * @internal
 */
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ProviderError } from "./errors.js";

/** One file to write. */
export interface FileToWrite {
  readonly path: string;
  readonly content: string;
  /** True for secrets (mode 0600); public material is written 0644. */
  readonly secret: boolean;
  /** The input that named the file, for messages. */
  readonly property: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Refuses, before anything irreversible happens, to write over files that exist.
 *
 * @throws ProviderError `ERR_FILE_EXISTS` naming the file and its input.
 */
export async function assertFilesAbsent(
  files: readonly Pick<FileToWrite, "path" | "property">[],
  overwrite: boolean,
): Promise<void> {
  if (overwrite) return;
  for (const file of files) {
    if (await exists(file.path)) {
      throw new ProviderError(
        "ERR_FILE_EXISTS",
        `${file.property}: ${resolve(file.path)} exists already and is never overwritten silently: move it away (it may hold an earlier security domain or key you still need), point ${file.property} elsewhere, or set overwriteFiles: true`,
      );
    }
  }
}

/** Writes the files: secrets 0600, the rest 0644; creates missing directories (0700). */
export async function writeFiles(files: readonly FileToWrite[], overwrite: boolean): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    const mode = file.secret ? 0o600 : 0o644;
    await writeFile(file.path, file.content, { mode, flag: overwrite ? "w" : "wx" });
    // the mode of writeFile applies only to a new file; an overwritten one keeps its old mode
    await chmod(file.path, mode);
  }
}
