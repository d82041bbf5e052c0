/**
 * One column table per configuration kind, and everything driven by it: the SELECT that reads the
 * kind, the mapping of a live row to the plan's fields, the mapping of the stack's declaration to the
 * same fields, the comparison of the two, the text the live hash is made of, and the batched write.
 * A column is written once, here; a kind's provider is its table plus what issued bills say of it.
 *
 * Writes: the creates of a kind are ONE `INSERT ... SELECT FROM unnest($1::type[], ...)`, its
 * updates ONE such insert `ON CONFLICT DO UPDATE`, its deletes ONE `DELETE ... USING unnest(...)`,
 * and each link table (a point's bill codes, a role's permissions) one insert, plus one delete of
 * the old links of updated rows. Identifiers are quoted, values are array parameters: the number of
 * round trips does not grow with the number of rows, and no value is ever spliced into SQL.
 */
import { sortedUnique } from "../../base/canonical.ts";
import type { Environment } from "../../model/environment.ts";
import type { Change, Fields } from "../../plan/types.ts";
import { qualified, quoteIdent, T } from "../reference-schema.ts";
import type { Db, LiveObject, Provider } from "./types.ts";

export interface Column {
  column: string;
  /** PostgreSQL type of the column's array parameter: text, int, bool. */
  type: "text" | "int" | "bool";
  /** The field in the plan, and the property of the declaration it comes from. */
  field: string;
  /** Part of the row's key: the id is the key fields joined with '/'. */
  key?: true;
  /** May be absent: NULL live and absent (or null) declared are the same, and show as no field. */
  optional?: true;
  /** The value every declared row has, for a column the stack does not declare (stock's `enabled`). */
  declared?: string | number | boolean;
}

/** A list of codes held in a link table with ON DELETE CASCADE to its owner (a point's bill codes). */
export interface LinkTable {
  table: string;
  /** Columns holding the owner's key, in the order of the owner's key columns. */
  ownerColumns: string[];
  valueColumn: string;
  /** The field holding the list (billCodes), sorted and without repeats on both sides. */
  field: string;
}

export interface RowTable {
  table: string;
  columns: Column[];
  links?: LinkTable[];
}

/** How a table's rows are compared and hashed: its fields, scalars and lists. */
export interface FieldList {
  scalars: readonly string[];
  lists: readonly string[];
}

export function fieldList(spec: RowTable): FieldList {
  return { scalars: spec.columns.map((c) => c.field), lists: (spec.links ?? []).map((l) => l.field) };
}

/** The key columns of each table, found once (ids are made for every row of a plan). */
const KEYS = new WeakMap<RowTable, Column[]>();
function keyColumns(spec: RowTable): Column[] {
  let keys = KEYS.get(spec);
  if (!keys) KEYS.set(spec, (keys = spec.columns.filter((c) => c.key)));
  return keys;
}

/** The id of a row: its key fields joined with '/' (`his/place/001`, `46060126/2026-01/0000000001`). */
export function idOf(spec: RowTable, fields: Fields): string {
  const keys = keyColumns(spec);
  let id = String(fields[keys[0]!.field]);
  for (let i = 1; i < keys.length; i++) id += "/" + String(fields[keys[i]!.field]);
  return id;
}

/**
 * SELECT of every row of the kind, its link lists as sorted arrays (named after their fields), and
 * `extra` expressions over the row (`a` is the table's alias), e.g. whether issued bills use it.
 * Each link table is aggregated once and joined (one pass over it, not one lookup per row).
 */
export function selectSql(spec: RowTable, schema: string, extra: Record<string, string> = {}): string {
  const keys = keyColumns(spec);
  const columns = spec.columns.map((c) => `a.${quoteIdent(c.column)}`);
  const lists: string[] = [];
  const joins: string[] = [];
  (spec.links ?? []).forEach((l, i) => {
    const owner = l.ownerColumns.map(quoteIdent);
    const value = quoteIdent(l.valueColumn);
    const on = owner.map((o, k) => `l${i}.${o} = a.${quoteIdent(keys[k]!.column)}`).join(" AND ");
    lists.push(`COALESCE(l${i}.list, '{}') AS ${quoteIdent(l.field)}`);
    joins.push(
      `LEFT JOIN (SELECT ${owner.join(", ")}, array_agg(${value}::text ORDER BY ${value}) AS list ` +
        `FROM ${qualified(schema, l.table)} GROUP BY ${owner.join(", ")}) l${i} ON ${on}`,
    );
  });
  const extras = Object.entries(extra).map(([name, sql]) => `${sql} AS ${quoteIdent(name)}`);
  return (
    `SELECT ${[...columns, ...lists, ...extras].join(", ")} FROM ${qualified(schema, spec.table)} a` +
    joins.map((j) => ` ${j}`).join("")
  );
}

/** A live row as the plan's fields. */
export function liveFields(spec: RowTable, row: Record<string, unknown>): Fields {
  const fields: Fields = {};
  for (const c of spec.columns) {
    const value = row[c.column];
    if (!(c.optional && value === null)) fields[c.field] = value;
  }
  for (const l of spec.links ?? []) fields[l.field] = sortedUnique(row[l.field] as string[]);
  return fields;
}

/** A declared object (a stack's bill type, point, ...) as the plan's fields. */
export function declaredFields(spec: RowTable, item: Readonly<Record<string, unknown>>): Fields {
  const fields: Fields = {};
  for (const c of spec.columns) {
    const value = c.declared ?? item[c.field];
    if (!(c.optional && (value === undefined || value === null))) fields[c.field] = value;
  }
  for (const l of spec.links ?? []) fields[l.field] = sortedUnique(item[l.field] as string[]);
  return fields;
}

function sameList(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Declared and live fields are the same: each scalar field identical, each list element by element. */
export function sameFields(list: FieldList, a: Fields, b: Fields): boolean {
  for (const f of list.scalars) if (a[f] !== b[f]) return false;
  for (const f of list.lists) if (!sameList(a[f], b[f])) return false;
  return true;
}

/** The fields' values in the table's order, for the live hash: no key sorting, no nesting. */
export function fieldValues(list: FieldList, fields: Fields): unknown[] {
  const values: unknown[] = [];
  for (const f of list.scalars) values.push(fields[f] ?? null);
  for (const f of list.lists) values.push(fields[f] ?? null);
  return values;
}

const nullable = (v: unknown) => (v === undefined ? null : v);

function arrays(columns: readonly Column[], rows: readonly Fields[]): unknown[][] {
  return columns.map((c) => rows.map((r) => nullable(r[c.field])));
}

function unnestOf(columns: readonly Column[], from = 1): string {
  return `unnest(${columns.map((c, i) => `$${from + i}::${c.type}[]`).join(", ")})`;
}

/**
 * Inserts `rows` (fields of the kind) with one statement, plus one per link table. `created` says
 * the plan found none of them in the transaction's snapshot: a plain INSERT then (a speculative
 * upsert costs a third more per row), and a row someone else inserted since fails the apply with a
 * key violation instead of being overwritten; the rerun's plan shows it. Updated rows are upserted
 * and their old link rows replaced.
 */
async function insertRows(
  db: Db,
  schema: string,
  spec: RowTable,
  rows: Fields[],
  created: boolean,
): Promise<void> {
  if (rows.length === 0) return;
  const cols = spec.columns.map((c) => quoteIdent(c.column)).join(", ");
  const keyCols = keyColumns(spec)
    .map((c) => quoteIdent(c.column))
    .join(", ");
  const rest = spec.columns.filter((c) => !c.key);
  const set = rest.length
    ? `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c.column)} = EXCLUDED.${quoteIdent(c.column)}`).join(", ")}`
    : "DO NOTHING";
  const conflict = created ? "" : ` ON CONFLICT (${keyCols}) ${set}`;
  await db.query(
    `INSERT INTO ${qualified(schema, spec.table)} (${cols}) SELECT * FROM ${unnestOf(spec.columns)}${conflict}`,
    arrays(spec.columns, rows),
  );
  for (const link of spec.links ?? []) {
    // A new row has no links yet (they cascade with their owner): nothing to delete first.
    if (!created) await deleteByKey(db, qualified(schema, link.table), link.ownerColumns, spec, rows);
    await insertLinks(db, schema, spec, link, rows);
  }
}

/** Deletes the rows of `table` whose `columns` equal the key of one of `rows` (one statement). */
async function deleteByKey(
  db: Db,
  table: string,
  columns: readonly string[],
  spec: RowTable,
  rows: Fields[],
) {
  const keys = keyColumns(spec);
  const match = columns.map((c, i) => `${table}.${quoteIdent(c)} = d.k${i}`).join(" AND ");
  await db.query(
    `DELETE FROM ${table} USING ${unnestOf(keys)} AS d(${keys.map((_, i) => `k${i}`).join(", ")}) WHERE ${match}`,
    arrays(keys, rows),
  );
}

async function insertLinks(
  db: Db,
  schema: string,
  spec: RowTable,
  link: LinkTable,
  rows: Fields[],
): Promise<void> {
  const keys = keyColumns(spec);
  const pairs = rows.flatMap((r) => ((r[link.field] as string[] | undefined) ?? []).map((v) => ({ r, v })));
  if (pairs.length === 0) return;
  const owner = keys.map((c) => pairs.map((p) => p.r[c.field]));
  await db.query(
    `INSERT INTO ${qualified(schema, link.table)} (${[...link.ownerColumns, link.valueColumn].map(quoteIdent).join(", ")}) ` +
      `SELECT * FROM unnest(${keys.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ")}, $${keys.length + 1}::text[])`,
    [...owner, pairs.map((p) => p.v)],
  );
}

/** Deletes rows by key in one statement (link rows go with them: ON DELETE CASCADE). */
async function deleteRows(db: Db, schema: string, spec: RowTable, rows: Fields[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = keyColumns(spec).map((c) => c.column);
  await deleteByKey(db, qualified(schema, spec.table), columns, spec, rows);
}

/** The write of a configuration kind: one insert for its creates, one upsert for its updates, one delete. */
export async function writeRows(db: Db, schema: string, spec: RowTable, changes: Change[]): Promise<void> {
  const rows = (action: Change["action"]) =>
    changes.filter((c) => c.action === action).map((c) => (action === "delete" ? c.before! : c.after!));
  const others = changes.filter((c) => c.action !== "create" && c.action !== "delete").map((c) => c.after!);
  await insertRows(db, schema, spec, rows("create"), true);
  await insertRows(db, schema, spec, others, false);
  await deleteRows(db, schema, spec, rows("delete"));
}

/** Whether issued bills use a row, as an SQL expression over the bill table `b` and the row `a`. */
export function usedByBills(schema: string, condition: string): string {
  return `EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE ${condition})`;
}

/** The declared objects of a kind, or undefined when the stack leaves the kind out. */
export function declaredOf(
  env: Environment,
  kind: keyof Environment,
): readonly Readonly<Record<string, unknown>>[] | undefined {
  return env[kind] as readonly Readonly<Record<string, unknown>>[] | undefined;
}

/**
 * The provider of a configuration kind from its column table. `extra` adds expressions to the
 * SELECT (what issued bills say of the row); `usage` turns them into the row's usage and facts.
 */
export function rowProvider(options: {
  kind: Provider["kind"];
  table: RowTable;
  disableable: boolean;
  extra?: (schema: string) => Record<string, string>;
  usage?: (row: Record<string, unknown>) => Pick<LiveObject, "usage" | "facts">;
}): Provider {
  const { kind, table } = options;
  const usage =
    options.usage ?? ((row) => ({ usage: "bills" in row ? { bills: row.bills as boolean } : {} }));
  return {
    kind,
    disableable: options.disableable,
    fields: fieldList(table),
    identify: (fields) => idOf(table, fields),
    async read(db, { schema }) {
      const { rows } = await db.query(selectSql(table, schema, options.extra?.(schema)));
      return rows.map((row) => {
        const fields = liveFields(table, row);
        return { id: idOf(table, fields), fields, ...usage(row) };
      });
    },
    declared: (env) =>
      declaredOf(env, kind)?.map((item) => {
        const fields = declaredFields(table, item);
        return { id: idOf(table, fields), fields };
      }),
    write: (db, { schema }, changes) => writeRows(db, schema, table, changes),
  };
}
