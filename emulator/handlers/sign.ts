/**
 * `POST /keys/{name}/{version}/sign`: sign a digest (RS*, PS*, RSNULL, ES*); needs `sign` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runSign } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const sign = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "sign"),
  handle: (request, context) => ({ status: 200, body: runSign(request, context) }),
});
