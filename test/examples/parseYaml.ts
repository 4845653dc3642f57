/**
 * A YAML parser for the examples' tests: js-yaml, already installed (a dependency of
 * `@pulumi/pulumi`), loaded without a dependency or type package of our own.
 */
import { createRequire } from "node:module";

const jsYaml = createRequire(__filename)("js-yaml") as { load(text: string): unknown };

/** A plain object's entries; anything else is a test failure the caller names. */
export type YamlMap = Record<string, unknown>;

/** Parses YAML text (one document). */
export function parseYaml(text: string): unknown {
  return jsYaml.load(text);
}

/** True for a mapping (not null, not a list). */
export function isYamlMap(value: unknown): value is YamlMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
