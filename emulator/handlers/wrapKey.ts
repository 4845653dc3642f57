/**
 * `POST /keys/{name}/{version}/wrapkey`: RSA-OAEP, RSA-OAEP-256, RSA1_5; A*KW and CKM_AES_KEY_WRAP(_PAD) for oct-HSM; needs `wrapKey` in key_ops.
 *
 * @module
 */
import { parseCryptoRequest, runCipher } from "../keyCrypto.js";
import type { CryptoRequest } from "../keyCrypto.js";
import { defineOperation } from "../operation.js";

export const wrapKey = defineOperation<CryptoRequest>({
  validate: (input) => parseCryptoRequest(input, "cipher"),
  handle: (request, context) => ({ status: 200, body: runCipher(request, "wrapKey", context) }),
});
