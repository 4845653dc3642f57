/**
 * `POST /keys/{name}/{version}/verify`: check a signature over a digest; needs `verify` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runVerify } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const verify = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "verify"),
  handle: (request, context) => ({ status: 200, body: runVerify(request, context) }),
});
