/**
 * `POST /rng`: 1 to 128 random bytes, from a Managed HSM only (contracts §3.1: GetRandomBytes
 * is a Managed HSM operation); a Key Vault answers 404 NotFound, as for any API it lacks.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { badParameter } from "../errors.js";
import { defineOperation } from "../operation.js";
import { requireManagedHsm } from "../rbac/rbacRequests.js";
import { optionalInteger, requireObject } from "../validation.js";

export const getRandomBytes = defineOperation<{ count: number }>({
  validate({ body }, context) {
    requireManagedHsm(
      context,
      "POST /rng",
      "which has no random number generator API: ask a Managed HSM for random bytes",
    );
    const count = optionalInteger(requireObject(body, "The request body"), "count", "body");
    if (count === undefined || count < 1 || count > 128)
      throw badParameter(`count ${count ?? "(missing)"} is out of range: ask for 1 to 128 bytes.`);
    return { count };
  },
  handle: (request) => ({
    status: 200,
    body: { value: randomBytes(request.count).toString("base64url") },
  }),
});
