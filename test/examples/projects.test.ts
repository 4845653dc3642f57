/**
 * The examples are complete Pulumi projects (STYLE.md rule 20), and the repository root is the
 * emulator example's project: same name and config, `main` pointing at examples/emulator, which is
 * what the offline driver (`npm start`) and its tests deploy.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import test from "ava";
import { readProject } from "../../cli/driver/index.js";
import { isYamlMap, parseYaml } from "./parseYaml.js";
import type { YamlMap } from "./parseYaml.js";

const ROOT = join(__dirname, "..", "..");
const EXAMPLES = join(ROOT, "examples");

function readYamlMap(path: string): YamlMap {
  const value = parseYaml(readFileSync(path, "utf8"));
  if (!isYamlMap(value)) throw new Error(`${path} is not a YAML mapping`);
  return value;
}

function readJson(path: string): YamlMap {
  return JSON.parse(readFileSync(path, "utf8")) as YamlMap;
}

/** A Pulumi.yaml `config` key's namespace: its prefix before the last colon, else the project's. */
function namespaceOf(project: YamlMap, key: string): string {
  const colon = key.lastIndexOf(":");
  return colon === -1 ? String(project.name) : key.slice(0, colon);
}

/**
 * The project's settings every stack must set, by Pulumi's rule for project config: a key in the
 * project's namespace declared without a `default` or a `value` (a bare scalar is a value).
 */
function requiredConfigKeys(project: YamlMap): string[] {
  const config = isYamlMap(project.config) ? project.config : {};
  return Object.entries(config)
    .filter(([key, entry]) => namespaceOf(project, key) === project.name && isYamlMap(entry))
    .filter(
      ([, entry]) => isYamlMap(entry) && entry.default === undefined && entry.value === undefined,
    )
    .map(([key]) => key)
    .sort();
}

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

test("the root Pulumi.yaml runs examples/emulator's program under the same project name and config", (t) => {
  const root = readYamlMap(join(ROOT, "Pulumi.yaml"));
  const emulator = readYamlMap(join(EXAMPLES, "emulator", "Pulumi.yaml"));
  t.is(root.name, "azure-byok-emulator");
  t.is(root.name, emulator.name);
  t.is(root.main, "examples/emulator/");
  t.deepEqual(root.runtime, emulator.runtime);
  t.deepEqual(root.config, emulator.config);
  // the demo, run with the Pulumi CLI, makes a stack with no config and passes AZURE_BYOK_*
  // variables: a setting this project required would stop `pulumi up` before the program runs
  t.deepEqual(requiredConfigKeys(root), []);
  t.deepEqual(requiredConfigKeys(emulator), []);
  // the driver reads both the same way: the project the demo's state and URNs are under
  const fromRoot = readProject(ROOT);
  const fromExample = readProject(join(EXAMPLES, "emulator"));
  t.deepEqual(fromRoot, fromExample);
  t.is(fromRoot.programDir, resolve(EXAMPLES, "emulator"));
});

for (const name of examples) {
  test(`examples/${name} is a complete TypeScript Pulumi project that links the package from the repository`, (t) => {
    const dir = join(EXAMPLES, name);
    for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
      t.true(existsSync(join(dir, file)), `examples/${name}/${file} is missing`);
    }
    const project = readYamlMap(join(dir, "Pulumi.yaml"));
    t.regex(String(project.name), /^azure-byok-[a-z0-9-]+$/);
    t.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true } });
    t.is(project.main, undefined, "the example's own directory is its program");

    const pkg = readJson(join(dir, "package.json"));
    const dependencies = isYamlMap(pkg.dependencies) ? pkg.dependencies : {};
    t.is(dependencies["pulumi-azure-byok"], "file:../..");
    t.is(typeof dependencies["@pulumi/pulumi"], "string");
    // the first line of the program is its one-line summary
    t.regex(readFileSync(join(dir, "index.ts"), "utf8"), /^\/\/ \S.*\n/);
  });

  test(`examples/${name}/Pulumi.yaml declares config Pulumi accepts, and requires only what the program requires`, (t) => {
    const project = readYamlMap(join(EXAMPLES, name, "Pulumi.yaml"));
    const config = isYamlMap(project.config) ? project.config : {};
    // Pulumi refuses to load a project that types another namespace's key ("Configuration key
    // '<key>' is not namespaced by the project and should not define a type"); such keys are
    // set with `pulumi config set`
    const typedProviderKeys = Object.entries(config)
      .filter(([key, entry]) => namespaceOf(project, key) !== project.name && isYamlMap(entry))
      .filter(([, entry]) => isYamlMap(entry) && "type" in entry)
      .map(([key]) => key);
    t.deepEqual(typedProviderKeys, [], "a provider's config key takes no type in Pulumi.yaml");
    // a key without a default must be set in every stack: the program must not treat it as optional
    const program = readFileSync(join(EXAMPLES, name, "index.ts"), "utf8");
    const requiredButOptionalInProgram = requiredConfigKeys(project).filter(
      (key) => !program.includes(`config.require("${key}")`),
    );
    t.deepEqual(requiredButOptionalInProgram, [], "required by Pulumi.yaml, optional in index.ts");
  });
}
