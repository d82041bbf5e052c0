/**
 * Schema problems in words an engineer acts on: what was expected and what was found at that
 * path ("expected a whole number, found the text "5432"; write it without quotes"), and "required
 * field is missing" only when the field really is absent. A secret field never echoes what it
 * found: a password typed where a reference belongs must not reach a CI log.
 */
import type { z } from "zod";
import { SECRET_REF_EXPECTED } from "../model/environment.ts";
import { type ConfigIssue, formatPath } from "./issues.ts";

type Issue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "text",
  boolean: "true or false",
  object: "an object",
  array: "a list",
};

/** The raw value at a path, and whether its last key is present at all. */
function valueAt(root: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key))
      return { present: false, value: undefined };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: node };
}

/** A found value, shown briefly; long text is cut. */
export function describeFound(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > 60 ? value.slice(0, 57) + "..." : value;
    return `the text ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return "a number too large to represent (Infinity)";
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0
      ? "an empty object"
      : `an object with ${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", ..." : ""}`;
  }
  return typeof value;
}

const isDefaultMessage = (message: string) => /^(Invalid|Too big|Too small)\b/.test(message);

function sizeWords(issue: Issue & { code: "too_big" | "too_small" }): string {
  const bound = issue.code === "too_big" ? issue.maximum : issue.minimum;
  const word = issue.code === "too_big" ? "at most" : "at least";
  const n = Number(bound);
  if (issue.origin === "string") return `${word} ${n} character${n === 1 ? "" : "s"}`;
  if (issue.origin === "array" || issue.origin === "set") return `${word} ${n} entr${n === 1 ? "y" : "ies"}`;
  const strict = issue.inclusive === false ? (issue.code === "too_big" ? "below" : "above") : word;
  return `${strict} ${String(bound)}`;
}

/** What one issue expected, in words, without the found part. */
function expectedWords(issue: Issue, atRoot: boolean): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.message === SECRET_REF_EXPECTED) return SECRET_REF_EXPECTED;
      if (atRoot) return "the stack as one object (`export default defineEnvironment({...})`)";
      return EXPECTED[issue.expected] ?? issue.expected;
    case "invalid_value":
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "too_big":
    case "too_small":
      return isDefaultMessage(issue.message) ? sizeWords(issue) : issue.message;
    case "invalid_union": {
      const branches = issue.errors.map((branch) =>
        branch[0] ? expectedWords(branch[0], false) : "something else",
      );
      return [...new Set(branches)].join(", or ");
    }
    default:
      return issue.message;
  }
}

function messageFor(issue: Issue, root: unknown): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}; check the spelling against schemas/environment.schema.json`;
  }
  const found = valueAt(root, issue.path);
  if (!found.present) return "required field is missing";
  // A field with its own refusal (the supported operating systems, say) already says it all.
  if (issue.code === "invalid_value" && !isDefaultMessage(issue.message)) return issue.message;
  const expected = expectedWords(issue, issue.path.length === 0);
  // A secret field may hold the secret itself by mistake: say what kind of value, never the value.
  if (expected === SECRET_REF_EXPECTED && typeof found.value === "string")
    return `expected ${expected}, found a plain text value (not shown); move the value to the secret store and reference it`;
  const numberInQuotes =
    issue.code === "invalid_type" &&
    (issue.expected === "number" || issue.expected === "int") &&
    typeof found.value === "string" &&
    /^-?\d+(\.\d+)?$/.test(found.value);
  const what = describeFound(found.value);
  switch (issue.code) {
    case "invalid_type":
    case "invalid_value":
    case "invalid_union":
      return `expected ${expected}, found ${what}${numberInQuotes ? "; write the number without quotes" : ""}`;
    case "too_big":
    case "too_small":
      return isDefaultMessage(issue.message)
        ? `must be ${expected}, found ${what}`
        : `${expected}; found ${what}`;
    default:
      return `${expected}; found ${what}`;
  }
}

/** One ConfigIssue per schema problem, with the path inside the stack. */
export function schemaIssues(issues: readonly Issue[], root: unknown, shown: string): ConfigIssue[] {
  return issues.map((issue) => ({
    file: shown,
    path: formatPath(issue.path),
    message: messageFor(issue, root),
    severity: "error",
    rule: "schema",
  }));
}
