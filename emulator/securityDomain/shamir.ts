/**
 * Shamir's secret sharing over GF(2^8) (the AES field, x^8 + x^4 + x^3 + x + 1), byte by byte:
 * each byte of the secret is the constant term of a random polynomial of degree `required - 1`,
 * and share i holds its values at x = i. Any `required` shares give the secret back by Lagrange
 * interpolation at 0; fewer say nothing about it.
 *
 * @module
 */
import { randomBytes } from "node:crypto";

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  // 3 generates the multiplicative group of the AES field.
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255] ?? 0;
}

function multiply(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[(LOG[a] ?? 0) + (LOG[b] ?? 0)] ?? 0;
}

function divide(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero in GF(256)");
  if (a === 0) return 0;
  return EXP[(LOG[a] ?? 0) + 255 - (LOG[b] ?? 0)] ?? 0;
}

/** One share: its x coordinate (1..255) and one y byte per secret byte. */
export interface SecretShare {
  readonly x: number;
  readonly y: Buffer;
}

/**
 * Splits `secret` into `count` shares, any `required` of which recover it.
 *
 * @throws RangeError unless 2 ≤ required ≤ count ≤ 255.
 */
export function splitSecret(secret: Buffer, count: number, required: number): SecretShare[] {
  if (!(required >= 2 && required <= count && count <= 255))
    throw new RangeError(`cannot split into ${count} shares with ${required} required`);
  const shares = Array.from({ length: count }, (_, i) => ({
    x: i + 1,
    y: Buffer.alloc(secret.length),
  }));
  for (let byte = 0; byte < secret.length; byte++) {
    const coefficients = [secret[byte] ?? 0, ...randomBytes(required - 1)];
    for (const share of shares) {
      // Horner's rule, highest coefficient first.
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--)
        y = multiply(y, share.x) ^ (coefficients[c] ?? 0);
      share.y[byte] = y;
    }
  }
  return shares;
}

/**
 * Recovers the secret from shares (Lagrange interpolation at x = 0). Given fewer than the
 * split's `required`, the answer is a wrong value, not an error: Shamir cannot tell.
 *
 * @throws RangeError for no shares, or two with the same x.
 */
export function combineShares(shares: readonly SecretShare[]): Buffer {
  if (shares.length === 0) throw new RangeError("no shares to combine");
  if (new Set(shares.map((s) => s.x)).size !== shares.length)
    throw new RangeError("two shares have the same x");
  const length = shares[0]?.y.length ?? 0;
  const secret = Buffer.alloc(length);
  for (let byte = 0; byte < length; byte++) {
    let value = 0;
    for (const [i, share] of shares.entries()) {
      // basis polynomial at 0: product over j ≠ i of x_j / (x_j - x_i); minus is xor here
      let basis = 1;
      for (const [j, other] of shares.entries()) {
        if (i !== j) basis = multiply(basis, divide(other.x, other.x ^ share.x));
      }
      value ^= multiply(share.y[byte] ?? 0, basis);
    }
    secret[byte] = value;
  }
  return secret;
}
