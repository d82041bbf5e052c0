/**
 * Batched writes of configuration rows: every create/update of a kind is ONE
 * `INSERT ... SELECT FROM unnest($1::type[], ...) ON CONFLICT DO UPDATE`, every delete ONE
 * `DELETE ... USING unnest(...)`, and each link table (a point's bill codes, a role's permissions)
 * one delete + one insert. Identifiers are quoted, values are array parameters: the number of
 * round trips does not grow with the number of rows, and no value is ever spliced into SQL.
 */
import type { Change, Fields } from "../../plan/types.ts";
import { qualified, quoteIdent } from "../reference-schema.ts";
import type { Db } from "./types.ts";

export interface Column {
  column: string;
  /** PostgreSQL array element type of the parameter: text, int, bool. */
  type: "text" | "int" | "bool";
  field: string;
}

export interface LinkTable {
  table: string;
  /** Columns holding the owner's key, in the order of RowTable.key. */
  ownerColumns: string[];
  valueColumn: string;
  /** The Fields entry holding the list of values (e.g. billCodes). */
  field: string;
}

export interface RowTable {
  table: string;
  /** Key columns (subset of columns). */
  key: string[];
  columns: Column[];
  links?: LinkTable[];
}

const nullable = (v: unknown) => (v === undefined ? null : v);

function arrays(columns: Column[], rows: Fields[]): unknown[][] {
  return columns.map((c) => rows.map((r) => nullable(r[c.field])));
}

function unnestOf(columns: Column[], from = 1): string {
  return `unnest(${columns.map((c, i) => `$${from + i}::${c.type}[]`).join(", ")})`;
}

/** Upserts `rows` (Fields in the kind's shape) with one statement, plus two per link table. */
export async function upsertRows(db: Db, schema: string, spec: RowTable, rows: Fields[]): Promise<void> {
  if (rows.length === 0) return;
  const cols = spec.columns.map((c) => quoteIdent(c.column)).join(", ");
  const keyCols = spec.key.map(quoteIdent).join(", ");
  const rest = spec.columns.filter((c) => !spec.key.includes(c.column));
  const set = rest.length
    ? `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c.column)} = EXCLUDED.${quoteIdent(c.column)}`).join(", ")}`
    : "DO NOTHING";
  await db.query(
    `INSERT INTO ${qualified(schema, spec.table)} (${cols}) SELECT * FROM ${unnestOf(spec.columns)} ON CONFLICT (${keyCols}) ${set}`,
    arrays(spec.columns, rows),
  );
  for (const link of spec.links ?? []) await replaceLinks(db, schema, spec, link, rows);
}

async function replaceLinks(
  db: Db,
  schema: string,
  spec: RowTable,
  link: LinkTable,
  rows: Fields[],
): Promise<void> {
  const keyColumns = spec.key.map((k) => spec.columns.find((c) => c.column === k)!);
  const t = qualified(schema, link.table);
  const match = link.ownerColumns.map((c, i) => `${t}.${quoteIdent(c)} = d.k${i}`).join(" AND ");
  await db.query(
    `DELETE FROM ${t} USING ${unnestOf(keyColumns)} AS d(${keyColumns.map((_, i) => `k${i}`).join(", ")}) WHERE ${match}`,
    arrays(keyColumns, rows),
  );
  const pairs = rows.flatMap((r) => ((r[link.field] as string[] | undefined) ?? []).map((v) => ({ r, v })));
  if (pairs.length === 0) return;
  const owner = keyColumns.map((c) => pairs.map((p) => p.r[c.field]));
  await db.query(
    `INSERT INTO ${t} (${[...link.ownerColumns, link.valueColumn].map(quoteIdent).join(", ")}) ` +
      `SELECT * FROM unnest(${keyColumns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ")}, $${keyColumns.length + 1}::text[])`,
    [...owner, pairs.map((p) => p.v)],
  );
}

/** Deletes rows by key in one statement (link rows go with them: ON DELETE CASCADE). */
export async function deleteRows(db: Db, schema: string, spec: RowTable, rows: Fields[]): Promise<void> {
  if (rows.length === 0) return;
  const keyColumns = spec.key.map((k) => spec.columns.find((c) => c.column === k)!);
  const t = qualified(schema, spec.table);
  const match = keyColumns.map((c, i) => `${t}.${quoteIdent(c.column)} = d.k${i}`).join(" AND ");
  await db.query(
    `DELETE FROM ${t} USING ${unnestOf(keyColumns)} AS d(${keyColumns.map((_, i) => `k${i}`).join(", ")}) WHERE ${match}`,
    arrays(keyColumns, rows),
  );
}

/** The standard write of a configuration kind: one upsert for creates and updates, one delete. */
export async function writeRows(db: Db, schema: string, spec: RowTable, changes: Change[]): Promise<void> {
  const upserts = changes.filter((c) => c.action !== "delete").map((c) => c.after!);
  const deletes = changes.filter((c) => c.action === "delete").map((c) => c.before!);
  await upsertRows(db, schema, spec, upserts);
  await deleteRows(db, schema, spec, deletes);
}
