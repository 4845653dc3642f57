/**
 * How the `.byok` input is kept out of state.
 *
 * The engine stores the inputs that `check` returns, not the ones the program sent, and passes
 * those same checked inputs to `create`/`update` (reference §1.2, §1.3). So `check` replaces the
 * file's content with its digest form `sha256:<hex>` and leaves the content with the plugin
 * host process (`stageByok`); `create` and `update` run later in that same process during the same
 * `pulumi up` (one plugin process per deployment) and take it back by digest (`takeStagedByok`).
 * State, preview output and every later diff see only the digest, and the outputs add the file's
 * public header ({@link byokHeaderOf}), never its ciphertext.
 *
 * A staged file is held once per check that staged it and let go (`releaseStagedByok`) when that
 * resource's step no longer needs it: its diff found nothing to do, or its create or update ran.
 * So a preview or an `up` of unchanged keys ends holding nothing, instead of every file it
 * checked (about 2.5 KB each), and two resources importing the same file (same digest) do not
 * take it from each other.
 *
 * @module
 * @internal
 */
import { byokSha256 } from "../byok/index.js";
import type { ByokPackage } from "../byok/index.js";
import type { ByokHeaderOutput } from "./types.js";

const PREFIX = "sha256:";
const DIGEST_FORM = /^sha256:[0-9a-f]{64}$/;

/** A staged file: its content and how many checks staged it and still may need it. */
interface Staged {
  readonly text: string;
  holders: number;
}

/** The `.byok` content staged by `check` in this process, by SHA-256. */
const staged = new Map<string, Staged>();

/** True when `value` is already the digest form `sha256:<64 hex>`. */
export function isByokDigestForm(value: string): boolean {
  return DIGEST_FORM.test(value);
}

/** The digest form of a `.byok` file's content. */
export function byokDigestForm(text: string): string {
  return `${PREFIX}${byokSha256(text)}`;
}

/** The hex SHA-256 of a `byok` input, whether it is the content or already its digest form. */
export function byokDigestOf(value: string): string {
  return isByokDigestForm(value) ? value.slice(PREFIX.length) : byokSha256(value);
}

/** Keeps a checked `.byok` file's content in this process until `create`/`update` needs it. */
export function stageByok(text: string): string {
  const digest = byokSha256(text);
  const entry = staged.get(digest);
  if (entry === undefined) staged.set(digest, { text, holders: 1 });
  else entry.holders += 1;
  return digest;
}

/** The staged content for a digest, if `check` saw it in this process and it is still held. */
export function takeStagedByok(digest: string): string | undefined {
  return staged.get(digest)?.text;
}

/**
 * Lets go of one check's hold on a staged file; the content is dropped when no check holds it.
 * Nothing happens for a digest that is not staged (a step whose check staged nothing).
 */
export function releaseStagedByok(digest: string): void {
  const entry = staged.get(digest);
  if (entry === undefined) return;
  entry.holders -= 1;
  if (entry.holders <= 0) staged.delete(digest);
}

/** How many files are staged in this process (for tests and the benchmark's memory row). */
export function stagedByokCount(): number {
  return staged.size;
}

/**
 * The parts of a parsed `.byok` file that state records besides its digest: the header and the
 * file's schema version and generator. All public; the ciphertext is left out on purpose.
 */
export function byokHeaderOf(pkg: ByokPackage): ByokHeaderOutput {
  const { kid, alg, enc } = pkg.header;
  const header = { kid, alg, enc, schemaVersion: pkg.schemaVersion };
  return pkg.generator === undefined ? header : { ...header, generator: pkg.generator };
}
