/**
 * Reads the published vectors checked in under `test/vectors/` (sources in its README).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Parses `test/vectors/<name>`; the caller states the shape it expects. */
export function readVectors(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, "..", "vectors", name), "utf8"));
}

/** Hex to bytes. */
export const hex = (value: string): Buffer => Buffer.from(value, "hex");
