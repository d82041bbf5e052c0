/**
 * From a stack's text (a .json or .yaml file, or what a .ts stack handed back) to a checked plain
 * value: parsed with the limits a hostile file needs, duplicate keys found (a reviewer reads the
 * first, a parser keeps the last), and every string and key checked for characters that would trip
 * the database or a reviewer. Problems come back as ConfigIssues with their path; only a document
 * that cannot be walked safely (too deep, too many values) stops the checks that follow.
 */
import { type ConfigIssue, formatPath } from "./issues.ts";
import { suspiciousCharacter } from "./text-hygiene.ts";

/** A stack is about 6 levels deep; 64 leaves room for anything real and none for a stack overflow. */
export const MAX_DEPTH = 64;
/** YAML aliases allowed per document; an alias bomb multiplies nodes exponentially. */
export const MAX_YAML_ALIASES = 100;
/**
 * Values a document may expand to beyond its size in bytes. Without aliases every value takes at
 * least one byte of text, so more values than bytes means aliases multiplied them.
 */
const EXPANSION_ALLOWANCE = 10_000;
/** Per kind of character problem, so a catalog full of one mistake still gives a readable report. */
const MAX_TEXT_ISSUES = 200;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export type Parsed = { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] };

const issue = (file: string, path: string, message: string, rule = "parse"): ConfigIssue => ({
  file,
  path,
  message,
  severity: "error",
  rule,
});

export function parseJson(text: string, shown: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issues: [issue(shown, "", `cannot read JSON: ${(error as Error).message}`)] };
  }
}

export async function parseYaml(text: string, shown: string): Promise<Parsed> {
  // Loaded for a YAML stack only: a JSON or .ts stack never needs it.
  const { CORE_SCHEMA, load: loadYaml } = await import("js-yaml");
  try {
    const value = loadYaml(text, {
      filename: shown,
      schema: CORE_SCHEMA,
      maxAliases: MAX_YAML_ALIASES,
      maxDepth: MAX_DEPTH,
    });
    return { ok: true, value };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    if (/duplicated mapping key/.test(message)) {
      const located = await locateDuplicateKeys(text, shown);
      if (located.length > 0) return { ok: false, issues: located };
    }
    if (/maxDepth/.test(message))
      return {
        ok: false,
        issues: [
          issue(
            shown,
            "",
            `cannot read YAML: nested more than ${MAX_DEPTH} levels deep (${message}); a stack is a few levels deep`,
          ),
        ],
      };
    return { ok: false, issues: [issue(shown, "", `cannot read YAML: ${message}`)] };
  }
}

/**
 * Counts the keys written in a JSON text (each string followed by ':'), in one pass without
 * building anything. More keys written than the parsed objects hold means a key was written twice.
 */
export function countJsonKeys(text: string): number {
  let keys = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const open = text.indexOf('"', i);
    if (open < 0) break;
    let close = open;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close < 0) return keys;
      let backslashes = 0;
      for (let p = close - 1; text.charCodeAt(p) === 92; p--) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    i = close + 1;
    while (i < length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    if (text.charCodeAt(i) === 58) keys++;
  }
  return keys;
}

/** Every key written twice in one mapping, with its path and lines (JSON is YAML, so this reads both). */
export async function locateDuplicateKeys(text: string, shown: string): Promise<ConfigIssue[]> {
  const { parseDocument, visit, isPair, isSeq, isScalar } = await import("yaml");
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const doc = parseDocument(text, { uniqueKeys: false });
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Map(_key, map, ancestors) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        const first = seen.get(name);
        if (first === undefined) {
          seen.set(name, offset);
          continue;
        }
        const parts: PropertyKey[] = [];
        const chain = [...ancestors, map];
        chain.forEach((node, i) => {
          if (isPair(node) && isScalar(node.key)) parts.push(String(node.key.value));
          if (isSeq(node)) parts.push(node.items.indexOf(chain[i + 1] as never));
        });
        parts.push(name);
        issues.push(
          issue(
            shown,
            formatPath(parts),
            `the key '${name}' is written twice (lines ${lineOf(first)} and ${lineOf(offset)}); a reviewer reads the first, the tool would use the last: keep one`,
          ),
        );
      }
    },
  });
  return issues;
}

export interface Inspection {
  /** The document could not be walked safely; nothing more should be checked. */
  fatal: boolean;
  issues: ConfigIssue[];
  /** Keys held by the parsed objects, to compare with the keys written (duplicates). */
  objectKeys: number;
}

interface Frame {
  value: unknown;
  key: PropertyKey | null;
  parent: Frame | null;
  depth: number;
}

function pathOf(frame: Frame | null, last?: PropertyKey): string {
  const parts: PropertyKey[] = last === undefined || last === "" ? [] : [last];
  for (let f = frame; f && f.key !== null; f = f.parent) parts.push(f.key);
  return formatPath(parts.reverse());
}

/**
 * Walks the document once, without recursion: depth and size limits (fatal), keys that could
 * pollute prototypes (reported and removed, so later checks never see them), and every string and
 * key checked for characters that would trip the database or a reviewer.
 */
export function inspectDocument(value: unknown, shown: string, sourceBytes: number): Inspection {
  const issues: ConfigIssue[] = [];
  const maxNodes = sourceBytes + EXPANSION_ALLOWANCE;
  let textIssues = 0;
  let objectKeys = 0;
  let nodes = 0;
  const reportText = (problem: string, path: string, isKey: boolean) => {
    if (++textIssues <= MAX_TEXT_ISSUES)
      issues.push(issue(shown, path, isKey ? `the key ${problem}` : problem, "text"));
  };
  // Only objects and lists become frames; strings are checked where they are met, which keeps a
  // 100,000-row catalog to one small allocation per row.
  const stack: Frame[] = [];
  const visit = (child: unknown, key: PropertyKey, parent: Frame | null) => {
    nodes++;
    if (typeof child === "string") {
      const problem = suspiciousCharacter(child);
      if (problem) reportText(problem, pathOf(parent, key), false);
    } else if (child !== null && typeof child === "object")
      stack.push({ value: child, key, parent, depth: (parent?.depth ?? -1) + 1 });
  };
  if (value !== null && typeof value === "object") stack.push({ value, key: null, parent: null, depth: 0 });
  else visit(value, "", null);
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (nodes > maxNodes) {
      issues.push(
        issue(
          shown,
          pathOf(frame),
          `the document expands to more than ${maxNodes} values for its ${sourceBytes} bytes (YAML aliases?); a stack is far smaller`,
        ),
      );
      return { fatal: true, issues, objectKeys };
    }
    if (frame.depth >= MAX_DEPTH) {
      issues.push(
        issue(
          shown,
          pathOf(frame),
          `nested more than ${MAX_DEPTH} levels deep; a stack is a few levels deep`,
        ),
      );
      return { fatal: true, issues, objectKeys };
    }
    const node = frame.value;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) visit(node[i], i, frame);
      continue;
    }
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    objectKeys += keys.length;
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push(
          issue(shown, pathOf(frame, key), `the key '${key}' is not allowed in a stack; remove it`),
        );
        delete record[key];
        continue;
      }
      const problem = suspiciousCharacter(key);
      if (problem) reportText(problem, pathOf(frame, key), true);
      visit(record[key], key, frame);
    }
  }
  if (textIssues > MAX_TEXT_ISSUES)
    issues.push(
      issue(
        shown,
        "",
        `${textIssues - MAX_TEXT_ISSUES} more values hold such characters (only the first ${MAX_TEXT_ISSUES} are listed)`,
        "text",
      ),
    );
  return { fatal: false, issues, objectKeys };
}
