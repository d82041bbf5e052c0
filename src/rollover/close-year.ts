/**
 * `rollover carry-over`: closes year Y once it has ended. Reads the year's bills and stock, records
 * the carry-over in `ebill_ops.rollover_carry_over` and writes the finance office's files.
 *
 * Rules (each refused with a message saying why and what to do, nothing recorded or written):
 * - only after Y has ended on the hospital's clock (now() in its time zone): until 31 December
 *   bills of Y can still be issued, so a carry-over would be wrong the next morning;
 * - not for a year without bills (a mistyped --year would write an empty report);
 * - a recorded carry-over is never overwritten. A rerun with the same figures changes nothing in
 *   the database nor in its files (a missing file is written again, so an interrupted run
 *   converges); other
 *   figures need --force, which keeps the earlier record (marked superseded) and its files (moved
 *   to superseded/<when>/).
 * Record and files are written inside one transaction: a failure leaves the earlier state.
 */
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { canonicalJson } from "../canonical.ts";
import { withClient } from "../db/connect.ts";
import { OPS_SCHEMA, qualified, schemaOf } from "../db/reference-schema.ts";
import type { Environment } from "../model/environment.ts";
import { chineseFontInstalled, htmlToPdf, findChromium, MISSING_CHINESE_FONT } from "../output/browser.ts";
import {
  carryOverHtml,
  carryOverMarkdown,
  computeCarryOver,
  type CarryOver,
  type CarryOverLine,
} from "./carry-over.ts";
import { yy } from "./derive.ts";
import type { LiveState } from "./live.ts";
import {
  CARRY_OVER_TABLE,
  carryOverDdl,
  readLiveState,
  readUsage,
  readUsedRuns,
  type Queryable,
} from "./read-live.ts";
import { checkYear, isoDay, loadForRollover, today } from "./run.ts";

export type CarryOverOutcome = "recorded" | "unchanged" | "superseded";

export interface CarryOverResult {
  carryOver: CarryOver;
  /**
   * recorded: the year's first record; unchanged: the same figures were recorded before (nothing
   * written to the database); superseded: --force recorded new figures and kept the earlier ones.
   */
  outcome: CarryOverOutcome;
  dir: string;
  files: string[];
  /** Where the earlier record's files were kept (superseded). */
  keptDir?: string;
  /** Why report.pdf was not made (no browser, no Chinese font, errors in the page). */
  pdfProblem?: string;
}

/** Default folder of a year's carry-over files: beside stacks/, so they go into the repository. */
export function defaultCarryOverDir(stackFile: string, stack: string, year: number): string {
  const root =
    path.basename(path.dirname(stackFile)) === "stacks"
      ? path.dirname(path.dirname(stackFile))
      : process.cwd();
  return path.join(root, "carry-over", stack, String(year));
}

export async function carryOver(options: {
  stack: string;
  year: number;
  out?: string;
  force?: boolean;
  /** Print report.html to report.pdf with the headless browser (default true). */
  pdf?: boolean;
}): Promise<CarryOverResult> {
  checkYear(options.year);
  const { file, env } = await loadForRollover(options.stack);
  const year = options.year;
  const day = today(env);
  if (day.year <= year)
    throw new Error(
      `carry-over of ${year} runs only after ${year} has ended: today is ${isoDay(day)} (${env.maintenance.timezone}) ` +
        `and bills of ${year} can be issued until 31 December. Run it on or after ${year + 1}-01-01 ` +
        `(EBILL_OPS_TODAY=YYYY-MM-DD rehearses another date). Nothing was recorded or written.`,
    );
  const dir = path.resolve(options.out ?? defaultCarryOverDir(file, env.name, year));
  const result = await withClient(env, (db) =>
    recordAndWrite(db, env, { year, date: isoDay(day), dir, force: options.force ?? false }),
  );
  if (options.pdf === false) return result;
  const pdfProblem = await printPdf(dir, result.files);
  return pdfProblem ? { ...result, pdfProblem } : result;
}

async function recordAndWrite(
  db: Queryable,
  env: Environment,
  o: { year: number; date: string; dir: string; force: boolean },
): Promise<CarryOverResult> {
  const schema = schemaOf(env);
  const live = await readLiveState(db, schema);
  const usage = await readUsage(db, schema, o.year);
  if (usage.length === 0)
    throw new Error(
      `no bills of ${o.year} (bill codes ending ${yy(o.year)}) in the database of ${env.name}: nothing to carry over. ` +
        `Check --year; nothing was recorded or written.`,
    );
  const runs = await readUsedRuns(db, schema, o.year);
  let carry = computeCarryOver({
    stack: env.name,
    stackKind: env.kind,
    hospital: env.hospital,
    year: o.year,
    date: o.date,
    live,
    usage,
    runs,
  });

  await db.query(carryOverDdl());
  await db.query("BEGIN");
  try {
    // Two carry-overs of one year at once would both see "nothing recorded"; one waits.
    await db.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `ebill-ops carry-over ${env.name} ${o.year}`,
    ]);
    const earlier = await currentRecord(db, env.name, o.year);
    let outcome: CarryOverOutcome = "recorded";
    let keptDir: string | undefined;
    if (earlier && !o.force) {
      if (!sameFigures(earlier.lines, carry.lines)) throw refusal(env.name, o.year, earlier, carry.lines);
      // The record stands as it is; the files are written again from it (same figures, its date).
      outcome = "unchanged";
      carry = {
        ...carry,
        date: earlier.date,
        ...(earlier.supersedes ? { supersedes: earlier.supersedes } : {}),
      };
    } else if (earlier) {
      outcome = "superseded";
      keptDir = await keepFiles(o.dir, earlier.recordedAt);
      await db.query(
        `UPDATE ${qualified(OPS_SCHEMA, CARRY_OVER_TABLE)} SET superseded_at = now()
          WHERE stack = $1 AND year = $2 AND superseded_at IS NULL`,
        [env.name, o.year],
      );
      carry = { ...carry, supersedes: earlier.date };
    }
    if (outcome !== "unchanged") await insertRecord(db, carry);
    // An unchanged record leaves its files as they are; only missing ones (an interrupted run) are written.
    const files = await writeFiles(o.dir, env, carry, live, { onlyMissing: outcome === "unchanged" });
    await db.query("COMMIT");
    return { carryOver: carry, outcome, dir: o.dir, files, ...(keptDir ? { keptDir } : {}) };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

interface Recorded {
  lines: (CarryOverLine | null)[];
  date: string;
  recordedAt: Date;
  supersedes?: string;
}

async function currentRecord(db: Queryable, stack: string, year: number): Promise<Recorded | null> {
  const table = qualified(OPS_SCHEMA, CARRY_OVER_TABLE);
  const { rows } = await db.query<{ line: CarryOverLine | null; date: string; recorded_at: Date }>(
    `SELECT line, to_char(coalesce(carried_on, recorded_at::date), 'YYYY-MM-DD') AS date, recorded_at
       FROM ${table} WHERE stack = $1 AND year = $2 AND superseded_at IS NULL
      ORDER BY place_code, bill_code`,
    [stack, year],
  );
  if (rows.length === 0) return null;
  const previous = await db.query<{ date: string }>(
    `SELECT to_char(coalesce(carried_on, recorded_at::date), 'YYYY-MM-DD') AS date
       FROM ${table} WHERE stack = $1 AND year = $2 AND superseded_at IS NOT NULL
      ORDER BY superseded_at DESC LIMIT 1`,
    [stack, year],
  );
  const supersedes = previous.rows[0]?.date;
  return {
    lines: rows.map((r) => r.line),
    date: rows[0]!.date,
    recordedAt: rows[0]!.recorded_at,
    ...(supersedes ? { supersedes } : {}),
  };
}

/** Same figures line by line (a record of an older version, without its lines, never is). */
function sameFigures(recorded: readonly (CarryOverLine | null)[], now: readonly CarryOverLine[]): boolean {
  return canonicalJson(recorded) === canonicalJson(now);
}

function refusal(stack: string, year: number, earlier: Recorded, now: readonly CarryOverLine[]): Error {
  const key = (l: { place: string; billCode: string }) => `${l.place} ${l.billCode}`;
  const before = new Map(earlier.lines.filter((l) => l !== null).map((l) => [key(l), l]));
  const changed = now
    .filter((l) => canonicalJson(before.get(key(l)) ?? null) !== canonicalJson(l))
    .map((l) => {
      const b = before.get(key(l));
      return b ? `${key(l)} used ${b.used} -> ${l.used}` : `${key(l)} not in the record`;
    });
  return new Error(
    `the carry-over of ${year} for ${stack} was recorded on ${earlier.date} and is kept as it is; ` +
      `today's figures differ (${changed.slice(0, 5).join("; ") || "the record has no figures of this version"}). ` +
      `To record today's figures run again with --force: the earlier record stays in ebill_ops.${CARRY_OVER_TABLE} ` +
      `marked superseded, and its files are kept under superseded/. Nothing was recorded or written.`,
  );
}

async function insertRecord(db: Queryable, c: CarryOver): Promise<void> {
  const table = qualified(OPS_SCHEMA, CARRY_OVER_TABLE);
  for (const l of c.lines)
    await db.query(
      `INSERT INTO ${table} (stack, year, place_code, bill_code, used_count, voided_count, first_used, last_used,
                             distributed, unused_count, unused_ranges, red_flush_count, issued_amount,
                             red_flush_amount, carried_on, line)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::numeric / 100, $14::numeric / 100, $15, $16)`,
      [
        c.stack,
        c.year,
        l.place,
        l.billCode,
        l.used,
        l.voided,
        l.firstUsed,
        l.lastUsed,
        l.distributed,
        l.unusedCount,
        JSON.stringify(l.unused),
        l.redFlushed,
        l.issuedFen,
        l.redFlushFen,
        c.date,
        JSON.stringify(l),
      ],
    );
}

const FILES = ["basic-info.json", "carry-over.json", "report.md", "report.html", "report.pdf"];

/** Copies the files of the record being superseded to superseded/<recorded at>/ beside them. */
async function keepFiles(dir: string, recordedAt: Date): Promise<string | undefined> {
  const present = new Set(await readdir(dir).catch(() => [] as string[]));
  const kept = FILES.filter((f) => present.has(f));
  if (kept.length === 0) return undefined;
  const target = path.join(dir, "superseded", recordedAt.toISOString().replace(/[:.]/g, "-"));
  await mkdir(target, { recursive: true });
  for (const f of kept) await copyFile(path.join(dir, f), path.join(target, f));
  return target;
}

/**
 * The files, formatted as the repository formats them (its prettier settings), so committing
 * them keeps `format:check` green. Unchanged files are not touched.
 */
async function writeFiles(
  dir: string,
  env: Environment,
  c: CarryOver,
  live: LiveState,
  options: { onlyMissing: boolean },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ["basic-info.json", JSON.stringify(basicInfo(env, c, live), null, 2)],
    ["carry-over.json", JSON.stringify(c, null, 2)],
    ["report.md", carryOverMarkdown(c)],
    ["report.html", carryOverHtml(c)],
  ];
  const written: string[] = [];
  for (const [name, raw] of files) {
    const target = path.join(dir, name);
    const before = await readFile(target, "utf8").catch(() => null);
    if (before !== null && options.onlyMissing) {
      written.push(target);
      continue;
    }
    const text = await formatted(target, raw);
    if (before !== text) await writeFile(target, text);
    written.push(target);
  }
  return written;
}

async function formatted(file: string, text: string): Promise<string> {
  // Only carry-over formats files: every other command would pay for loading prettier.
  const prettier = await import("prettier");
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

/** The year's basic information as it was live: the local copy the contract asks for. */
function basicInfo(env: Environment, c: CarryOver, live: LiveState) {
  const codes = new Set(live.billTypes.filter((b) => b.code.slice(6) === yy(c.year)).map((b) => b.code));
  return {
    stack: env.name,
    hospital: env.hospital,
    year: c.year,
    date: c.date,
    invoicingPoints: live.invoicingPoints,
    paymentChannels: live.paymentChannels,
    codeMappings: live.mappings,
    billTypes: live.billTypes.filter((b) => codes.has(b.code)),
    printTemplates: live.templates.filter((t) => codes.has(t.billCode)),
    billStock: live.stock
      .filter((s) => codes.has(s.billCode))
      .map((s) => ({
        ...s,
        first: String(s.first).padStart(10, "0"),
        last: String(s.last).padStart(10, "0"),
      })),
  };
}

/**
 * report.html printed to report.pdf by the headless browser; kept when the HTML did not change
 * since the PDF was made. The reason when it cannot be made (the record and other files stand).
 */
async function printPdf(dir: string, files: string[]): Promise<string | undefined> {
  const html = files.find((f) => f.endsWith("report.html"));
  if (!html) return "no report.html";
  const pdf = path.join(dir, "report.pdf");
  const [htmlTime, pdfTime] = await Promise.all(
    [html, pdf].map((f) =>
      stat(f).then(
        (s) => s.mtimeMs,
        () => null,
      ),
    ),
  );
  if (pdfTime != null && htmlTime != null && pdfTime >= htmlTime) {
    files.push(pdf);
    return undefined;
  }
  const browser = findChromium();
  if ("missing" in browser) return browser.missing;
  if (chineseFontInstalled() === false) return MISSING_CHINESE_FONT;
  try {
    const printed = await htmlToPdf(html, pdf);
    files.push(pdf);
    return printed.errors.length > 0
      ? `report.html has errors in the browser: ${printed.errors.join("; ")}`
      : undefined;
  } catch (error) {
    return `the browser could not print report.html: ${error instanceof Error ? error.message : String(error)}`;
  }
}
