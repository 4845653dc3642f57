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
 * @module
 * @internal
 */
import { byokSha256 } from "../byok/index.js";
import type { ByokPackage } from "../byok/index.js";
import type { ByokHeaderOutput } from "./types.js";

const PREFIX = "sha256:";
const DIGEST_FORM = /^sha256:[0-9a-f]{64}$/;

/** The `.byok` content staged by `check` in this process, by SHA-256. */
const staged = new Map<string, string>();

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
  staged.set(digest, text);
  return digest;
}

/** The staged content for a digest, if `check` saw it in this process. */
export function takeStagedByok(digest: string): string | undefined {
  return staged.get(digest);
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
