import test from "ava";
import fc from "fast-check";
import { unwrapKeyWithPadding, wrapKeyWithPadding, wrappedLength } from "../../byok/index.js";
import { throwsByok } from "../harness/assertByok.js";
import { hex, readVectors as vectors } from "../harness/vectors.js";

interface KwpCase {
  tcId: number;
  comment: string;
  key: string;
  msg: string;
  ct: string;
  result: "valid" | "invalid" | "acceptable";
}

const rfc5649 = vectors("rfc5649.json") as {
  kek: string;
  vectors: { name: string; key: string; wrapped: string }[];
};

for (const vector of rfc5649.vectors) {
  test(`RFC 5649 §6: ${vector.name} wraps to the published output and back`, (t) => {
    t.is(wrapKeyWithPadding(hex(rfc5649.kek), hex(vector.key)).toString("hex"), vector.wrapped);
    t.is(unwrapKeyWithPadding(hex(rfc5649.kek), hex(vector.wrapped)).toString("hex"), vector.key);
  });
}

const kwp = vectors("wycheproof/aes_kwp_test.json") as {
  numberOfTests: number;
  testGroups: { keySize: number; tests: KwpCase[] }[];
};
const kwpCases = kwp.testGroups.flatMap((group) =>
  group.tests.map((vector) => ({ keySize: group.keySize, vector })),
);

test("Wycheproof AES-KWP: the vendored file is whole (every tcId once, as many as it declares)", (t) => {
  const ids = kwpCases.map(({ vector }) => vector.tcId);
  t.is(ids.length, kwp.numberOfTests);
  t.is(new Set(ids).size, ids.length);
});

/** How an unwrap went: the bytes, or the code it was refused with. */
function tryUnwrap(key: string, ct: string): { unwrapped: string } | { code: string } {
  try {
    return { unwrapped: unwrapKeyWithPadding(hex(key), hex(ct)).toString("hex") };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

// An 8-byte input is refused for its length before any decryption; the rest fail the RFC 5649 §3
// integrity check (AIV, length field, zero padding).
const refusedWith = (ct: string): string =>
  hex(ct).length < 16 ? "ERR_BYOK_CIPHERTEXT_LENGTH" : "ERR_BYOK_KWP_INTEGRITY";

// Wycheproof's rules: "valid" must wrap to ct and unwrap to msg, "invalid" must be refused, and
// "acceptable" may go either way but must not unwrap to anything but msg.
for (const { keySize, vector } of kwpCases) {
  const title = `Wycheproof AES-KWP tcId ${vector.tcId} (AES-${keySize}, ${vector.comment || "normal"}): ${vector.result}`;
  test(title, (t) => {
    t.is(hex(vector.key).length * 8, keySize, "the key is its group's size");
    const outcome = tryUnwrap(vector.key, vector.ct);
    switch (vector.result) {
      case "valid":
        t.is(wrapKeyWithPadding(hex(vector.key), hex(vector.msg)).toString("hex"), vector.ct);
        t.deepEqual(outcome, { unwrapped: vector.msg });
        break;
      case "invalid":
        t.deepEqual(outcome, { code: refusedWith(vector.ct) });
        break;
      case "acceptable":
        t.true(
          "unwrapped" in outcome
            ? outcome.unwrapped === vector.msg
            : outcome.code === refusedWith(vector.ct),
          JSON.stringify(outcome),
        );
        break;
    }
  });
}

test("unwrapping under another AES key fails the integrity check with a message saying why", (t) => {
  const wrapped = wrapKeyWithPadding(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  throwsByok(
    t,
    () => unwrapKeyWithPadding(Buffer.alloc(32, 3), wrapped),
    "ERR_BYOK_KWP_INTEGRITY",
    /integrity check failed: the file was altered, or it was not wrapped for this KEK/,
  );
});

test("a wrapped part that is not a multiple of 8 bytes is refused for its length", (t) => {
  throwsByok(
    t,
    () => unwrapKeyWithPadding(Buffer.alloc(32), Buffer.alloc(41)),
    "ERR_BYOK_CIPHERTEXT_LENGTH",
    /is 41 bytes: RFC 5649 output is at least 16 bytes and a multiple of 8/,
  );
});

test("wrapping nothing is refused", (t) => {
  throwsByok(
    t,
    () => wrapKeyWithPadding(Buffer.alloc(32), Buffer.alloc(0)),
    "ERR_BYOK_TARGET_KEY",
    /empty/,
  );
});

test("an AES wrapping key of another size is refused, naming the sizes", (t) => {
  throwsByok(
    t,
    () => wrapKeyWithPadding(Buffer.alloc(20), Buffer.alloc(16)),
    "ERR_BYOK_OAEP",
    /is 20 bytes: it must be 16, 24 or 32 bytes/,
  );
});

test("property: any key of 1..4096 bytes round-trips under AES-128/192/256, at the RFC 5649 length", (t) => {
  fc.assert(
    fc.property(
      fc
        .constantFrom(16, 24, 32)
        .chain((size) => fc.uint8Array({ minLength: size, maxLength: size })),
      fc.uint8Array({ minLength: 1, maxLength: 4096 }),
      (kek, plaintext) => {
        const wrapped = wrapKeyWithPadding(kek, plaintext);
        return (
          wrapped.length === wrappedLength(plaintext.length) &&
          unwrapKeyWithPadding(kek, wrapped).equals(plaintext)
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
