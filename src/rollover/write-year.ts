/**
 * Writing next year's declaration into the repository as a change a reviewer can read:
 * - `.ts` stacks: a new `stacks/<stack>/year-<Y>.ts` beside last year's, plus one import and one
 *   list entry in the stack file's `withYears(base, [...])`;
 * - `.json` / `.yaml` stacks: the year's items appended to the arrays in place (YAML comments kept).
 * Files are only written when their content changes, so a second run is a no-op.
 */
import { formatLikeRepository } from "../base/format-file.ts";
import { readFile, writeFile, stat, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Document, YAMLSeq } from "yaml";
import type { YearDeclaration } from "../model/compose.ts";
import type { SizingLine } from "./derive.ts";
import { basisComment, type SizingBasis } from "./offline-sizing.ts";

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

function sizingComment(sizing: readonly SizingLine[], margin: number, basis: SizingBasis): string[] {
  if (sizing.length === 0) return [];
  const rate =
    basis.kind === "issued-per-day"
      ? "bills per day given"
      : basis.kind === "carry-over"
        ? `numbers used in ${basis.year} / its days`
        : "bills issued last year / days elapsed";
  const lines = [
    `// Stock per invoicing point = ${rate} x 365 x margin ${margin},`,
    "// rounded up; exchange (旧票回收) ranges are pre-distributed after the issuing ranges.",
  ];
  for (const s of sizing) {
    const from =
      basis.kind === "issued-per-day"
        ? `estimated ${Number.isInteger(s.perDay) ? s.perDay : s.perDay.toFixed(1)}/day for ${s.previousCode}`
        : `${Math.round(s.issuedLastYear)} ${basis.kind === "carry-over" ? `used in ${basis.year}` : "issued"} under ${s.previousCode} in ${s.days} days (${s.perDay.toFixed(1)}/day)`;
    lines.push(
      `//   ${s.place} ${s.billCode}: ${from} -> ${s.issueRange} to issue, ${s.exchangeRange} for exchange`,
    );
  }
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
  /** Where the stock sizes came from (default: the database). */
  basis?: SizingBasis;
  /** The file the year was derived from, as the header names it. */
  derivedFrom?: string;
}): Promise<string> {
  const { declaration: d } = options;
  const basis = options.basis ?? { kind: "database" };
  const relative = (file: string) => path.relative(path.dirname(options.file), file) || file;
  const source = [
    `// Fiscal year ${d.year} of ${options.hospital} (stack ${options.stack}), written by`,
    `// 'ebill-ops rollover prepare --year ${d.year}', derived from ${d.year - 1} as declared in ${options.derivedFrom ?? `year-${d.year - 1}.ts`}.`,
    ...basisComment(basis, d.year, relative),
    "// Review before merging: bill codes marked example must be replaced by the codes the fiscal",
    "// platform issued for the new year, and stock must match what the finance office received.",
    ...sizingComment(options.sizing, options.margin, basis),
    `import { defineYear } from ${JSON.stringify(options.composeImport)};`,
    "",
    `export default defineYear(${literal(d)});`,
    "",
  ].join("\n");
  return formatLikeRepository(options.file, source);
}

// ---------------------------------------------------------------------------------------------
// .ts stacks: year file + one import and one list entry in the stack file

function layoutHelp(stackFile: string, year: number): string {
  const name = path.basename(stackFile).replace(/\.[^.]+$/, "");
  return (
    `${stackFile} does not follow the per-year layout rollover prepare writes to. Move the ${year - 1} ` +
    `tablespaces, partitions, bill types, templates and stock into stacks/${name}/year-${year - 1}.ts ` +
    `(export default defineYear({...}), see stacks/lingshui-prod/year-2026.ts), import it in the stack file as ` +
    `'import year${year - 1} from "./${name}/year-${year - 1}.ts"' and wrap the base as ` +
    `'withYears(base, [year${year - 1}])' (see stacks/lingshui-prod.ts); then run rollover prepare again. ` +
    `A stack that follows the calendar lists its years as 'withYears(base, calendarYears(year, template, []))' ` +
    `(see stacks/sandbox.ts).`
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * How a .ts stack lists its years:
 * - "years": `import year2026 from "./x/year-2026.ts"` and `withYears(base, [year2026])`;
 * - "calendar": a stack that follows the calendar (the sandbox): `import sandboxYear from
 *   "./x/year.ts"` (a function of the year) and `withYears(base, calendarYears(year, sandboxYear,
 *   [...]))`; next year's file goes beside the template and into that list.
 */
export type YearLayout = "years" | "calendar";

export interface LocatedYearFiles {
  layout: YearLayout;
  stackText: string;
  /** The identifier whose import line the new import follows: last year's file, or the template. */
  previousIdent: string;
  /** The module the new year file copies its compose import from. */
  previousSpec: string;
  yearFile: string;
  /** Import specifier of the new year file, relative to the stack file. */
  spec: string;
}

const CALENDAR_CALL = /\bcalendarYears\(\s*[^,()]+,\s*(\w+)\s*,\s*\[([^[\]]*)\]\s*\)/;

function importOf(stackText: string, ident: string): RegExpExecArray | null {
  return new RegExp(
    `^import\\s+${ident}(?:\\s*,\\s*\\{[^}]*\\})?\\s+from\\s+["'](\\.{1,2}/[^"']+)["'];?[ \\t]*$`,
    "m",
  ).exec(stackText);
}

/** Where a .ts stack keeps its year files, read from its import of last year's file (or its year template). */
export async function locateYearFiles(stackFile: string, year: number): Promise<LocatedYearFiles> {
  const stackText = await readFile(stackFile, "utf8");
  const importRe = new RegExp(
    `^import\\s+(\\w+)\\s+from\\s+["'](\\.{1,2}/[^"']*year-${year - 1}\\.ts)["'];?[ \\t]*$`,
    "m",
  );
  const found = importRe.exec(stackText);
  if (found && /\bwithYears\s*\(/.test(stackText)) {
    const previousIdent = found[1]!;
    const previousSpec = found[2]!;
    const spec = previousSpec.replace(new RegExp(`year-${year - 1}\\.ts$`), `year-${year}.ts`);
    return {
      layout: "years",
      stackText,
      previousIdent,
      previousSpec,
      yearFile: path.resolve(path.dirname(stackFile), spec),
      spec,
    };
  }
  const calendar = CALENDAR_CALL.exec(stackText);
  const template = calendar ? importOf(stackText, calendar[1]!) : null;
  if (calendar && template) {
    const previousSpec = template[1]!;
    const spec = `${path.posix.dirname(previousSpec)}/year-${year}.ts`;
    return {
      layout: "calendar",
      stackText,
      previousIdent: calendar[1]!,
      previousSpec,
      yearFile: path.resolve(path.dirname(stackFile), spec),
      spec,
    };
  }
  throw new LayoutError(layoutHelp(stackFile, year));
}

/** The stack file with `import yearY from ...` and `yearY` in its list of years (unchanged if present). */
export function addYearToStackText(
  stackText: string,
  located: Pick<LocatedYearFiles, "previousIdent" | "spec"> & { layout?: YearLayout },
  year: number,
  stackFile: string,
): string {
  const ident = `year${year}`;
  let text = stackText;
  const specRe = new RegExp(`from\\s+["']${escapeRegExp(located.spec)}["']`);
  if (!specRe.test(text)) {
    const importLine = new RegExp(`^import\\s+${located.previousIdent}\\b[^\\n]*$`, "m");
    text = text.replace(
      importLine,
      (line) => `${line}\nimport ${ident} from ${JSON.stringify(located.spec)};`,
    );
  }
  // "years": the array literal (no nested brackets) that lists last year's identifier.
  // "calendar": the list of year files given to calendarYears(...).
  const list = located.layout === "calendar" ? calendarList(text) : yearsList(text, located.previousIdent);
  if (!list) throw new LayoutError(layoutHelp(stackFile, year));
  const items = list.inner
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.includes(ident)) {
    items.push(ident);
    text = text.slice(0, list.start) + `[${items.join(", ")}]` + text.slice(list.end);
  }
  return text;
}

function yearsList(
  text: string,
  previousIdent: string,
): { inner: string; start: number; end: number } | null {
  const found = new RegExp(`\\[([^\\[\\]]*\\b${previousIdent}\\b[^\\[\\]]*)\\]`).exec(text);
  return found ? { inner: found[1]!, start: found.index, end: found.index + found[0].length } : null;
}

/** Where the list inside `calendarYears(year, template, [...])` is, brackets included. */
function calendarList(text: string): { inner: string; start: number; end: number } | null {
  const call = CALENDAR_CALL.exec(text);
  if (!call) return null;
  const open = call.index + call[0].lastIndexOf("[");
  const close = call.index + call[0].lastIndexOf("]") + 1;
  return { inner: call[2]!, start: open, end: close };
}

export async function writeTsStack(options: {
  stackFile: string;
  declaration: YearDeclaration;
  hospital: string;
  stack: string;
  sizing: readonly SizingLine[];
  margin: number;
  force: boolean;
  basis?: SizingBasis;
}): Promise<WriteResult> {
  const { stackFile, declaration } = options;
  const year = declaration.year;
  const located = await locateYearFiles(stackFile, year);
  const previousFile = path.resolve(path.dirname(stackFile), located.previousSpec);
  const previousText = await readFile(previousFile, "utf8").catch(() => {
    throw new LayoutError(`${stackFile} imports ${located.previousSpec}, but ${previousFile} cannot be read`);
  });
  const composeImport = /import\s*\{[^}]*\bdefineYear\b[^}]*\}\s*from\s*["']([^"']+)["']/.exec(
    previousText,
  )?.[1];
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
      basis: options.basis,
      derivedFrom: path.basename(located.previousSpec),
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
  else await writeIfChanged(stackFile, await formatLikeRepository(stackFile, edited), result);
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
  // The YAML editor is loaded only here: only a YAML stack's rollover edits a document.
  const yaml = await import("yaml");
  const doc = yaml.parseDocument(text);
  const raw = doc.toJS() as Record<string, unknown>;
  if (alreadyDeclared(raw, declaration.year) && !options.force) {
    result.unchanged.push(stackFile);
    return result;
  }
  appendToYamlDocument(yaml, doc, raw, declaration);
  await writeIfChanged(stackFile, doc.toString(), result);
  return result;
}

/** Appends through the YAML document model so comments and layout of existing items stay. */
function appendToYamlDocument(
  { isMap, isSeq, YAMLSeq: Seq }: typeof import("yaml"),
  doc: Document,
  raw: Record<string, unknown>,
  d: YearDeclaration,
): void {
  if (!isMap(doc.contents)) throw new LayoutError("a YAML stack is a mapping at the top level");
  for (const key of YEAR_ARRAYS) {
    const existing = ((raw[key] ?? []) as unknown[]).map((x) => JSON.stringify(x));
    let seq = doc.get(key);
    if (!isSeq(seq)) {
      seq = new Seq();
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
