/**
 * The demo: the seed's whole BYOK flow on the embedded emulator, one progress line per step.
 *
 * 1. start the emulator (a Managed HSM; the demo identity may create, import and use keys);
 * 2. deploy the example stack: the KEK; 3. write the KEK's public PEM; 4. make the `.byok` file
 * offline (SoftHSM2 when installed, else software); 5. deploy again: the import; 6. sign in the
 * HSM and verify with the offline public key; 7. deploy once more: no changes; 8. print what
 * `pulumi up` showed for the import. Every run starts from a fresh demo directory, and everything
 * the demo starts is stopped when it ends, fails or is interrupted.
 *
 * @module
 * @internal
 */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describeKeySpec, parseKeySpec } from "../../byok/index.js";
import { startEmulator } from "../../emulator/index.js";
import type { RunningEmulator } from "../../emulator/index.js";
import { PACKAGE_ROOT } from "../driver/index.js";
import { makeByokFileOffline } from "./offlineWrap.js";
import { proveImportedKey } from "./proveKey.js";
import { offlineRunner, pulumiCliRunner } from "./stackRunners.js";
import type { StackRunner, StackSettings, StackUpResult } from "./stackRunners.js";

/** The identity the demo deploys as: the emulator's managed identity and the HSM's administrator. */
export const DEMO_IDENTITY = {
  objectId: "00000000-0000-0000-0000-0000000d0001",
  name: "azure-byok-demo",
} as const;
const HSM_NAME = "demo-hsm";
const KEK_NAME = "KEKforBYOK";
const KEY_NAME = "ContosoFirstHSMkey";

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** The demo's working directory; emptied first. Default `<cwd>/.azure-byok/demo`. */
  readonly dir: string;
  /** Where relative paths in progress lines are relative to. */
  readonly cwd: string;
  /** Progress output, one line per call. */
  readonly out: (line: string) => void;
  /** The KEK size in bits. Default 3072: as strong as the seed needs and quick to generate. */
  readonly kekSize?: 2048 | 3072 | 4096;
  /** The target key, a `parseKeySpec` name. Default `rsa-3072`. */
  readonly target?: string;
  /** `auto` (SoftHSM2 when installed) or `software`. Default `auto`. */
  readonly offline?: "auto" | "software";
  /** Deploy with this Pulumi CLI instead of the offline driver. */
  readonly pulumiCli?: string;
  /** Called with a stop function for each thing the demo starts, so a signal handler can stop it. */
  readonly onStart?: (stop: () => Promise<void>) => void;
}

/** What the demo proved, for callers and tests. */
export interface DemoResult {
  readonly verified: boolean;
  readonly noChangesOnRedeploy: boolean;
  /** The driver's state file, or with `pulumiCli` the Pulumi file backend's directory. */
  readonly stateLocation: string;
  readonly byokFile: string;
  readonly offlineWhere: string;
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new Error(`the stack output ${name} is ${JSON.stringify(value)}, expected a string`);
  }
  return value;
}

function printChanges(out: (line: string) => void, result: StackUpResult): void {
  for (const change of result.changes) out(`      ${change}`);
  if (result.noChanges) out("      no changes");
}

/**
 * Runs the demo.
 *
 * @throws Error from the step that failed; the emulator is stopped first.
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoResult> {
  const { dir, cwd, out, kekSize = 3072, target = "rsa-3072", offline = "auto" } = options;
  const started = Date.now();
  // paths under the working directory print relative to it, others in full
  const show = (path: string): string => {
    const rel = relative(cwd, path);
    return rel === "" ? "." : rel.startsWith("..") ? path : rel;
  };
  const spec = parseKeySpec(target);
  const projectDir = join(PACKAGE_ROOT, "examples", "emulator");
  const stateFile = join(dir, "state.json");
  const settings: StackSettings = {
    vaultUrl: "",
    kekSize: String(kekSize),
    byokFile: join(dir, `KeyTransferPackage-${KEY_NAME}.byok`),
    targetPublicKeyFile: join(dir, `${KEY_NAME}.public.pem`),
  };

  // the npm package ships dist/ only (package.json "files"): the example stack is in a clone
  if (!existsSync(join(projectDir, "Pulumi.yaml"))) {
    throw new Error(
      `the demo deploys ${projectDir}, which is not there: the installed package leaves examples/ out, so run the demo from a clone of the repository (npm ci, then npm start)`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  out(`[1/8] Starting the emulator (data in ${show(join(dir, "emulator"))})`);
  const emulator: RunningEmulator = await startEmulator({
    dataDir: join(dir, "emulator"),
    vaults: [{ name: HSM_NAME, kind: "managedhsm" }],
    identities: [DEMO_IDENTITY],
    roleAssignments: [
      { objectId: DEMO_IDENTITY.objectId, roleName: "Managed HSM Crypto Officer", scope: "/keys" },
      { objectId: DEMO_IDENTITY.objectId, roleName: "Managed HSM Crypto User", scope: "/keys" },
    ],
  });
  options.onStart?.(() => emulator.stop());
  try {
    const vaultUrl = emulator.url(HSM_NAME);
    const stack = { ...settings, vaultUrl };
    out(`      Managed HSM "${HSM_NAME}" at ${vaultUrl}`);
    out(
      `      identity ${DEMO_IDENTITY.name} (${DEMO_IDENTITY.objectId}): administrator, Managed HSM Crypto Officer and Crypto User on /keys`,
    );
    const runner: StackRunner =
      options.pulumiCli === undefined
        ? offlineRunner({ projectDir, stateFile, env: emulator.env })
        : pulumiCliRunner({
            pulumi: options.pulumiCli,
            projectDir,
            workDir: dir,
            env: emulator.env,
          });

    out(
      `[2/8] Deploying the example stack (${show(projectDir)}) with ${runner.description}, state in ${show(runner.stateLocation)}`,
    );
    const first = await runner.up(stack);
    printChanges(out, first);
    const kekKid = text(first.outputs.kekKid, "kekKid");
    const kekPublicKeyPem = text(first.outputs.kekPublicKeyPem, "kekPublicKeyPem");
    out(`      KEK ${kekKid} (RSA-HSM ${kekSize}, key operations: import)`);

    out("[3/8] Writing the KEK's public key");
    const kekPemFile = join(dir, `${KEK_NAME}.pem`);
    await writeFile(kekPemFile, kekPublicKeyPem);
    out(`      ${show(kekPemFile)}`);

    out(`[4/8] Making the .byok file offline for ${KEK_NAME}`);
    const wrapped = await makeByokFileOffline({
      kekPublicKeyPem,
      kekKid,
      spec,
      keyName: KEY_NAME,
      workDir: dir,
      mode: offline,
    });
    await writeFile(stack.byokFile, wrapped.text);
    await writeFile(stack.targetPublicKeyFile, wrapped.publicKeyPem);
    out(`      ${describeKeySpec(spec)} made ${wrapped.where}`);
    out(`      ${show(stack.byokFile)}, public key ${show(stack.targetPublicKeyFile)}`);

    out("[5/8] Deploying again: the stack now imports the key");
    const second = await runner.up(stack);
    printChanges(out, second);
    const keyId = text(second.outputs.keyId, "keyId");
    out(`      key ${keyId} (.byok sha256 ${text(second.outputs.byokSha256, "byokSha256")})`);

    out("[6/8] Proving the imported key: sign in the HSM, verify with the offline public key");
    const proof = await proveImportedKey({
      keyId,
      publicKeyPem: wrapped.publicKeyPem,
      caCertPath: emulator.caCertPath,
      identityEnv: {
        IDENTITY_ENDPOINT: emulator.env.IDENTITY_ENDPOINT ?? "",
        IDENTITY_HEADER: emulator.env.IDENTITY_HEADER ?? "",
      },
    });
    if (!proof.verified) {
      throw new Error(
        `the HSM's ${proof.algorithm} signature does not verify with the offline public key: the HSM holds another key than ${show(stack.targetPublicKeyFile)}`,
      );
    }
    out(
      `      verified: the HSM's ${proof.algorithm} signature (${proof.signatureBytes} bytes) over a random ${proof.messageBytes}-byte message verifies with the offline public key`,
    );

    out("[7/8] Deploying once more: nothing should change");
    const third = await runner.up(stack);
    if (!third.noChanges) {
      throw new Error(`the third deployment changed something:\n${third.changes.join("\n")}`);
    }
    out("      no changes");

    out("[8/8] What `pulumi up` showed for the import (step 5):");
    for (const line of second.display) out(`    ${line}`);
    out("");
    out(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)}s. State: ${show(runner.stateLocation)} (no private key; the .byok file only by its SHA-256).`,
    );
    return {
      verified: proof.verified,
      noChangesOnRedeploy: third.noChanges,
      stateLocation: runner.stateLocation,
      byokFile: stack.byokFile,
      offlineWhere: wrapped.where,
    };
  } finally {
    await emulator.stop();
  }
}
