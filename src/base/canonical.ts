/** Canonical JSON (keys sorted at every level) and sha256: equal states hash equally. */
import { createHash } from "node:crypto";

/**
 * An object with its keys in sorted order, or the object itself when they already are (most
 * objects of a plan are not rebuilt). Keys that are array indices ("2", "10") come first in numeric
 * order whatever the insertion order: JavaScript keeps them so, here as in the text it gives.
 */
function sortedKeys(value: object): object {
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
  if (sorted) return value;
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as byCodePoint does.
  keys.sort();
  const rebuilt: Record<string, unknown> = {};
  for (const key of keys) rebuilt[key] = (value as Record<string, unknown>)[key];
  return rebuilt;
}

/** JSON.stringify's text with the keys of every object sorted. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? sortedKeys(v) : v,
  );
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Code-point order, the same on every machine (localeCompare is not). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The values sorted by code point without repeats; an array that already is comes back as it is. */
export function sortedUnique(values: readonly string[]): string[] {
  let ordered = true;
  for (let i = 1; i < values.length && ordered; i++) ordered = values[i - 1]! < values[i]!;
  return ordered ? (values as string[]) : [...new Set(values)].sort(byCodePoint);
}
