/**
 * Target 2: N BYOK imports through the plugin host against the emulator, 10 at a time as the
 * engine's default parallelism runs them (Check, then Create, per resource; the host's start
 * included, as a `pulumi up` pays it), against the same imports done by a shell loop over a CLI,
 * one fresh Node process per key. Also how many tokens each side fetched.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPluginHost, urnOf } from "../test/harness/pluginHost.js";
import type { BenchEmulator } from "./emulatorClient.js";
import type { EmulatorKek } from "./fixtures.js";
import { targetPool, wrapMany } from "./fixtures.js";
import type { Row } from "./report.js";
import { median, nowMs, pool } from "./stats.js";

/** What the deploy bench needs. */
export interface DeployContext {
  readonly emulator: BenchEmulator;
  readonly kek: EmulatorKek;
  /** The `__provider` of an npm install, and that install's package (installedPackage.ts). */
  readonly byokProvider: string;
  readonly packageDir: string;
  readonly keys: number;
  readonly rounds: number;
}

const PARALLELISM = 10;

interface Side {
  readonly ms: number;
  readonly tokens: number;
  readonly vault: number;
}

async function deployThroughHost(
  ctx: DeployContext,
  files: readonly string[],
  prefix: string,
): Promise<Side> {
  const { emulator, kek, byokProvider, packageDir } = ctx;
  const before = await emulator.counts();
  const start = nowMs();
  const host = await startPluginHost({ source: false, packageDir, env: emulator.env });
  try {
    await host.configure();
    await pool(files.length, PARALLELISM, async (i) => {
      const urn = urnOf("ByokImportedKey", `${prefix}-${i}`);
      const news = {
        vaultUrl: emulator.vaultUrl,
        name: `${prefix}-${i}`,
        byok: files[i],
        keyType: "RSA",
        kekKid: kek.kid,
        __provider: byokProvider,
      };
      const { inputs, failures } = await host.check(urn, {}, news);
      if (failures.length > 0) throw new Error(`check failed: ${JSON.stringify(failures)}`);
      await host.create(urn, inputs);
    });
  } finally {
    await host.close();
  }
  const ms = nowMs() - start;
  const after = await emulator.counts();
  return { ms, tokens: after.token - before.token, vault: after.vault - before.vault };
}

async function deployByShellLoop(
  ctx: DeployContext,
  files: readonly string[],
  prefix: string,
): Promise<Side> {
  const { emulator } = ctx;
  const dir = await mkdtemp(join(tmpdir(), "azure-byok-bench-cli-"));
  try {
    const lines: string[] = [];
    for (const [i, text] of files.entries()) {
      const file = join(dir, `${prefix}-${i}.byok`);
      await writeFile(file, text);
      lines.push(`${prefix}-${i} ${file}`);
    }
    await writeFile(join(dir, "keys.txt"), `${lines.join("\n")}\n`);
    const script = `while read name file; do "$NODE" "$CLI" "$VAULT_URL" "$name" "$file" >/dev/null || exit 1; done < "$LIST"`;
    const before = await emulator.counts();
    const start = nowMs();
    await new Promise<void>((resolve, reject) => {
      const child = spawn("sh", ["-c", script], {
        env: {
          ...process.env,
          ...emulator.env,
          NODE: process.execPath,
          CLI: join(__dirname, "importOne.mjs"),
          VAULT_URL: emulator.vaultUrl,
          LIST: join(dir, "keys.txt"),
          NODE_OPTIONS: "",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("exit", (code) => {
        if (code === 0) resolve();
        else reject(new Error(`the shell loop failed (${String(code)}): ${stderr}`));
      });
    });
    const ms = nowMs() - start;
    const after = await emulator.counts();
    return { ms, tokens: after.token - before.token, vault: after.vault - before.vault };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the deploy bench; returns rows 2-deploy-*. */
export async function benchDeploy(ctx: DeployContext): Promise<Row[]> {
  const { keys, rounds, kek } = ctx;
  const targets = await targetPool("rsa-2048", 4);
  const host: Side[] = [];
  const loop: Side[] = [];
  for (let round = 0; round < rounds; round++) {
    host.push(await deployThroughHost(ctx, wrapMany(targets, keys, kek), `deploy-r${round}`));
    loop.push(await deployByShellLoop(ctx, wrapMany(targets, keys, kek), `cli-r${round}`));
  }
  const figure = median(host.map((s) => s.ms)) / 1000;
  const baseline = median(loop.map((s) => s.ms)) / 1000;
  const tokens = Math.max(...host.map((s) => s.tokens));
  const list = (sides: Side[], pick: (s: Side) => number): string => sides.map(pick).join(", ");
  return [
    {
      id: "2-deploy-100-imports",
      what: `${keys} BYOK imports (RSA-2048 targets) through the plugin host, parallelism ${PARALLELISM}, host start included, median`,
      figure,
      baseline,
      unit: "s",
      baselineWhat: `the same ${keys} imports by a shell loop, one fresh Node process (stock SDK, plain JS) per key`,
      ratio: baseline / figure,
      ratioWhat: "baseline / figure",
      target: "ratio ≥ 10×",
      pass: baseline / figure >= 10,
      note: `${rounds} round(s) interleaved; host runs ${list(host, (s) => Math.round(s.ms))} ms (${((figure * 1000) / keys).toFixed(1)} ms/key), loops ${list(loop, (s) => Math.round(s.ms))} ms (${((baseline * 1000) / keys).toFixed(1)} ms/key)`,
    },
    {
      id: "2-deploy-token-requests",
      what: `token requests to the emulator's managed-identity endpoint during one host deploy of ${keys} keys (max over rounds)`,
      figure: tokens,
      baseline: Math.max(...loop.map((s) => s.tokens)),
      unit: "tokens",
      baselineWhat: "the shell loop's token requests (one per process)",
      ratio: null,
      ratioWhat: "",
      target: "= 1 (one credential, one client per vault)",
      pass: tokens === 1,
      note: `vault requests per host deploy: ${list(host, (s) => s.vault)} (${keys} imports + the challenge round trips); per loop: ${list(loop, (s) => s.vault)}`,
    },
  ];
}
