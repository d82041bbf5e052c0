/**
 * Writing next year's declaration into the repository as a change a reviewer can read:
 * - `.ts` stacks: a new `stacks/<stack>/year-<Y>.ts` beside last year's, plus one import and one
 *   list entry in the stack file's `withYears(base, [...])`;
 * - `.json` / `.yaml` stacks: the year's items appended to the arrays in place (YAML comments kept).
 * Files are only written when their content changes, so a second run is a no-op.
 */
import { readFile, writeFile, stat, mkdir } from "node:fs/promises";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import { parseDocument, isMap, isSeq, YAMLSeq, type Document } from "yaml";
import type { YearDeclaration } from "../model/compose.ts";
import type { SizingLine } from "./derive.ts";

export interface WriteResult {
  /** Files written (created or changed), relative to the working directory where possible. */
  written: string[];
  /** Files that already held exactly this year's declaration. */
  unchanged: string[];
  /** The year's own file of a .ts stack (whether written now or before). */
  yearFile?: string;
}

export class LayoutError extends Error {}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function writeIfChanged(file: string, text: string, result: WriteResult): Promise<void> {
  const before = await readFile(file, "utf8").catch(() => null);
  if (before === text) {
    result.unchanged.push(file);
    return;
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  result.written.push(file);
}

async function prettify(text: string, file: string, parser: "typescript" | "json"): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(text, { ...options, parser, filepath: file });
}

// ---------------------------------------------------------------------------------------------
// TypeScript source of a year file

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A data literal in TypeScript syntax: bare keys where allowed, JSON strings otherwise. */
export function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

function sizingComment(sizing: readonly SizingLine[], margin: number): string[] {
  if (sizing.length === 0) return [];
  const lines = [
    `// Stock per invoicing point = bills issued last year / days elapsed x 365 x margin ${margin},`,
    "// rounded up; exchange (旧票回收) ranges are pre-distributed after the issuing ranges.",
  ];
  for (const s of sizing)
    lines.push(
      `//   ${s.place} ${s.billCode}: ${s.issuedLastYear} issued under ${s.previousCode} in ${s.days} days` +
        ` (${s.perDay.toFixed(1)}/day) -> ${s.issueRange} to issue, ${s.exchangeRange} for exchange`,
    );
  return lines;
}

export async function renderYearFile(options: {
  file: string;
  declaration: YearDeclaration;
  composeImport: string;
  hospital: string;
  stack: string;
  sizing: readonly SizingLine[];
  margin: number;
}): Promise<string> {
  const { declaration: d } = options;
  const source = [
    `// Fiscal year ${d.year} of ${options.hospital} (stack ${options.stack}), written by`,
    `// 'ebill-ops rollover prepare --year ${d.year}' from year-${d.year - 1}.ts and ${d.year - 1}'s issuing in the database.`,
    "// Review before merging: bill codes marked example must be replaced by the codes the fiscal",
    "// platform issued for the new year, and stock must match what the finance office received.",
    ...sizingComment(options.sizing, options.margin),
    `import { defineYear } from ${JSON.stringify(options.composeImport)};`,
    "",
    `export default defineYear(${literal(d)});`,
    "",
  ].join("\n");
  return prettify(source, options.file, "typescript");
}

// ---------------------------------------------------------------------------------------------
// .ts stacks: year file + one import and one list entry in the stack file

function layoutHelp(stackFile: string, year: number): string {
  const name = path.basename(stackFile).replace(/\.[^.]+$/, "");
  return (
    `${stackFile} does not follow the per-year layout rollover prepare writes to. Move the ${year - 1} ` +
    `tablespaces, partitions, bill types, templates and stock into stacks/${name}/year-${year - 1}.ts ` +
    `(export default defineYear({...}), see stacks/sandbox/year-2026.ts), import it in the stack file as ` +
    `'import year${year - 1} from "./${name}/year-${year - 1}.ts"' and wrap the base as ` +
    `'withYears(base, [year${year - 1}])' (see stacks/sandbox.ts); then run rollover prepare again.`
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Where a .ts stack keeps its year files, read from its import of last year's file. */
export async function locateYearFiles(
  stackFile: string,
  year: number,
): Promise<{
  stackText: string;
  previousIdent: string;
  previousSpec: string;
  yearFile: string;
  spec: string;
}> {
  const stackText = await readFile(stackFile, "utf8");
  const importRe = new RegExp(
    `^import\\s+(\\w+)\\s+from\\s+["'](\\.{1,2}/[^"']*year-${year - 1}\\.ts)["'];?[ \\t]*$`,
    "m",
  );
  const found = importRe.exec(stackText);
  if (!found || !/\bwithYears\s*\(/.test(stackText)) throw new LayoutError(layoutHelp(stackFile, year));
  const previousIdent = found[1]!;
  const previousSpec = found[2]!;
  const spec = previousSpec.replace(new RegExp(`year-${year - 1}\\.ts$`), `year-${year}.ts`);
  return {
    stackText,
    previousIdent,
    previousSpec,
    yearFile: path.resolve(path.dirname(stackFile), spec),
    spec,
  };
}

/** The stack file with `import yearY from ...` and `yearY` in the withYears list (unchanged if present). */
export function addYearToStackText(
  stackText: string,
  located: { previousIdent: string; spec: string },
  year: number,
  stackFile: string,
): string {
  const ident = `year${year}`;
  let text = stackText;
  const specRe = new RegExp(`from\\s+["']${escapeRegExp(located.spec)}["']`);
  if (!specRe.test(text)) {
    const importLine = new RegExp(`^import\\s+${located.previousIdent}\\s+from\\s+[^\\n]*$`, "m");
    text = text.replace(
      importLine,
      (line) => `${line}\nimport ${ident} from ${JSON.stringify(located.spec)};`,
    );
  }
  // The array literal (no nested brackets) that lists last year's identifier.
  const listRe = new RegExp(`\\[([^\\[\\]]*\\b${located.previousIdent}\\b[^\\[\\]]*)\\]`);
  const list = listRe.exec(text);
  if (!list) throw new LayoutError(layoutHelp(stackFile, year));
  const items = list[1]!
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.includes(ident)) {
    items.push(ident);
    text = text.slice(0, list.index) + `[${items.join(", ")}]` + text.slice(list.index + list[0].length);
  }
  return text;
}

export async function writeTsStack(options: {
  stackFile: string;
  declaration: YearDeclaration;
  hospital: string;
  stack: string;
  sizing: readonly SizingLine[];
  margin: number;
  force: boolean;
}): Promise<WriteResult> {
  const { stackFile, declaration } = options;
  const year = declaration.year;
  const located = await locateYearFiles(stackFile, year);
  const previousFile = path.resolve(path.dirname(stackFile), located.previousSpec);
  const previousText = await readFile(previousFile, "utf8").catch(() => {
    throw new LayoutError(`${stackFile} imports ${located.previousSpec}, but ${previousFile} cannot be read`);
  });
  const composeImport = /import\s*\{\s*defineYear\s*\}\s*from\s*["']([^"']+)["']/.exec(previousText)?.[1];
  if (!composeImport)
    throw new LayoutError(
      `${previousFile} does not 'import { defineYear } from ".../src/model/compose.ts"'; a year file exports default defineYear({...})`,
    );

  const result: WriteResult = { written: [], unchanged: [], yearFile: located.yearFile };
  // A year file already in the repository has been reviewed (or is under review): keep it, so a
  // re-run never churns a pull request. --force regenerates it from today's figures.
  if (options.force || !(await exists(located.yearFile))) {
    const text = await renderYearFile({
      file: located.yearFile,
      declaration,
      composeImport,
      hospital: options.hospital,
      stack: options.stack,
      sizing: options.sizing,
      margin: options.margin,
    });
    await writeIfChanged(located.yearFile, text, result);
  } else result.unchanged.push(located.yearFile);

  await listYearInStack(stackFile, located, year, result);
  return result;
}

async function listYearInStack(
  stackFile: string,
  located: Awaited<ReturnType<typeof locateYearFiles>>,
  year: number,
  result: WriteResult,
): Promise<void> {
  const edited = addYearToStackText(located.stackText, located, year, stackFile);
  if (edited === located.stackText) result.unchanged.push(stackFile);
  else await writeIfChanged(stackFile, await prettify(edited, stackFile, "typescript"), result);
}

/** For a year file already written: only make sure the stack file imports and lists it. */
export async function ensureYearListed(stackFile: string, year: number): Promise<WriteResult> {
  const located = await locateYearFiles(stackFile, year);
  const result: WriteResult = { written: [], unchanged: [located.yearFile], yearFile: located.yearFile };
  await listYearInStack(stackFile, located, year, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// .json / .yaml stacks: append to the arrays

const YEAR_ARRAYS = ["tablespaces", "partitions", "billTypes", "printTemplates", "billStock"] as const;

/** Adds the year's items to a plain stack object (mutates); returns whether anything was added. */
export function addYearToPlainStack(raw: Record<string, unknown>, d: YearDeclaration): boolean {
  let changed = false;
  for (const key of YEAR_ARRAYS) {
    const list = (raw[key] ??= []) as unknown[];
    if (!Array.isArray(list)) throw new LayoutError(`'${key}' must be a list`);
    for (const item of d[key] as unknown[]) {
      const key1 = JSON.stringify(item);
      if (!list.some((x) => JSON.stringify(x) === key1)) {
        list.push(item);
        changed = true;
      }
    }
  }
  const points = (raw.invoicingPoints ?? []) as { code: string; billCodes: string[] }[];
  for (const p of points)
    for (const code of d.placeBillCodes[p.code] ?? [])
      if (!p.billCodes.includes(code)) {
        p.billCodes.push(code);
        changed = true;
      }
  return changed;
}

function alreadyDeclared(raw: Record<string, unknown>, year: number): boolean {
  return ((raw.billTypes ?? []) as { year?: number }[]).some((b) => b.year === year);
}

export async function writePlainStack(options: {
  stackFile: string;
  declaration: YearDeclaration;
  force: boolean;
}): Promise<WriteResult> {
  const { stackFile, declaration } = options;
  const result: WriteResult = { written: [], unchanged: [] };
  const text = await readFile(stackFile, "utf8");
  if (stackFile.endsWith(".json")) {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (alreadyDeclared(raw, declaration.year) && !options.force) {
      result.unchanged.push(stackFile);
      return result;
    }
    addYearToPlainStack(raw, declaration);
    // Keep the file's own indentation: only the arrays grow, the rest of the diff stays empty.
    const indent = /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
    const out = JSON.stringify(raw, null, indent) + (text.endsWith("\n") ? "\n" : "");
    await writeIfChanged(stackFile, out, result);
    return result;
  }
  const doc = parseDocument(text);
  const raw = doc.toJS() as Record<string, unknown>;
  if (alreadyDeclared(raw, declaration.year) && !options.force) {
    result.unchanged.push(stackFile);
    return result;
  }
  appendToYamlDocument(doc, raw, declaration);
  await writeIfChanged(stackFile, doc.toString(), result);
  return result;
}

/** Appends through the YAML document model so comments and layout of existing items stay. */
function appendToYamlDocument(doc: Document, raw: Record<string, unknown>, d: YearDeclaration): void {
  if (!isMap(doc.contents)) throw new LayoutError("a YAML stack is a mapping at the top level");
  for (const key of YEAR_ARRAYS) {
    const existing = ((raw[key] ?? []) as unknown[]).map((x) => JSON.stringify(x));
    let seq = doc.get(key);
    if (!isSeq(seq)) {
      seq = new YAMLSeq();
      doc.set(key, seq);
    }
    for (const item of d[key] as unknown[])
      if (!existing.includes(JSON.stringify(item))) (seq as YAMLSeq).add(doc.createNode(item));
  }
  const points = doc.get("invoicingPoints");
  if (isSeq(points))
    for (const p of points.items) {
      if (!isMap(p)) continue;
      const code = String(p.get("code"));
      const codes = p.get("billCodes");
      for (const c of d.placeBillCodes[code] ?? []) {
        if (isSeq(codes)) {
          if (!codes.items.some((x) => String((x as { value?: unknown }).value ?? x) === c)) codes.add(c);
        } else p.set("billCodes", doc.createNode([c]));
      }
    }
}
