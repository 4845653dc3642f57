/**
 * `POST /keys/{name}/{version}/unwrapkey`: the algorithms of wrapKey; needs `unwrapKey` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runCipher } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const unwrapKey = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "cipher"),
  handle: (request, context) => ({ status: 200, body: runCipher(request, "unwrapKey", context) }),
});
