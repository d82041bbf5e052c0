/**
 * Secrets never reach a plan, a log, an audit record or a report: every string that leaves the
 * process goes through these, with the values of the secrets the stack references.
 */
import { resolveSecret, secretUses } from "./secrets.ts";
import { mapStrings } from "../base/map-strings.ts";

/** Name -> value of each secret of the declaration that this process can resolve. */
export function secretValues(env: unknown): Map<string, string> {
  const values = new Map<string, string>();
  for (const { name } of secretUses(env)) {
    try {
      values.set(name, resolveSecret({ secret: name }));
    } catch {
      // An unset secret cannot leak.
    }
  }
  return values;
}

/** A function that replaces the secret values in a text; longest first, so a secret containing another is caught whole. */
function scrubber(secrets: ReadonlyMap<string, string>): (text: string) => string {
  const longestFirst = [...secrets]
    .filter(([, value]) => value.length >= 4)
    .sort((a, b) => b[1].length - a[1].length);
  return (text) => {
    let out = text;
    for (const [name, value] of longestFirst)
      if (out.includes(value)) out = out.split(value).join(`[redacted ${name}]`);
    return out;
  };
}

/** Replaces the secret values in a text with `[redacted NAME]`. */
export function redactText(text: string, secrets: ReadonlyMap<string, string>): string {
  return scrubber(secrets)(text);
}

/** A deep copy with every string (and object key) redacted. */
export function redactDeep<T>(value: T, secrets: ReadonlyMap<string, string>): T {
  if (secrets.size === 0) return value;
  return mapStrings(value, scrubber(secrets));
}
