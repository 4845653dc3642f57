// Property-based tests of the .byok parser and unwrap: random damage to a valid file is refused
// with a ByokError carrying a specific code, and never escapes as another exception.
import test from "ava";
import fc from "fast-check";
import {
  buildByokFile,
  isByokError,
  parseByokFile,
  targetKeyOf,
  unwrapByokFile,
} from "../../byok/index.js";
import type { ByokErrorCode } from "../../byok/index.js";
import { KEK_KID, memoTargetKey, rsaPair } from "../harness/keys.js";

/** Runs parse (against the 2048-bit KEK) then unwrap; "ok" or the ByokError's code. */
async function outcome(text: string): Promise<ByokErrorCode | "ok"> {
  const kek = await rsaPair(2048);
  try {
    unwrapByokFile(parseByokFile(text, { kekModulusBytes: 256 }), kek.privateKey);
    return "ok";
  } catch (error) {
    if (isByokError(error)) return error.code;
    throw error;
  }
}

async function validText(spec: string): Promise<string> {
  const kek = await rsaPair(2048);
  return buildByokFile(await memoTargetKey(spec), { kekPublicKey: kek.publicKey, kekKid: KEK_KID })
    .text;
}

test("property: flipping bits anywhere in the ciphertext fails OAEP or the KWP integrity check", async (t) => {
  const text = await validText("ec-p256");
  const file = JSON.parse(text) as { ciphertext: string };
  const ciphertext = Buffer.from(file.ciphertext, "base64url");
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: ciphertext.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      async (index, mask) => {
        const damaged = Buffer.from(ciphertext);
        damaged[index] = (damaged[index] ?? 0) ^ mask;
        const code = await outcome(
          JSON.stringify({ ...file, ciphertext: damaged.toString("base64url") }),
        );
        return code === (index < 256 ? "ERR_BYOK_OAEP" : "ERR_BYOK_KWP_INTEGRITY");
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

const FIELDS = ["schema_version", "header", "ciphertext", "generator"] as const;
const HEADER_FIELDS = ["kid", "alg", "enc"] as const;

test("property: deleting or replacing any field with any JSON value gives ok or a coded ByokError", async (t) => {
  const text = await validText("oct-128");
  const codes = new Set<string>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...FIELDS, ...HEADER_FIELDS.map((field) => `header.${field}`)),
      fc.option(fc.jsonValue(), { nil: undefined }),
      async (path, value) => {
        const file = JSON.parse(text) as Record<string, Record<string, unknown>>;
        const [outer, inner] = path.split(".") as [string, string | undefined];
        const target = inner === undefined ? file : (file[outer] ?? {});
        const field = inner ?? outer;
        const original: unknown = target[field];
        if (value === undefined) Reflect.deleteProperty(target, field);
        else Reflect.set(target, field, value);
        const code = await outcome(JSON.stringify(file));
        codes.add(code);
        // Only an unchanged meaning may pass: the generator is free text, the rest is fixed.
        const harmless =
          field === "generator" ||
          JSON.stringify(value) === JSON.stringify(original) ||
          (field === "schema_version" && value === "1.0");
        return code !== "ok" || harmless;
      },
    ),
    { numRuns: 300 },
  );
  t.log([...codes].sort().join(", "));
  t.true(codes.has("ERR_BYOK_MISSING_FIELD"));
});

test("property: a file cut short anywhere is refused with a coded ByokError", async (t) => {
  const text = await validText("rsa-2048");
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: text.length - 2 }), async (length) => {
      const code = await outcome(text.slice(0, length));
      return code !== "ok";
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test("property: dropping bytes from the end of the ciphertext is refused with a length, OAEP or KWP code", async (t) => {
  const text = await validText("ec-p384");
  const file = JSON.parse(text) as { ciphertext: string };
  const ciphertext = Buffer.from(file.ciphertext, "base64url");
  const allowed: readonly string[] = [
    "ERR_BYOK_CIPHERTEXT_LENGTH",
    "ERR_BYOK_KEK_SIZE_MISMATCH",
    "ERR_BYOK_KWP_INTEGRITY",
  ];
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: ciphertext.length }), async (drop) => {
      const cut = ciphertext.subarray(0, ciphertext.length - drop).toString("base64url");
      return allowed.includes(await outcome(JSON.stringify({ ...file, ciphertext: cut })));
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test("property: random AES keys of 16, 24 or 32 bytes round-trip through a .byok file", async (t) => {
  const kek = await rsaPair(2048);
  fc.assert(
    fc.property(
      fc
        .constantFrom(16, 24, 32)
        .chain((size) => fc.uint8Array({ minLength: size, maxLength: size })),
      (key) => {
        const built = buildByokFile(targetKeyOf(key), {
          kekPublicKey: kek.publicKey,
          kekKid: KEK_KID,
        });
        const recovered = unwrapByokFile(
          parseByokFile(built.text, { kekModulusBytes: 256 }),
          kek.privateKey,
        );
        return (
          "octKey" in recovered &&
          recovered.octKey.equals(key) &&
          recovered.spec.size === key.length * 8
        );
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});
