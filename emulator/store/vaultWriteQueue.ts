/**
 * One write at a time per vault: the stores run each write's decision in this queue, so a write
 * decides on the state every write before it left (STYLE.md rule 8). Writes to other vaults, and
 * every read, go on without waiting.
 *
 * @module
 */

/** Runs `task` once every task queued before it for `vault` has settled; answers what it answers. */
export type VaultWriteQueue = <T>(vault: string, task: () => Promise<T>) => Promise<T>;

/** A queue with nothing in it. */
export function createVaultWriteQueue(): VaultWriteQueue {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(vault: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(vault) ?? Promise.resolve();
    // A task that fails must not stop the ones queued behind it.
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(vault, tail);
    void tail.then(() => {
      if (tails.get(vault) === tail) tails.delete(vault);
    });
    return run;
  };
}
