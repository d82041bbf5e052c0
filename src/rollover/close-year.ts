/**
 * `rollover carry-over`: closes year Y once it has ended. Reads the year's bills and stock, records
 * the carry-over in `ebill_ops.rollover_carry_over` and has the finance office's files written (by
 * the caller's writeFiles, inside the same transaction; app/year-end.ts renders and prints them).
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
import { copyFile, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { canonicalJson } from "../base/canonical.ts";
import type { Db } from "../db/providers/types.ts";
import { OPS_SCHEMA, qualified, quoteIdent, schemaOf } from "../db/reference-schema.ts";
import type { Environment } from "../model/environment.ts";
import { computeCarryOver, type CarryOver, type CarryOverLine } from "./carry-over.ts";
import { yy } from "./derive.ts";
import { readLiveView, type LiveView } from "./live-view.ts";
import { readUsage, readUsedRuns } from "./year-facts.ts";

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

/** Writes the carry-over's files into `dir` (inside the record's transaction); returns their paths. */
export type WriteCarryOverFiles = (
  dir: string,
  carry: CarryOver,
  live: LiveView,
  options: { onlyMissing: boolean },
) => Promise<string[]>;

/**
 * Records the carry-over of year `o.year` and writes its files, in one transaction: a failure
 * (a refusal, a file that cannot be written) leaves the earlier record and files as they were.
 */
export async function recordCarryOver(
  db: Db,
  env: Environment,
  o: { year: number; date: string; dir: string; force: boolean; writeFiles: WriteCarryOverFiles },
): Promise<CarryOverResult> {
  const schema = schemaOf(env);
  const live = await readLiveView(db, env);
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
    const files = await o.writeFiles(o.dir, carry, live, { onlyMissing: outcome === "unchanged" });
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

async function currentRecord(db: Db, stack: string, year: number): Promise<Recorded | null> {
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

async function insertRecord(db: Db, c: CarryOver): Promise<void> {
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

export const CARRY_OVER_TABLE = "rollover_carry_over";

/**
 * The tool's record of a closed year, one row per point and code. A record is never overwritten:
 * `rollover carry-over --force` marks the current rows superseded (`superseded_at`) and adds new
 * ones, so at most one current row per stack, year, point and code (the partial unique index).
 * `line` holds the whole computed line (amounts, ranges) so a rerun can tell "the same figures".
 * The ALTERs bring a table made by an earlier version (primary key, no amounts) to this shape.
 */
export function carryOverDdl(): string {
  const t = qualified(OPS_SCHEMA, CARRY_OVER_TABLE);
  return `
CREATE SCHEMA IF NOT EXISTS ${quoteIdent(OPS_SCHEMA)};
CREATE TABLE IF NOT EXISTS ${t} (
  stack         text        NOT NULL,
  year          integer     NOT NULL,
  place_code    varchar(50) NOT NULL,
  bill_code     char(8)     NOT NULL,
  used_count    integer     NOT NULL,
  voided_count  integer     NOT NULL,
  first_used    char(10),
  last_used     char(10),
  distributed   bigint      NOT NULL,
  unused_count  bigint      NOT NULL,
  unused_ranges jsonb       NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${quoteIdent(`${CARRY_OVER_TABLE}_pkey`)};
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS red_flush_count integer;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS issued_amount   numeric(16,2);
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS red_flush_amount numeric(16,2);
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS carried_on      date;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS line            jsonb;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS superseded_at   timestamptz;
CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`${CARRY_OVER_TABLE}_current`)}
  ON ${t} (stack, year, place_code, bill_code) WHERE superseded_at IS NULL;`;
}
