/**
 * `diff` of the Managed HSM data-plane resources over one table per resource: each input is
 * `replace` (another object in the service), `update` (changed in place or only in state) or
 * `ignore`. No network call; `__provider` is never a change (reference §1.2).
 *
 * @module
 * @internal
 */
import { containsUnknown } from "./unknowns.js";

/** What a changed input does. */
export type HsmChangeKind = "replace" | "update";

/** The result of {@link planHsmResourceChange}, as the dynamic provider returns it. */
export interface HsmResourceDiff {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

/**
 * Compares the stored outputs with the new checked inputs.
 *
 * @param olds - the outputs in state.
 * @param news - the checked inputs; values may be the unknown sentinel (a change).
 * @param table - what each compared input does when it changes.
 * @param normalize - how to compare a value (e.g. case-insensitively); default as is.
 */
export function planHsmResourceChange(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  table: Readonly<Record<string, HsmChangeKind>>,
  normalize: (property: string, value: unknown) => unknown = (_property, value) => value,
): HsmResourceDiff {
  const replaces: string[] = [];
  let changes = false;
  for (const [property, kind] of Object.entries(table)) {
    const after = news[property];
    const changed =
      containsUnknown(after) ||
      JSON.stringify(normalize(property, olds[property])) !==
        JSON.stringify(normalize(property, after));
    if (!changed) continue;
    changes = true;
    if (kind === "replace") replaces.push(property);
  }
  return { changes, replaces, deleteBeforeReplace: false };
}
