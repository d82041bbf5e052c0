/**
 * Reads what rollover needs from the live e-bill database, through the table names of the
 * reference schema (the adapter boundary) so a product release changes one file, not this one.
 * Read-only, a handful of queries each returning small results (grouped in SQL, not row by row).
 */
import { OPS_SCHEMA, T, qualified, quoteIdent } from "../db/reference-schema.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";
import type { LiveState, UsageRow, UsedRun } from "./live.ts";
import { yy } from "./derive.ts";

/** The part of a pg Client / Pool rollover uses, so tests and callers can pass either. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** Years a partition bound `FOR VALUES FROM ('2026-01-01 00:00:00') TO ('2027-01-01 00:00:00')` covers. */
export function yearsOfBound(bound: string): number[] {
  const m = /FROM \('(\d{4})-(\d{2})-(\d{2})[^']*'\) TO \('(\d{4})-(\d{2})-(\d{2})([^']*)'\)/.exec(bound);
  if (!m) return [];
  const from = Number(m[1]);
  // Upper bound is exclusive: ending exactly at 1 January 00:00 does not cover that year.
  const toIsNewYear = m[5] === "01" && m[6] === "01" && /^( 00:00:00)?$/.test(m[7] ?? "");
  const to = Number(m[4]) - (toIsNewYear ? 1 : 0);
  const years: number[] = [];
  for (let y = from; y <= to; y++) years.push(y);
  return years;
}

export async function readLiveState(db: Queryable, schema: string): Promise<LiveState> {
  const s = (t: string) => qualified(schema, t);
  // One after the other: a pg client runs one query at a time anyway (and warns when they queue).
  const tablespaces = await db.query<{ name: string; location: string; size: string }>(
    `SELECT spcname AS name, pg_tablespace_location(oid) AS location, pg_tablespace_size(oid)::text AS size
         FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1`,
  );
  const partitions = await db.query<{
    parent: string;
    partition: string;
    tablespace: string | null;
    bound: string;
  }>(
    `SELECT p.relname AS parent, c.relname AS partition, ts.spcname AS tablespace,
              pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
        WHERE n.nspname = $1 AND p.relname = ANY($2) ORDER BY 1, 2`,
    [schema, [...PARTITIONED_TABLES]],
  );
  const billTypes = await db.query<{ code: string; name: string; year: number; enabled: boolean }>(
    `SELECT code, name, year, enabled FROM ${s(T.billType)} ORDER BY code`,
  );
  const templates = await db.query<{ bill_code: string; name: string; version: string }>(
    `SELECT bill_code, name, version FROM ${s(T.printTemplate)} ORDER BY bill_code`,
  );
  const points = await db.query<{ code: string; name: string; enabled: boolean }>(
    `SELECT code, name, enabled FROM ${s(T.invoicingPoint)} ORDER BY code`,
  );
  const channels = await db.query<{ code: string; name: string; enabled: boolean }>(
    `SELECT code, name, enabled FROM ${s(T.paymentChannel)} ORDER BY code`,
  );
  const mappings = await db.query<{ system: string; kind: string; local_code: string; remote_code: string }>(
    `SELECT system, kind, local_code, remote_code FROM ${s(T.codeMapping)} ORDER BY 1, 2, 3`,
  );
  const stock = await db.query<{
    bill_code: string;
    batch: string;
    first_no: string;
    last_no: string;
    place_code: string;
    purpose: string;
  }>(
    `SELECT bill_code, batch, first_no, last_no, place_code, purpose FROM ${s(T.billStock)}
        ORDER BY bill_code, first_no`,
  );
  const dataDirectory = await db
    .query<{ d: string }>("SELECT current_setting('data_directory') AS d")
    .then((r) => r.rows[0]?.d ?? null)
    .catch(() => null);
  return {
    dataDirectory,
    tablespaces: tablespaces.rows.map((r) => ({
      name: r.name,
      location: r.location,
      sizeBytes: Number(r.size),
    })),
    partitions: partitions.rows.map((r) => ({
      table: r.parent,
      partition: r.partition,
      tablespace: r.tablespace,
      years: yearsOfBound(r.bound),
    })),
    billTypes: billTypes.rows.map((r) => ({
      code: r.code.trim(),
      name: r.name,
      year: r.year,
      enabled: r.enabled,
    })),
    templates: templates.rows.map((r) => ({
      billCode: r.bill_code.trim(),
      name: r.name,
      version: r.version,
    })),
    invoicingPoints: points.rows,
    paymentChannels: channels.rows,
    mappings: mappings.rows.map((r) => ({
      system: r.system,
      kind: r.kind,
      local: r.local_code,
      remote: r.remote_code,
    })),
    stock: stock.rows.map((r) => ({
      billCode: r.bill_code.trim(),
      batch: r.batch,
      first: Number(r.first_no),
      last: Number(r.last_no),
      place: r.place_code,
      purpose: r.purpose,
    })),
  };
}

/**
 * Numbers consumed under the bill codes of `year` (the last two digits of the code), per point and
 * code, with their amounts. Selected by code, not by issue date: a bill of last year's code is last
 * year's stock. A red-flush (冲红) bill is a new bill whose amount is negative; voided (作废) bills
 * keep their number but no amount.
 */
export async function readUsage(db: Queryable, schema: string, year: number): Promise<UsageRow[]> {
  const { rows } = await db.query<{
    place_code: string;
    bill_code: string;
    count: number;
    voided: number;
    red_flushed: number;
    issued_fen: string;
    red_flush_fen: string;
    first_no: string;
    last_no: string;
  }>(
    `SELECT place_code, bill_code, count(*)::int AS count,
            count(*) FILTER (WHERE state = 'voided')::int AS voided,
            count(*) FILTER (WHERE state <> 'voided' AND amount < 0)::int AS red_flushed,
            (coalesce(sum(amount) FILTER (WHERE state <> 'voided' AND amount >= 0), 0) * 100)::bigint::text AS issued_fen,
            (coalesce(sum(amount) FILTER (WHERE state <> 'voided' AND amount < 0), 0) * 100)::bigint::text AS red_flush_fen,
            min(bill_no) AS first_no, max(bill_no) AS last_no
       FROM ${qualified(schema, T.bill)}
      WHERE substr(bill_code, 7, 2) = $1
      GROUP BY place_code, bill_code ORDER BY place_code, bill_code`,
    [yy(year)],
  );
  return rows.map((r) => ({
    place: r.place_code,
    billCode: r.bill_code.trim(),
    count: r.count,
    voided: r.voided,
    redFlushed: r.red_flushed,
    issuedFen: Number(r.issued_fen),
    redFlushFen: Number(r.red_flush_fen),
    first: Number(r.first_no),
    last: Number(r.last_no),
  }));
}

/** Runs of consecutive used numbers (gaps and islands in SQL): few rows even for a year of bills. */
export async function readUsedRuns(db: Queryable, schema: string, year: number): Promise<UsedRun[]> {
  const { rows } = await db.query<{
    place_code: string;
    bill_code: string;
    first_no: string;
    last_no: string;
  }>(
    `SELECT place_code, bill_code, min(n)::text AS first_no, max(n)::text AS last_no
       FROM (SELECT place_code, bill_code, n,
                    n - row_number() OVER (PARTITION BY place_code, bill_code ORDER BY n) AS grp
               FROM (SELECT DISTINCT place_code, bill_code, bill_no::bigint AS n
                       FROM ${qualified(schema, T.bill)} WHERE substr(bill_code, 7, 2) = $1) used) runs
      GROUP BY place_code, bill_code, grp ORDER BY place_code, bill_code, min(n)`,
    [yy(year)],
  );
  return rows.map((r) => ({
    place: r.place_code,
    billCode: r.bill_code.trim(),
    first: Number(r.first_no),
    last: Number(r.last_no),
  }));
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
