/**
 * Property values as the engine handles them between the program and a provider (reference §1.3,
 * §1.6): the program registers values in wire form (secrets wrapped, unknowns as a sentinel,
 * resource references as special objects); the dynamic plugin host accepts neither secrets nor
 * resources, so the engine strips the first and downgrades the second before every call, and on
 * the way back re-marks as secret each output named like a secret input.
 *
 * @module
 * @internal
 */
import { isDeepStrictEqual } from "node:util";
import type { PropertyMap } from "./pluginHostClient.js";

/** `runtime.specialSigKey`: the key that marks a special wire object (reference §1.6). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** `runtime.specialSecretSig`. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** `runtime.specialResourceSig`. */
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** `runtime.unknownValue`: a value not known until the deployment runs. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Special = Record<string, unknown>;

function signature(value: unknown): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Special)[SIG_KEY]
    : undefined;
}

/** True when a wire value is a secret wrapper. */
export function isSecretValue(value: unknown): boolean {
  return signature(value) === SECRET_SIG;
}

/** Wraps a plain value as a wire secret. */
export function secretValue(value: unknown): Special {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** A wire value as the plugin host must receive it: no secret wrappers, references as ids. */
function plain(value: unknown): unknown {
  const sig = signature(value);
  if (sig === SECRET_SIG) return plain((value as Special).value);
  if (sig === RESOURCE_SIG) {
    // what the engine sends a provider that does not accept resources: the id, else the URN
    const reference = value as Special;
    const id = reference.id;
    return typeof id === "string" && id !== "" ? id : reference.urn;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}

/**
 * Strips a registration's wire inputs for the plugin host.
 *
 * @returns the plain inputs and the top-level keys that were secret (anywhere inside).
 */
export function toProviderInputs(wire: PropertyMap): {
  inputs: PropertyMap;
  secretKeys: string[];
} {
  const secretKeys = Object.keys(wire).filter((key) => containsSecret(wire[key]));
  return { inputs: plain(wire) as PropertyMap, secretKeys };
}

function containsSecret(value: unknown): boolean {
  if (isSecretValue(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/**
 * Re-marks outputs as secret the way the engine's `annotateSecrets` does: each output whose key
 * is a secret input's, plus the resource's `additionalSecretOutputs`.
 */
export function markSecretOutputs(
  outputs: PropertyMap,
  secretKeys: readonly string[],
): PropertyMap {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, value]) => [
      key,
      secretKeys.includes(key) && !isSecretValue(value) ? secretValue(value) : value,
    ]),
  );
}

/** True when a plain value holds the unknown sentinel anywhere. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null)
    return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * The input keys whose values differ between two input bags, `__provider` aside (the engine's
 * own diff when a provider answers DIFF_UNKNOWN, and the keys `pulumi up` shows on an update).
 */
export function changedKeys(olds: PropertyMap, news: PropertyMap): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  keys.delete("__provider");
  return [...keys].filter((key) => !isDeepStrictEqual(olds[key], news[key])).sort();
}

/** Stack outputs as plain values: secret wrappers removed (for a caller that prints no secrets). */
export function unwrapSecrets(wire: PropertyMap): PropertyMap {
  return Object.fromEntries(
    Object.entries(wire).map(([key, value]) => [
      key,
      isSecretValue(value) ? (value as Special).value : value,
    ]),
  );
}
