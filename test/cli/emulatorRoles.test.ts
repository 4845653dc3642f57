/**
 * `azure-byok emulator --role`: the roles it starts with are printed one line each, an object id
 * it names gets tokens from the token endpoint, and a role or identity it does not know is a
 * usage error that names the option.
 */
import test from "ava";
import { runCli } from "../../cli/main.js";

const APP = "00000000-0000-0000-0000-00000000c1c1";

/** Runs `azure-byok emulator` in-process until its first export lines, then stops it. */
async function runEmulator(
  args: readonly string[],
  whileUp: (stdout: string[], stderr: string[]) => Promise<void>,
) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const done = runCli(["emulator", "--port", "0", ...args], {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env: process.env,
    cwd: process.cwd(),
  });
  let code: number | undefined;
  void done.then((c) => (code = c));
  for (let i = 0; i < 200 && code === undefined; i++) {
    if (stdout.some((line) => line.startsWith("export IDENTITY_HEADER="))) {
      try {
        await whileUp(stdout, stderr);
      } finally {
        process.emit("SIGINT", "SIGINT");
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { code: await done, stdout, stderr };
}

function exported(stdout: readonly string[], name: string): string {
  const line = stdout.find((l) => l.startsWith(`export ${name}=`)) ?? "";
  return line.slice(`export ${name}=`.length).replace(/^'|'$/g, "");
}

// serial: each run stops on SIGINT, which every running emulator command hears
test.serial(
  "--role adds the assignment, prints every role line, and the named object id gets tokens",
  async (t) => {
    const { code, stdout } = await runEmulator(
      [
        "--role",
        `${APP}=Managed HSM Crypto User@/keys/cli-a`,
        "--role",
        "azure-byok-emulator=Managed HSM Crypto Auditor",
      ],
      async (lines) => {
        const endpoint = exported(lines, "IDENTITY_ENDPOINT");
        const response = await fetch(
          `${endpoint}?resource=https://managedhsm.azure.net&api-version=2019-08-01&client_id=${APP}`,
          { headers: { "x-identity-header": exported(lines, "IDENTITY_HEADER") } },
        );
        t.is(response.status, 200, "the --role object id is an identity of the token endpoint");
      },
    );
    t.is(code, 0);
    const roles = stdout.filter((line) => line.startsWith("role "));
    t.deepEqual(
      roles.sort(),
      [
        `role emulator-hsm ${APP} "Managed HSM Crypto User" /keys/cli-a`,
        `role emulator-hsm 00000000-0000-0000-0000-0000000e0001 "Managed HSM Administrator" /`,
        `role emulator-hsm 00000000-0000-0000-0000-0000000e0001 "Managed HSM Crypto Auditor" /`,
      ].sort(),
    );
  },
);

test.serial(
  "without --role the emulator's identity holds Administrator, Crypto Officer and Crypto User at /",
  async (t) => {
    const { stdout } = await runEmulator([], () => Promise.resolve());
    t.deepEqual(
      stdout
        .filter((line) => line.startsWith("role "))
        .map((line) => line.split('"')[1])
        .sort(),
      ["Managed HSM Administrator", "Managed HSM Crypto Officer", "Managed HSM Crypto User"],
    );
  },
);

test.serial("an unknown role or identity is a usage error naming --role", async (t) => {
  for (const [spec, message] of [
    [`${APP}=Key Vault Reader`, /--role: .*"Key Vault Reader" is not a built-in Managed HSM role/],
    [
      "someone=Managed HSM Crypto User",
      /--role someone=Managed HSM Crypto User: "someone" is neither an object id/,
    ],
    [`${APP}=Managed HSM Crypto User@/secrets`, /--role: .*scope "\/secrets" is not an HSM scope/],
  ] as const) {
    const stderr: string[] = [];
    const code = await runCli(["emulator", "--port", "0", "--role", spec], {
      stdout: () => undefined,
      stderr: (line) => stderr.push(line),
      env: process.env,
      cwd: process.cwd(),
    });
    t.is(code, 2, spec);
    t.regex(stderr.join("\n"), message, spec);
  }
});

test.serial("--role-delay says how long a new role assignment takes to count", async (t) => {
  let said: string[] = [];
  const { code } = await runEmulator(["--role-delay", "1500"], (_stdout, stderr) => {
    said = [...stderr];
    return Promise.resolve();
  });
  t.is(code, 0);
  t.true(
    said.includes(
      "azure-byok emulator: role assignments made through the API count 1500 ms after they are made (--role-delay)",
    ),
    said.join("\n"),
  );
});

test.serial("a --role-delay that is not whole milliseconds is a usage error", async (t) => {
  for (const value of ["-5", "1.5", "soon", "1e3"]) {
    const stderr: string[] = [];
    const code = await runCli(["emulator", "--port", "0", "--role-delay", value], {
      stdout: () => undefined,
      stderr: (line) => stderr.push(line),
      env: process.env,
      cwd: process.cwd(),
    });
    t.is(code, 2, value);
    t.regex(stderr.join("\n"), /--role-delay .* is not a delay: use 0 or more milliseconds/, value);
  }
});
