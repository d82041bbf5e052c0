/**
 * Loading a stack: find the file, read it safely (.ts, .json, .yaml), check the schema, run the rules.
 *
 * Nothing here throws for bad input: every problem comes back as a ConfigIssue naming the file and
 * the path inside it, so `validate` can report them all at once.
 */
import { readdir, stat, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { load as loadYaml } from "js-yaml";
import type { z } from "zod";
import { Environment } from "../model/environment.ts";
import { type ConfigIssue, formatPath } from "./issues.ts";
import { runRules, type RuleContext } from "./rules/index.ts";
import { now } from "../time.ts";

/** Larger files are refused before reading: a stack is a few hundred KB at most. */
export const MAX_STACK_BYTES = 5 * 1024 * 1024;
/** YAML aliases allowed per document; an alias bomb multiplies nodes exponentially. */
const MAX_YAML_ALIASES = 100;
/** Nodes walked when checking for forbidden keys; bounds the work an aliased document can cause. */
const MAX_NODES = 500_000;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const STACK_EXTENSIONS = [".ts", ".json", ".yaml", ".yml"];

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const STACKS_DIR = path.join(REPO_ROOT, "stacks");

export type LoadResult =
  | { ok: true; file: string; env: Environment; issues: ConfigIssue[] }
  | { ok: false; file: string; issues: ConfigIssue[] };

/** Turns `--stack NAME|PATH` into a file: a path as given, or a name under stacks/. */
export async function resolveStackFile(ref: string, cwd = process.cwd()): Promise<string> {
  const looksLikePath = ref.includes("/") || STACK_EXTENSIONS.some((ext) => ref.endsWith(ext));
  if (looksLikePath) return path.resolve(cwd, ref);
  for (const ext of STACK_EXTENSIONS) {
    const candidate = path.join(STACKS_DIR, ref + ext);
    if (await exists(candidate)) return candidate;
  }
  const known = (await listStackFiles()).map((f) => path.basename(f).replace(/\.[^.]+$/, ""));
  throw new Error(`no stack named '${ref}' under stacks/ (known: ${known.join(", ") || "none"})`);
}

/** Every stack under stacks/ (top-level files only: sub-folders hold shared parts). */
export async function listStackFiles(dir = STACKS_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && STACK_EXTENSIONS.includes(path.extname(e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Loads, checks the schema and runs every rule. `ok` is false when any error was found. */
export async function loadStack(file: string, context: Partial<RuleContext> = {}): Promise<LoadResult> {
  const shown = displayName(file);
  const raw = await readRaw(file, shown);
  if (!raw.ok) return { ok: false, file: shown, issues: raw.issues };

  const forbidden = findForbiddenKeys(raw.value, shown);
  if (forbidden.length > 0) return { ok: false, file: shown, issues: forbidden };

  const parsed = Environment.safeParse(raw.value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i): ConfigIssue => ({
      file: shown,
      path: formatPath(i.path),
      message: schemaMessage(i),
      severity: "error",
      rule: "schema",
    }));
    return { ok: false, file: shown, issues };
  }
  const issues = runRules(parsed.data, { today: context.today ?? now(), file: shown });
  const ok = !issues.some((i) => i.severity === "error");
  return ok ? { ok, file: shown, env: parsed.data, issues } : { ok, file: shown, issues };
}

/** Loads a stack that must be valid, for commands that act on it; throws with every error listed. */
export async function loadValidStack(
  ref: string,
  context: Partial<RuleContext> = {},
): Promise<{
  file: string;
  env: Environment;
  warnings: ConfigIssue[];
}> {
  const file = await resolveStackFile(ref);
  const result = await loadStack(file, context);
  if (!result.ok) {
    const { formatIssue } = await import("./issues.ts");
    throw new Error(
      `${result.file} is not valid; nothing was changed. Fix these and run 'ebill-ops validate --stack ${ref}':\n` +
        result.issues.map((i) => "  " + formatIssue(i)).join("\n"),
    );
  }
  return { file: result.file, env: result.env, warnings: result.issues };
}

function displayName(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

type Raw = { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] };

async function readRaw(file: string, shown: string): Promise<Raw> {
  const fail = (message: string): Raw => ({
    ok: false,
    issues: [{ file: shown, path: "", message, severity: "error", rule: "parse" }],
  });
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile()) return fail("file not found; give a stack name under stacks/ or a path");
  if (info.size > MAX_STACK_BYTES) {
    return fail(
      `file is ${(info.size / 1024 / 1024).toFixed(1)} MB; a stack is at most ${MAX_STACK_BYTES / 1024 / 1024} MB. Is this the right file?`,
    );
  }
  const ext = path.extname(file);
  try {
    if (ext === ".ts") {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      if (mod.default === undefined) {
        return fail("a .ts stack must `export default defineEnvironment({...})`");
      }
      // Round-trip through JSON: a stack is data, and the other formats get exactly the same checks.
      return { ok: true, value: JSON.parse(JSON.stringify(mod.default)) };
    }
    const text = await readFile(file, "utf8");
    if (ext === ".json") return { ok: true, value: JSON.parse(text) };
    return { ok: true, value: loadYaml(text, { filename: shown, maxAliases: MAX_YAML_ALIASES }) };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return fail(`cannot read ${ext.slice(1).toUpperCase()}: ${message}`);
  }
}

/** Keys that could pollute prototypes are refused outright, with their path. */
function findForbiddenKeys(value: unknown, shown: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  let visited = 0;
  const walk = (node: unknown, at: PropertyKey[]): boolean => {
    if (++visited > MAX_NODES) {
      issues.push({
        file: shown,
        path: formatPath(at),
        message: `document expands to more than ${MAX_NODES} nodes (aliases?); a stack is far smaller`,
        severity: "error",
        rule: "parse",
      });
      return false;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) if (!walk(node[i], [...at, i])) return false;
    } else if (node !== null && typeof node === "object") {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key)) {
          issues.push({
            file: shown,
            path: formatPath([...at, key]),
            message: `the key '${key}' is not allowed in a stack; remove it`,
            severity: "error",
            rule: "parse",
          });
          continue;
        }
        if (!walk((node as Record<string, unknown>)[key], [...at, key])) return false;
      }
    }
    return true;
  };
  walk(value, []);
  return issues;
}

function schemaMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}; check the spelling against schemas/environment.schema.json`;
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return "required field is missing";
  return issue.message;
}
