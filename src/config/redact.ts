/**
 * Secrets never reach a plan, a log, an audit record or a report: every string that leaves the
 * process goes through these, with the values of the secrets the stack references.
 */
import { redact, resolveSecret } from "./secrets.ts";
import type { SecretRef } from "../model/environment.ts";

/** Every `{secret: NAME}` reference anywhere in a declaration. */
export function secretRefsOf(value: unknown, found: SecretRef[] = []): SecretRef[] {
  if (Array.isArray(value)) for (const v of value) secretRefsOf(v, found);
  else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const ref = (value as { secret?: unknown }).secret;
    if (keys.length === 1 && typeof ref === "string") found.push({ secret: ref });
    else for (const k of keys) secretRefsOf((value as Record<string, unknown>)[k], found);
  }
  return found;
}

/** Name -> value of each secret of the declaration that this process can resolve. */
export function secretValues(env: unknown): Map<string, string> {
  const values = new Map<string, string>();
  for (const ref of secretRefsOf(env)) {
    try {
      values.set(ref.secret, resolveSecret(ref));
    } catch {
      // An unset secret cannot leak.
    }
  }
  return values;
}

/** Replaces secret values in a text; longest first so a secret containing another is caught whole. */
export function redactText(text: string, secrets: ReadonlyMap<string, string>): string {
  return redact(text, new Map([...secrets].sort((a, b) => b[1].length - a[1].length)));
}

/** A deep copy with every string (and object key) redacted. */
export function redactDeep<T>(value: T, secrets: ReadonlyMap<string, string>): T {
  if (secrets.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secrets), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
