/**
 * The database part of a backup: every table of the product schema as rows of JSON, read in one
 * REPEATABLE READ snapshot together with the figures that prove a restore (row count and checksum
 * per table, and of the bills of the last days).
 *
 * Why not pg_dump: the engine's dump tool must be at least as new as the server (pg_dump refuses a
 * newer server), and the machine that runs the tool is not the database host: Debian 12 ships
 * pg_dump 15, the sandbox runs PostgreSQL 17, a hospital KingbaseES ships sys_dump. Rows read over
 * the wire protocol restore into any server of the family, and the figures are computed the same
 * way on both sides. The scheduled job on the backup host (the ebill_backup role) uses the engine's
 * own tool; docs/backups-upgrades.md says how the two relate.
 */
import { S } from "../db/schema-service.ts";
import { LOGIN } from "../db/schema-tasks.ts";
import type pg from "pg";
import { partitionBounds, partitionName, qualified, quoteIdent, T } from "../db/reference-schema.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";

/** The product tables in the order a restore writes them (referenced tables first). */
export const DUMPED_TABLES = [
  T.billType,
  T.printTemplate,
  T.invoicingPoint,
  T.invoicingPointBillType,
  T.paymentChannel,
  T.codeMapping,
  T.billStock,
  T.role,
  T.rolePermission,
  T.operator,
  T.operatorRole,
  T.operatorPlace,
  T.bill,
  T.billDetail,
  // The product's runtime state a restore must bring back with the bills: the next number of each
  // stock range (without it a restored service would hand out numbers again), each bill's
  // archive/push state, the operators' logins. The interface log is a log and is not backed up.
  S.stockCursor,
  S.billDelivery,
  LOGIN.table,
] as const;

/** Row count and checksum of a set of rows (order-independent). */
export interface Figure {
  rows: number;
  checksum: string;
}

export interface Figures {
  /** Per table of DUMPED_TABLES. */
  tables: Record<string, Figure>;
  /** The bills issued from `from` (local timestamp, inclusive) on. */
  recentBills: Figure & { from: string };
}

export interface DatabaseDump {
  format: "ebill-ops-rows/1";
  schema: string;
  /** Years of the bill partitions present, so a restore can make them. */
  years: number[];
  tables: { name: string; rows: unknown[] }[];
}

type Queryable = Pick<pg.Client, "query">;

/**
 * A checksum over the rows' text forms, sorted: equal rows give equal checksums whatever the
 * physical order, and any changed, added or removed row changes it.
 */
function figureSql(from: string, where = ""): string {
  return `SELECT count(*)::int AS rows,
            md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS checksum
          FROM (SELECT md5(t::text) AS h FROM ${from} t ${where}) x`;
}

export async function figures(db: Queryable, schema: string, recentFrom: string): Promise<Figures> {
  const tables: Record<string, Figure> = {};
  for (const table of DUMPED_TABLES) {
    const { rows } = await db.query<Figure>(figureSql(qualified(schema, table)));
    tables[table] = rows[0]!;
  }
  const recent = await db.query<Figure>(figureSql(qualified(schema, T.bill), "WHERE t.issued_at >= $1"), [
    recentFrom,
  ]);
  return { tables, recentBills: { ...recent.rows[0]!, from: recentFrom } };
}

/** The dump and its figures, from one consistent snapshot. */
export async function dumpDatabase(
  db: Queryable,
  schema: string,
  recentFrom: string,
): Promise<{ dump: DatabaseDump; figures: Figures }> {
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const tables: DatabaseDump["tables"] = [];
    for (const name of DUMPED_TABLES) {
      const { rows } = await db.query<{ rows: unknown[] }>(
        `SELECT coalesce(json_agg(t), '[]'::json) AS rows FROM ${qualified(schema, name)} t`,
      );
      tables.push({ name, rows: rows[0]!.rows });
    }
    const years = await db.query<{ year: number }>(
      `SELECT DISTINCT extract(year FROM issued_at)::int AS year FROM ${qualified(schema, T.bill)} ORDER BY 1`,
    );
    const result = await figures(db, schema, recentFrom);
    await db.query("COMMIT");
    return {
      dump: { format: "ebill-ops-rows/1", schema, years: years.rows.map((r) => r.year), tables },
      figures: result,
    };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a dump's rows into a database that has the product schema (a scratch database, or the
 * live one when an upgrade is rolled back): one transaction, the tables emptied first, so the
 * result is exactly the dump or, on any error, unchanged.
 */
export async function restoreRows(db: Queryable, dump: DatabaseDump): Promise<void> {
  const schema = dump.schema;
  await db.query("BEGIN");
  try {
    await ensurePartitions(db, schema, dump.years);
    await db.query(`TRUNCATE ${DUMPED_TABLES.map((t) => qualified(schema, t)).join(", ")}`);
    for (const table of dump.tables) {
      if (table.rows.length === 0) continue;
      const target = qualified(schema, table.name);
      await db.query(
        `INSERT INTO ${target} SELECT * FROM json_populate_recordset(NULL::${target}, $1::json)`,
        [JSON.stringify(table.rows)],
      );
    }
    await db.query("COMMIT");
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Partitions for the years a dump holds bills of, where missing (a scratch database has none). */
async function ensurePartitions(db: Queryable, schema: string, years: readonly number[]): Promise<void> {
  for (const year of years) {
    for (const table of PARTITIONED_TABLES) {
      const name = qualified(schema, partitionName(table, year));
      const exists = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [name]);
      if (exists.rows[0]!.ok) continue;
      const { from, to } = partitionBounds(year);
      await db.query(
        `CREATE TABLE ${name} PARTITION OF ${qualified(schema, table)} FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    }
  }
}

/** The figures that differ between two sets, as readable lines; empty when they match. */
export function compareFigures(expected: Figures, actual: Figures): string[] {
  const out: string[] = [];
  for (const [table, want] of Object.entries(expected.tables)) {
    const got = actual.tables[table];
    if (!got) out.push(`${table}: missing`);
    else if (got.rows !== want.rows || got.checksum !== want.checksum)
      out.push(`${table}: ${describeFigure(want)} expected, ${describeFigure(got)} found`);
  }
  const [a, b] = [expected.recentBills, actual.recentBills];
  if (a.rows !== b.rows || a.checksum !== b.checksum)
    out.push(`bills since ${a.from}: ${describeFigure(a)} expected, ${describeFigure(b)} found`);
  return out;
}

export const describeFigure = (f: Figure) => `${f.rows} rows (md5 ${f.checksum.slice(0, 12)})`;

export { quoteIdent };
