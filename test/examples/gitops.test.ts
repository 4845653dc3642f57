/**
 * examples/gitops: the workflow's shape (parsed as YAML: triggers, OIDC permissions, preview on
 * pull requests with a comment, up on main) and how the program finds the committed `.byok` files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import test from "ava";
import { readCommittedByokFiles } from "../../examples/gitops/byokFiles.js";
import { isYamlMap, parseYaml } from "./parseYaml.js";
import type { YamlMap } from "./parseYaml.js";

const GITOPS = join(__dirname, "..", "..", "examples", "gitops");

function mapAt(value: unknown, path: string): YamlMap {
  if (!isYamlMap(value)) throw new Error(`${path} is not a mapping`);
  return value;
}

const workflow = mapAt(
  parseYaml(readFileSync(join(GITOPS, ".github", "workflows", "byok.yml"), "utf8")),
  "byok.yml",
);
const jobs = mapAt(workflow.jobs, "jobs");

/** A job's steps as mappings. */
function stepsOf(job: string): YamlMap[] {
  const steps = mapAt(jobs[job], `jobs.${job}`).steps;
  if (!Array.isArray(steps)) throw new Error(`jobs.${job}.steps is not a list`);
  return steps.map((step, i) => mapAt(step, `jobs.${job}.steps[${i}]`));
}

function usesOf(step: YamlMap): string {
  return typeof step.uses === "string" ? step.uses.split("@")[0]! : "";
}

test("the workflow runs on pull requests to main and on pushes to main", (t) => {
  // js-yaml reads the key `on` as the string "on" (YAML 1.2 core schema)
  const on = mapAt(workflow.on, "on");
  t.deepEqual(Object.keys(on).sort(), ["pull_request", "push"]);
  t.deepEqual(mapAt(on.pull_request, "on.pull_request").branches, ["main"]);
  t.deepEqual(mapAt(on.push, "on.push").branches, ["main"]);
});

test("the workflow may mint an OIDC token, read the code and comment on the pull request, nothing else", (t) => {
  t.deepEqual(workflow.permissions, {
    "id-token": "write",
    contents: "read",
    "pull-requests": "write",
  });
});

test("Azure credentials come from OIDC: ids as variables, no client secret anywhere", (t) => {
  const env = mapAt(workflow.env, "env");
  t.is(env.ARM_USE_OIDC, "true");
  for (const name of ["ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"]) {
    t.regex(String(env[name]), /^\$\{\{ vars\.AZURE_[A-Z_]+ \}\}$/, name);
  }
  const text = readFileSync(join(GITOPS, ".github", "workflows", "byok.yml"), "utf8");
  t.notRegex(text, /CLIENT_SECRET|client-secret|creds:/);
  for (const job of ["preview", "up"]) {
    const login = stepsOf(job).find((step) => usesOf(step) === "azure/login");
    t.truthy(login, `jobs.${job} logs in with azure/login`);
    t.deepEqual(Object.keys(mapAt(login?.with, `jobs.${job} azure/login with`)).sort(), [
      "client-id",
      "subscription-id",
      "tenant-id",
    ]);
  }
});

test("the provider's DefaultAzureCredential is told to use the Azure CLI login, in a spelling the installed @azure/identity accepts", (t) => {
  const env = mapAt(workflow.env, "env");
  t.is(env.AZURE_TOKEN_CREDENTIALS, "AzureCliCredential");
  const saved = process.env.AZURE_TOKEN_CREDENTIALS;
  const construct = (value: string): void => {
    process.env.AZURE_TOKEN_CREDENTIALS = value;
    try {
      new DefaultAzureCredential();
    } finally {
      if (saved === undefined) delete process.env.AZURE_TOKEN_CREDENTIALS;
      else process.env.AZURE_TOKEN_CREDENTIALS = saved;
    }
  };
  t.notThrows(() => {
    construct(String(env.AZURE_TOKEN_CREDENTIALS));
  });
  // the library refuses a name it does not know, so the check above means something
  t.throws(
    () => {
      construct("AzureCliCredentials");
    },
    { message: /AZURE_TOKEN_CREDENTIALS/ },
  );
});

test("a pull request previews with a comment on it; a push to main runs up", (t) => {
  const preview = mapAt(jobs.preview, "jobs.preview");
  const up = mapAt(jobs.up, "jobs.up");
  t.is(preview.if, "github.event_name == 'pull_request'");
  t.is(up.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
  t.deepEqual(Object.keys(jobs).sort(), ["preview", "up"]);

  for (const [job, command] of [
    ["preview", "preview"],
    ["up", "up"],
  ] as const) {
    const steps = stepsOf(job);
    const names = steps.map((step) => usesOf(step) || String(step.run));
    // dependencies and the Azure login come before Pulumi runs the program
    t.deepEqual(names, [
      "actions/checkout",
      "actions/setup-node",
      "npm ci",
      "azure/login",
      "pulumi/actions",
    ]);
    t.is(mapAt(steps[1]!.with, "setup-node with")["node-version"], 22);
    const pulumi = mapAt(steps[4]!.with, `jobs.${job} pulumi/actions with`);
    t.is(pulumi.command, command);
    t.is(pulumi["stack-name"], "${{ vars.PULUMI_STACK }}");
    t.is(pulumi["comment-on-pr"], job === "preview" ? true : undefined);
  }
});

function keysDir(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "azure-byok-gitops-"));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

test("each keys/<name>.byok is one key named for the file, typed by its sidecar, with its public key when committed", (t) => {
  const dir = keysDir(t, {
    "app-rsa.byok": "rsa package",
    "app-rsa.json": '{"keyType": "RSA"}',
    "app-rsa.byok.pub.pem": "rsa public key",
    "signing-ec.byok": "ec package",
    "signing-ec.json": '{"keyType": "EC", "curve": "P-256"}',
    "README.txt": "ignored",
  });
  t.deepEqual(readCommittedByokFiles(dir), [
    {
      name: "app-rsa",
      byok: "rsa package",
      keyType: "RSA",
      expectedPublicKeyPem: "rsa public key",
    },
    { name: "signing-ec", byok: "ec package", keyType: "EC", curve: "P-256" },
  ]);
});

test("no keys folder means no keys yet (phase 1)", (t) => {
  t.deepEqual(readCommittedByokFiles(join(tmpdir(), "azure-byok-no-such-dir", "keys")), []);
});

test("a .byok file without a good sidecar, a sidecar without a .byok, or a bad name fails naming the file", (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ "a.byok": "x" }, /a\.json is missing: write \{"keyType": "RSA"\}/],
    [{ "a.byok": "x", "a.json": "{" }, /a\.json is not JSON/],
    [{ "a.byok": "x", "a.json": '{"keyType": "RSA-HSM"}' }, /a\.json: keyType is "RSA-HSM"/],
    [
      { "a.byok": "x", "a.json": '{"keyType": "EC"}' },
      /a\.json: curve is undefined; use one of P-256/,
    ],
    [
      { "a.byok": "x", "a.json": '{"keyType": "RSA", "curve": "P-256"}' },
      /curve is for EC keys only/,
    ],
    [{ "b.json": '{"keyType": "RSA"}' }, /b\.json has no b\.byok next to it/],
    [
      { "my_key.byok": "x", "my_key.json": '{"keyType": "RSA"}' },
      /"my_key" is not a Key Vault key name/,
    ],
  ];
  for (const [files, message] of cases) {
    const dir = keysDir(t, files);
    t.throws(() => readCommittedByokFiles(dir), { message }, JSON.stringify(files));
  }
});
