/**
 * Loading a stack: find the file, read it safely (.ts, .json, .yaml), check the schema, run the rules.
 *
 * Nothing here throws for bad input: every problem comes back as a ConfigIssue naming the file and
 * the path inside it, so `validate` can report them all at once. A `.ts` stack is code: it is
 * evaluated in a contained, unprivileged process (evaluate-ts.ts) and only the plain JSON it hands
 * back is checked and used.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { Environment } from "../model/environment.ts";
import { STACKS_DIR } from "../base/paths.ts";
import { now } from "../base/time.ts";
import { countJsonKeys, inspectDocument, locateDuplicateKeys, parseJson, parseYaml } from "./document.ts";
import { evaluateTsStack } from "./evaluate-ts.ts";
import { type ConfigIssue } from "./issues.ts";
import { salvage } from "./partial.ts";
import { runRules, runRulesOnPartial, type RuleContext } from "./rules/index.ts";
import { schemaIssues } from "./schema-messages.ts";
import { readStackEntry, shownPath, StackFileError } from "./stack-file.ts";

export { MAX_STACK_BYTES } from "./stack-file.ts";
const STACK_EXTENSIONS = [".ts", ".json", ".yaml", ".yml"];

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

/** A stack read and checked up to its schema, before the domain rules. */
type Declaration =
  | { readable: false; issues: ConfigIssue[] }
  | {
      readable: true;
      raw: unknown;
      issues: ConfigIssue[];
      env: Environment | null;
    };

async function readDeclaration(file: string, shown: string): Promise<Declaration> {
  const raw = await readRaw(file, shown);
  if (!raw.ok) return { readable: false, issues: raw.issues };
  const inspection = inspectDocument(raw.value, shown, raw.bytes);
  const issues = [...inspection.issues];
  if (inspection.fatal) return { readable: false, issues };
  // A key written twice holds only its last value after parsing: compare the keys written with
  // the keys kept, and only when they differ look for where (a .ts stack's JSON has none).
  if (raw.jsonText !== undefined && countJsonKeys(raw.jsonText) !== inspection.objectKeys)
    issues.push(...(await locateDuplicateKeys(raw.jsonText, shown)));
  // zod compiles a fast parser per object schema on first use: 15 ms that only a catalog of
  // thousands of rows earns back (100,000 mappings parse in 230 ms with it, 350 ms without).
  const parsed = Environment.safeParse(raw.value, { jitless: raw.bytes < 1024 * 1024 });
  if (parsed.success) return { readable: true, raw: raw.value, issues, env: parsed.data };
  issues.push(...schemaIssues(parsed.error.issues, raw.value, shown));
  return { readable: true, raw: raw.value, issues, env: null };
}

/** Loads, checks the schema and runs every rule. `ok` is false when any error was found. */
export async function loadStack(file: string, context: Partial<RuleContext> = {}): Promise<LoadResult> {
  const shown = shownPath(file);
  const declared = await readDeclaration(file, shown);
  if (!declared.readable) return { ok: false, file: shown, issues: declared.issues };
  const issues = [...declared.issues];
  const ruleContext = { today: context.today ?? now(), file: shown };
  if (declared.env) {
    issues.push(...runRules(declared.env, ruleContext));
  } else {
    const { env, broken, kept } = salvage(declared.raw);
    issues.push(...runRulesOnPartial(env, { ...ruleContext, broken }, kept));
  }
  const env = declared.env;
  return env && !issues.some((i) => i.severity === "error")
    ? { ok: true, file: shown, env, issues }
    : { ok: false, file: shown, issues };
}

/**
 * A stack's declaration as the schema reads it, without the domain rules: for comparing two
 * versions of a stack (where its secrets go), where a date rule of the older one (next year not
 * declared yet) must not stand in the way. Throws listing every problem found before the rules.
 */
export async function loadDeclaration(ref: string): Promise<{ file: string; env: Environment }> {
  const file = await resolveStackFile(ref);
  const shown = shownPath(file);
  const declared = await readDeclaration(file, shown);
  const errors = declared.issues.filter((i) => i.severity === "error");
  if (!declared.readable || !declared.env || errors.length > 0) {
    const { formatIssue } = await import("./issues.ts");
    throw new Error(
      `${shown} cannot be read as a declaration:\n` + errors.map((i) => "  " + formatIssue(i)).join("\n"),
    );
  }
  return { file: shown, env: declared.env };
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

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

type Raw =
  { ok: true; value: unknown; bytes: number; jsonText?: string } | { ok: false; issues: ConfigIssue[] };

async function readRaw(file: string, shown: string): Promise<Raw> {
  const fail = (message: string): Raw => ({
    ok: false,
    issues: [{ file: shown, path: "", message, severity: "error", rule: "parse" }],
  });
  const ext = path.extname(file);
  try {
    // Checked for every kind of stack first: a directory, FIFO or device, a link out of the
    // project, or a file far too large is refused before anything parses or runs it.
    const { real, bytes } = await readStackEntry(file);
    if (!STACK_EXTENSIONS.includes(ext))
      return fail(`a stack is a .ts, .json or .yaml file; '${ext || "no extension"}' is none of them`);
    if (ext === ".ts") {
      const evaluated = await evaluateTsStack(real);
      if (!evaluated.ok) return fail(evaluated.message);
      const parsed = parseJson(evaluated.json, shown);
      return parsed.ok ? { ok: true, value: parsed.value, bytes: evaluated.json.length } : parsed;
    }
    const text = bytes.toString("utf8");
    if (ext === ".json") {
      const parsed = parseJson(text, shown);
      return parsed.ok ? { ok: true, value: parsed.value, bytes: bytes.length, jsonText: text } : parsed;
    }
    const parsed = await parseYaml(text, shown);
    return parsed.ok ? { ok: true, value: parsed.value, bytes: bytes.length } : parsed;
  } catch (error) {
    if (error instanceof StackFileError) return fail(error.message);
    throw error;
  }
}
