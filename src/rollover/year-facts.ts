/**
 * What the bills of a year say, for the year-end jobs: numbers used per point and code with their
 * amounts, the runs of used numbers, and the storage facts a plan does not read. Through the table
 * names of the reference schema (the adapter boundary), grouped in SQL: a handful of small results.
 * The configuration itself comes from the providers' live state (live-view.ts).
 */
import type { Db } from "../db/providers/types.ts";
import { T, qualified } from "../db/reference-schema.ts";
import { yy } from "./derive.ts";

/** Numbers consumed by one point under one code: a run of consecutive numbers (voided included). */
export interface UsedRun {
  place: string;
  billCode: string;
  first: number;
  last: number;
}

export interface UsageRow {
  place: string;
  billCode: string;
  /** Numbers used: every bill, voided and red-flush ones included. */
  count: number;
  voided: number;
  /** Red-flush (冲红) bills: the red bill is a new bill of negative amount (not voided). */
  redFlushed: number;
  /** Sum of the amounts of the bills that stand (not voided, not red), in fen (分). */
  issuedFen: number;
  /** Sum of the red bills' amounts, in fen: zero or negative. */
  redFlushFen: number;
  first: number;
  last: number;
}

/** What the year end needs of the storage that a plan does not read. */
export interface StorageFacts {
  /** The server's data directory; null when this role may not read it. */
  dataDirectory: string | null;
  /** Bytes on disk of each tablespace, by name. */
  tablespaceBytes: Map<string, number>;
}

/** Tablespace sizes and the data directory: two small queries outside any transaction. */
export async function readStorageFacts(db: Db): Promise<StorageFacts> {
  const { rows } = await db.query<{ name: string; size: string }>(
    `SELECT spcname AS name, pg_tablespace_size(oid)::text AS size FROM pg_tablespace WHERE spcname NOT LIKE 'pg\\_%'`,
  );
  // Readable by superusers and pg_read_all_settings only; otherwise the sizes must do.
  const dataDirectory = await db
    .query<{ d: string }>("SELECT current_setting('data_directory') AS d")
    .then((r) => r.rows[0]?.d ?? null)
    .catch(() => null);
  return { dataDirectory, tablespaceBytes: new Map(rows.map((r) => [r.name, Number(r.size)])) };
}

/**
 * Numbers consumed under the bill codes of `year` (the last two digits of the code), per point and
 * code, with their amounts. Selected by code, not by issue date: a bill of last year's code is last
 * year's stock. A red-flush (冲红) bill is a new bill whose amount is negative; voided (作废) bills
 * keep their number but no amount.
 */
export async function readUsage(db: Db, schema: string, year: number): Promise<UsageRow[]> {
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
export async function readUsedRuns(db: Db, schema: string, year: number): Promise<UsedRun[]> {
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
