/**
 * `POST /keys/{name}/{version}/encrypt`: RSA-OAEP, RSA-OAEP-256, RSA1_5; AES-GCM and AES-CBC for oct-HSM; needs `encrypt` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runCipher } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const encrypt = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "cipher"),
  handle: (request, context) => ({ status: 200, body: runCipher(request, "encrypt", context) }),
});
