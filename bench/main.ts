/**
 * `npm run bench`: measures the product where users feel it (issue 7) and prints one row per
 * target: figure, the baseline measured beside it in the same run, their ratio, the target and
 * the verdict. Writes the rows and the machine to `bench/results.json` (or `--out <file>`).
 *
 * Every plugin host here loads the package as an npm install lays it out (its `dist/` built by
 * this run into a temporary project, test/harness/installedPackage.ts), with the `__provider` a
 * program registers from there: what users run. Only the cold-start row also times a clone's
 * sources, for information.
 *
 * `--smoke` runs a few iterations of everything (CI proves the bench still works; its numbers
 * mean nothing). NODE_EXTRA_CA_CERTS is read only when Node starts, so this process first makes
 * the test CA and, if it does not trust it yet, runs itself again with it.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadOrCreateCa } from "../emulator/index.js";
import { installPackage } from "../test/harness/installedPackage.js";
import { PACKAGE_ROOT, serializeProviders } from "../test/harness/pluginHost.js";
import { benchColdStart } from "./coldStartBench.js";
import { benchDeploy } from "./deployBench.js";
import { benchEmulator } from "./emulatorBench.js";
import { startBenchEmulator } from "./emulatorClient.js";
import { createEmulatorKek, sdkFor, targetPool, wrapMany } from "./fixtures.js";
import { benchPreview } from "./previewBench.js";
import { machineInfo, renderTable, ROW_IDS, skippedRow } from "./report.js";
import type { Row, RowId } from "./report.js";
import type { SerializedProviders } from "../test/harness/pluginHost.js";
import { benchWrap } from "./wrapBench.js";

const CA_DIR = ".azure-byok/test-ca";

interface Options {
  readonly smoke: boolean;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const smoke = argv.includes("--smoke");
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && out === undefined) throw new Error("--out needs a file");
  return {
    smoke,
    out: resolve(out ?? resolve(PACKAGE_ROOT, "bench", "results.json")),
  };
}

/** The iteration counts of a full run and of a smoke run. */
function sizes(smoke: boolean) {
  return smoke
    ? {
        preview: 20,
        previewRounds: 1,
        scriptReads: 2,
        deploy: 3,
        deployRounds: 1,
        coldRounds: 1,
        signSeconds: 0.5,
        signRounds: 1,
        imports: 3,
        keygenRounds: 1,
        softwareWraps: 5,
        pkcs11Wraps: 2,
      }
    : {
        preview: 1000,
        previewRounds: 3,
        scriptReads: 30,
        deploy: 100,
        deployRounds: 2,
        coldRounds: 5,
        signSeconds: 3,
        signRounds: 3,
        imports: 50,
        keygenRounds: 3,
        softwareWraps: 200,
        pkcs11Wraps: 20,
      };
}

/** Runs one part; a failure becomes rows that say so, so the table is always whole. */
async function part(ids: readonly RowId[], run: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`bench part ${ids.join(", ")} failed: ${message}\n`);
    return ids.map((id) => ({
      ...skippedRow(id, id, "-", `error: ${message.split("\n")[0] ?? ""}`),
      error: message,
    }));
  }
}

async function run(options: Options): Promise<void> {
  const machine = machineInfo();
  const n = sizes(options.smoke);
  const mode = options.smoke ? "smoke: a few iterations, numbers mean nothing" : "full";
  process.stderr.write(
    `bench (${mode}) on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverageAtStart.join(" ")}\n`,
  );
  process.stderr.write("installing the package as npm does (its dist/ built by tsc)…\n");
  const installed = await installPackage();
  try {
    await runParts(
      n,
      await installed.serializeProviders(),
      installed.packageDir,
      options,
      machine,
      mode,
    );
  } finally {
    await installed.remove();
  }
}

async function runParts(
  n: ReturnType<typeof sizes>,
  providers: SerializedProviders,
  packageDir: string,
  options: Options,
  machine: ReturnType<typeof machineInfo>,
  mode: string,
): Promise<void> {
  const cloneProviders = await serializeProviders();
  const rows: Row[] = [];
  const say = (r: Row[]): void => {
    for (const row of r)
      process.stderr.write(
        `  ${row.id}: ${row.figure ?? "-"} ${row.unit} (baseline ${row.baseline ?? "-"})\n`,
      );
    rows.push(...r);
  };

  say(await part(["5-software-wrap", "5-pkcs11-wrap"], () => benchWrap(n)));
  const emulator = await startBenchEmulator(CA_DIR);
  try {
    const sdk = sdkFor(emulator);
    say(
      await part(["4-sign-throughput", "4-byok-import-vs-unwrap", "4-keygen-ping-p99"], () =>
        benchEmulator({
          emulator,
          sdk,
          signSeconds: n.signSeconds,
          signRounds: n.signRounds,
          imports: n.imports,
          keygenRounds: n.keygenRounds,
        }),
      ),
    );
    const kek = await createEmulatorKek(sdk, "bench-kek", 4096);
    say(
      await part(
        [
          "1-preview-ms-per-resource",
          "1-preview-host-ms-per-resource",
          "1-preview-ratio",
          "1-preview-network-calls",
          "3-azure-sdk-in-check-diff",
          "3-rss-after-1000",
        ],
        () =>
          benchPreview({
            emulator,
            sdk,
            kek,
            byokProvider: providers.byokImportedKey,
            packageDir,
            resources: n.preview,
            rounds: n.previewRounds,
            scriptReads: n.scriptReads,
          }),
      ),
    );
    say(
      await part(["3-cold-start-source", "3-cold-start-dist"], async () => {
        const [byok] = wrapMany(await targetPool("rsa-2048", 1), 1, kek);
        const news = {
          vaultUrl: emulator.vaultUrl,
          name: "cold",
          byok,
          keyType: "RSA",
          kekKid: kek.kid,
        };
        return benchColdStart({
          news,
          installedProvider: providers.byokImportedKey,
          packageDir,
          cloneProvider: cloneProviders.byokImportedKey,
          rounds: n.coldRounds,
        });
      }),
    );
    say(
      await part(["2-deploy-100-imports", "2-deploy-token-requests"], () =>
        benchDeploy({
          emulator,
          kek,
          byokProvider: providers.byokImportedKey,
          packageDir,
          keys: n.deploy,
          rounds: n.deployRounds,
        }),
      ),
    );
  } finally {
    await emulator.stop();
  }
  const ordered = ROW_IDS.map(
    (id) =>
      rows.find((r) => r.id === id) ?? skippedRow(id, id, "-", "the part did not report this row"),
  );
  process.stdout.write(`${renderTable(ordered, machine, mode)}\n`);
  writeFileSync(
    options.out,
    `${JSON.stringify({ mode: options.smoke ? "smoke" : "full", machine, finishedAt: new Date().toISOString(), rows: ordered }, null, 2)}\n`,
  );
  process.stdout.write(`\nwrote ${options.out}\n`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { certPath } = await loadOrCreateCa(resolve(PACKAGE_ROOT, CA_DIR));
  if (process.env.NODE_EXTRA_CA_CERTS !== certPath) {
    // Trust comes from NODE_EXTRA_CA_CERTS, read only at start: run again with it.
    const child = spawn(
      process.execPath,
      [
        `--import=${pathToFileURL(require.resolve("tsx")).href}`,
        "--conditions=azure-byok-source",
        __filename,
        ...process.argv.slice(2),
      ],
      {
        stdio: "inherit",
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
        cwd: PACKAGE_ROOT,
      },
    );
    process.on("SIGINT", () => undefined);
    child.on("exit", (code, signal) => {
      process.exitCode = code ?? (signal === null ? 1 : 130);
    });
    return;
  }
  process.chdir(PACKAGE_ROOT);
  await run(options);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
