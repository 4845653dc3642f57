/**
 * Whether Pulumi's closure serializer may store a provider shell as a `require()` by name.
 *
 * `dynamic.Resource` stores its provider object in state as `__provider`, on every resource,
 * in inputs and outputs, and the engine sends it on every Check and Diff. When the object is the
 * whole `module.exports` of a module under the program's `node_modules`, the serializer stores
 * `require("pulumi-azure-byok/provider/shells/<type>")` (about 0.3 KB) instead of the object's
 * code (about 2.2 KB). It reaches that name by the path relative to the program's directory: the
 * part after the first `node_modules`, mapped through this package's `exports`. That only names
 * this package in a plain npm or Yarn layout (`node_modules/pulumi-azure-byok/…`, at any depth
 * above the program). Elsewhere it would store a name the plugin host cannot load (pnpm's
 * `node_modules/.pnpm/pulumi-azure-byok@…/node_modules/…`, a copy nested under another package)
 * or, outside `node_modules` (a clone, a workspace link), the object by value anyway. So a shell
 * not in a plain layout is marked `deploymentOnlyModule`, the serializer's own switch for "store
 * by value"; its stored code then loads the implementation by name as before.
 *
 * These names end up in users' state, and `destroy` and `refresh` run what state holds: every
 * later version must keep exporting `provider/shells/<type>`, `provider/runtime/<type>` and
 * `provider/runtime` (what earlier builds stored), each with the same exports.
 *
 * @module
 * @internal
 */
import { relative, sep } from "node:path";

/** This package's name, as the plugin host resolves it from the program's directory. */
const PACKAGE_NAME = "pulumi-azure-byok";

/**
 * True when `moduleFile` sits in a plain `node_modules/pulumi-azure-byok/` seen from `cwd`
 * (the program's directory): the serializer's name for it is then this package's, and the
 * plugin host, resolving from the same directory, finds the same file.
 */
export function isPlainlyInstalled(moduleFile: string, cwd: string = process.cwd()): boolean {
  const parts = relative(cwd, moduleFile).split(sep);
  const first = parts.indexOf("node_modules");
  return (
    first >= 0 && parts[first + 1] === PACKAGE_NAME && parts.lastIndexOf("node_modules") === first
  );
}

/**
 * The shell as the module's export: unchanged where the serializer may store it by name,
 * else marked to be stored by value (see the module comment).
 */
export function asSerializableShell<T extends object>(shell: T, moduleFile: string): T {
  return isPlainlyInstalled(moduleFile)
    ? shell
    : Object.assign(shell, { deploymentOnlyModule: true });
}
