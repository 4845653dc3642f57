/**
 * Shared checks for request bodies (STYLE.md rule 4): each takes the property path, and each
 * failure is a 400 BadParameter naming the property, what was seen and what is allowed.
 *
 * @module
 */
import { decodeBase64Lenient, isByokError } from "../byok/index.js";
import { badParameter } from "./errors.js";
import type { StoredReleasePolicy } from "./store/keyStore.js";

export type JsonObject = Record<string, unknown>;

function typeName(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** The body as an object; `undefined` (no body) only when `optional`. */
export function requireObject(value: unknown, what: string): JsonObject {
  if (typeof value === "object" && value !== null && !Array.isArray(value))
    return value as JsonObject;
  throw badParameter(
    `${what} must be a JSON object, not ${value === undefined ? "missing" : typeName(value)}.`,
  );
}

export function optionalObject(value: unknown, what: string): JsonObject | undefined {
  return value === undefined || value === null ? undefined : requireObject(value, what);
}

export function optionalString(obj: JsonObject, field: string, what: string): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    throw badParameter(`${what}.${field} must be a string, not ${typeName(value)}.`);
  return value;
}

export function requireString(obj: JsonObject, field: string, what: string): string {
  const value = optionalString(obj, field, what);
  if (value === undefined || value === "") throw badParameter(`${what}.${field} is required.`);
  return value;
}

export function optionalBoolean(obj: JsonObject, field: string, what: string): boolean | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean")
    throw badParameter(`${what}.${field} must be true or false, not ${typeName(value)}.`);
  return value;
}

export function optionalInteger(obj: JsonObject, field: string, what: string): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw badParameter(`${what}.${field} must be an integer, not ${JSON.stringify(value)}.`);
  }
  return value;
}

export function optionalStringArray(
  obj: JsonObject,
  field: string,
  what: string,
): string[] | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw badParameter(`${what}.${field} must be an array of strings.`);
  }
  return value as string[];
}

/** A base64url (or base64) byte field. */
export function optionalBytes(obj: JsonObject, field: string, what: string): Buffer | undefined {
  const value = optionalString(obj, field, what);
  if (value === undefined) return undefined;
  try {
    return decodeBase64Lenient(value, `${what}.${field}`);
  } catch (error) {
    if (isByokError(error)) throw badParameter(`${error.message}.`);
    throw error;
  }
}

export function requireBytes(obj: JsonObject, field: string, what: string): Buffer {
  const value = optionalBytes(obj, field, what);
  if (value === undefined) throw badParameter(`${what}.${field} is required (base64url).`);
  return value;
}

/** Tags: at most 15, names and values at most 256 characters (contracts §3.2). */
export function optionalTags(
  obj: JsonObject,
  field: string,
  what: string,
): Record<string, string> | undefined {
  const tags = optionalObject(obj[field], `${what}.${field}`);
  if (tags === undefined) return undefined;
  const entries = Object.entries(tags);
  if (entries.length > 15)
    throw badParameter(`${what}.${field} has ${entries.length} tags: at most 15 are allowed.`);
  for (const [name, value] of entries) {
    if (typeof value !== "string") throw badParameter(`${what}.${field}.${name} must be a string.`);
    if (name.length > 256 || value.length > 256) {
      throw badParameter(
        `${what}.${field}.${name}: tag names and values are at most 256 characters.`,
      );
    }
  }
  return tags as Record<string, string>;
}

/** The writable key attributes (contracts §3.2); dates in Unix seconds. */
export interface AttributesInput {
  readonly enabled?: boolean;
  readonly nbf?: number;
  readonly exp?: number;
  readonly exportable?: boolean;
}

export function optionalAttributes(obj: JsonObject, what: string): AttributesInput {
  const attributes = optionalObject(obj.attributes, `${what}.attributes`);
  if (attributes === undefined) return {};
  const path = `${what}.attributes`;
  const result: { -readonly [K in keyof AttributesInput]: AttributesInput[K] } = {};
  const enabled = optionalBoolean(attributes, "enabled", path);
  const nbf = optionalInteger(attributes, "nbf", path);
  const exp = optionalInteger(attributes, "exp", path);
  const exportable = optionalBoolean(attributes, "exportable", path);
  if (enabled !== undefined) result.enabled = enabled;
  if (nbf !== undefined) result.nbf = nbf;
  if (exp !== undefined) result.exp = exp;
  if (exportable !== undefined) result.exportable = exportable;
  if (nbf !== undefined && exp !== undefined && exp <= nbf) {
    throw badParameter(`${path}.exp (${exp}) must be after ${path}.nbf (${nbf}).`);
  }
  return result;
}

/** A release policy: `data` is base64url of the policy JSON, which must parse (contracts §3.2). */
export function optionalReleasePolicy(
  obj: JsonObject,
  what: string,
): StoredReleasePolicy | undefined {
  const policy = optionalObject(obj.release_policy, `${what}.release_policy`);
  if (policy === undefined) return undefined;
  const path = `${what}.release_policy`;
  const data = requireBytes(policy, "data", path);
  try {
    JSON.parse(data.toString("utf8"));
  } catch {
    throw badParameter(
      `${path}.data is not base64url of a JSON policy: give {"version":"1.0.0","anyOf":[...]}.`,
    );
  }
  return {
    contentType: optionalString(policy, "contentType", path) ?? "application/json; charset=utf-8",
    immutable: optionalBoolean(policy, "immutable", path) ?? false,
    data,
  };
}
