/**
 * Runs before ava (package.json `test`): makes the test CA in `.azure-byok/test-ca/` with the
 * emulator's own CA code, because NODE_EXTRA_CA_CERTS is read only when a process starts, so
 * the CA file must exist before ava starts its workers (ava.environmentVariables points at it).
 */
import { loadOrCreateCa } from "../../emulator/index.js";

const TEST_CA_DIR = ".azure-byok/test-ca";

loadOrCreateCa(TEST_CA_DIR).then(
  ({ certPath }) => {
    process.stdout.write(`test CA: ${certPath}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`could not create the test CA in ${TEST_CA_DIR}: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
