/**
 * Where the closure serializer may store a provider shell by name (provider/installLayout.ts):
 * only from a plain `node_modules/pulumi-azure-byok/`, else by value (the shell is marked).
 */
import test from "ava";
import { join } from "node:path";
import { asSerializableShell, isPlainlyInstalled } from "../../provider/installLayout.js";

const program = "/home/ops/infra";
const shell = "dist/provider/shells/byokImportedKey.js";

test("a plain npm or Yarn install, in the program's node_modules or one above it, is stored by name", (t) => {
  t.true(isPlainlyInstalled(join(program, "node_modules/pulumi-azure-byok", shell), program));
  t.true(isPlainlyInstalled(join("/home/ops/node_modules/pulumi-azure-byok", shell), program));
});

test("pnpm's store, a copy nested under another package, a clone or a link outside node_modules are stored by value", (t) => {
  for (const file of [
    join(
      program,
      "node_modules/.pnpm/pulumi-azure-byok@0.1.0/node_modules/pulumi-azure-byok",
      shell,
    ),
    join(program, "node_modules/corp-infra/node_modules/pulumi-azure-byok", shell),
    join("/work/pulumi-azure-byok", shell),
    join(program, "node_modules/pulumi-azure-byok/node_modules/pulumi-azure-byok", shell),
  ]) {
    t.false(isPlainlyInstalled(file, program), file);
  }
});

test("a shell that cannot be stored by name carries the serializer's by-value switch; one that can is unchanged", (t) => {
  const byValue = asSerializableShell({ check: () => undefined }, join("/work/clone", shell));
  t.true((byValue as { deploymentOnlyModule?: boolean }).deploymentOnlyModule);
  const cwd = process.cwd();
  const byName = asSerializableShell(
    { check: () => undefined },
    join(cwd, "node_modules/pulumi-azure-byok", shell),
  );
  t.deepEqual(Object.keys(byName), ["check"]);
});
