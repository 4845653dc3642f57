/**
 * `POST /keys/{name}/{version}/decrypt`: the algorithms of encrypt; needs `decrypt` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runCipher } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const decrypt = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "cipher"),
  handle: (request, context) => ({ status: 200, body: runCipher(request, "decrypt", context) }),
});
