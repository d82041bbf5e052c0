/**
 * Running a checked data fix (fix-check.ts) on the caller's session: the plan (in a transaction
 * that is rolled back), the apply (ONE transaction: run, guard, keep before-images, record, audit)
 * and the undo (restore the before-images, only where the rows still hold what the fix wrote).
 *
 * How the touched rows are known whatever the statement looks like (UPDATE ... FROM, a subquery,
 * a partitioned table): inside the transaction a row trigger on the target table copies OLD and NEW
 * of every row the statement changes into a temporary table. The trigger and its function are the
 * transaction's own (dropped before the commit, gone with a rollback), so nothing of them remains;
 * while it runs, the target table is locked against other writers (CREATE TRIGGER's lock), which
 * is what a reviewed fix wants anyway. PostgreSQL 18's RETURNING old/new could replace it once
 * every supported database has it.
 *
 * Rows are identified by the target table's primary key: a table without one is refused (undo
 * could not find its rows). Foreign keys that would make the statement change other tables
 * (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT) are refused too: their rows would have no
 * before-image.
 */
import { canonicalJson } from "../base/canonical.ts";
import { OPS_SCHEMA, qualified, quoteIdent } from "./reference-schema.ts";
import { TASK_OPS } from "./schema-tasks.ts";
import type { CheckedFix } from "./fix-check.ts";
import { FixRefused } from "./fix-check.ts";
import type { Db } from "./providers/types.ts";

export type Row = Record<string, unknown>;

export interface TouchedRow {
  op: "INSERT" | "UPDATE" | "DELETE";
  /** The primary key's values (of the row after, or before for a delete). */
  key: Row;
  before: Row | null;
  after: Row | null;
}

export interface FixRun {
  /** `schema.table` */
  target: string;
  keyColumns: string[];
  /** Rows the statement changed (its command tag). */
  rows: number;
  expected: number;
  touched: TouchedRow[];
  /** What the verification query returned afterwards (should be nothing), at most 20 rows. */
  verifyRows: Row[];
}

export interface AppliedFix {
  hash: string;
  file: string;
  target: string;
  rows: number;
  appliedAt: string;
  actor: string;
  commit: string | null;
  undoneAt: string | null;
}

const CAPTURE = "ebill_ops_fix_capture";
const VERIFY_SHOWN = 20;

/** The fix's record, if it was ever applied (the tool's tables may not exist yet: then null). */
export async function appliedFix(db: Db, hash: string): Promise<AppliedFix | null> {
  const table = qualified(OPS_SCHEMA, TASK_OPS.fixApplied);
  const { rows: exists } = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
    table,
  ]);
  if (!exists[0]!.ok) return null;
  const { rows } = await db.query<{
    file: string;
    target: string;
    rows: number;
    applied_at: Date;
    actor: string;
    commit: string | null;
    undone_at: Date | null;
  }>(`SELECT file, target, rows, applied_at, actor, commit, undone_at FROM ${table} WHERE hash = $1`, [hash]);
  const r = rows[0];
  if (!r) return null;
  return {
    hash,
    file: r.file,
    target: r.target,
    rows: r.rows,
    appliedAt: r.applied_at.toISOString(),
    actor: r.actor,
    commit: r.commit,
    undoneAt: r.undone_at?.toISOString() ?? null,
  };
}

interface TargetTable {
  qualified: string;
  keyColumns: string[];
  /** Columns a restore writes (not generated ones). */
  columns: string[];
}

/**
 * Resolves names in the product schema only (the temporary schema, searched first by default, is
 * put last), checks every table the fix names exists there, and reads the target's key.
 */
async function prepare(
  db: Db,
  schema: string,
  fix: Pick<CheckedFix, "kind" | "table" | "tables">,
  file: string,
): Promise<TargetTable> {
  await db.query(`SET LOCAL search_path TO ${quoteIdent(schema)}, pg_catalog, pg_temp`);
  const { rows: found } = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm')`,
    [schema, fix.tables],
  );
  const missing = fix.tables.filter((t) => !found.some((f) => f.relname === t));
  if (missing.length > 0)
    throw new FixRefused(
      `${file}: no table ${missing.join(", ")} in the product schema '${schema}'; nothing was run`,
    );
  const target = qualified(schema, fix.table);
  const { rows: keys } = await db.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n`,
    [target],
  );
  if (keys.length === 0)
    throw new FixRefused(
      `${file}: ${target} has no primary key, so the rows a fix changes could not be found again for undo; nothing was run`,
    );
  const { rows: cascades } = await db.query<{ name: string; source: string }>(
    `SELECT conname AS name, conrelid::regclass::text AS source FROM pg_constraint
      WHERE contype = 'f' AND confrelid = $1::regclass
        AND (($2 = 'DELETE' AND confdeltype IN ('c', 'n', 'd')) OR ($2 = 'UPDATE' AND confupdtype IN ('c', 'n', 'd')))`,
    [target, fix.kind],
  );
  if (cascades.length > 0)
    throw new FixRefused(
      `${file}: a ${fix.kind} on ${target} would also change ${cascades.map((c) => `${c.source} (foreign key ${c.name})`).join(", ")}, ` +
        `rows without a before-image that undo could not restore; fix the referencing rows in their own fix first. Nothing was run`,
    );
  const { rows: columns } = await db.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
      ORDER BY attnum`,
    [target],
  );
  return {
    qualified: target,
    keyColumns: keys.map((k) => k.attname),
    columns: columns.map((c) => c.attname),
  };
}

/** The row trigger that copies OLD and NEW of every changed row into a temporary table. */
async function startCapture(db: Db, target: string): Promise<void> {
  await db.query(
    `CREATE TEMPORARY TABLE ${CAPTURE} (seq serial, op text, old jsonb, new jsonb) ON COMMIT DROP`,
  );
  await db.query(
    `CREATE FUNCTION pg_temp.${CAPTURE}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN
       INSERT INTO pg_temp.${CAPTURE} (op, old, new)
       VALUES (TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
       RETURN NULL;
     END $fn$`,
  );
  await db.query(
    `CREATE TRIGGER ${CAPTURE} AFTER INSERT OR UPDATE OR DELETE ON ${target} FOR EACH ROW EXECUTE FUNCTION pg_temp.${CAPTURE}()`,
  );
}

async function stopCapture(db: Db, target: string): Promise<void> {
  await db.query(`DROP TRIGGER ${CAPTURE} ON ${target}`);
  await db.query(`DROP FUNCTION pg_temp.${CAPTURE}()`);
}

function keyOf(keyColumns: readonly string[], row: Row): Row {
  return Object.fromEntries(keyColumns.map((k) => [k, row[k]]));
}

/** Runs the statement and the verification inside the caller's open transaction. */
async function runInTransaction(
  db: Db,
  schema: string,
  fix: CheckedFix,
  expected: number,
  file: string,
): Promise<{ run: FixRun; table: TargetTable }> {
  const table = await prepare(db, schema, fix, file);
  await startCapture(db, table.qualified);
  const result = await db.query(fix.statement);
  const { rows: captured } = await db.query<{ op: TouchedRow["op"]; old: Row | null; new: Row | null }>(
    `SELECT op, old, new FROM pg_temp.${CAPTURE} ORDER BY seq`,
  );
  const verified = await db.query(fix.verify);
  const run: FixRun = {
    target: table.qualified.replace(/"/g, ""),
    keyColumns: table.keyColumns,
    rows: result.rowCount ?? captured.length,
    expected,
    touched: captured.map((c) => ({
      op: c.op,
      key: keyOf(table.keyColumns, (c.new ?? c.old)!),
      before: c.old,
      after: c.new,
    })),
    verifyRows: verified.rows.slice(0, VERIFY_SHOWN),
  };
  if (verified.rows.length > VERIFY_SHOWN)
    run.verifyRows.push({ "…": `${verified.rows.length - VERIFY_SHOWN} more rows` });
  return { run, table };
}

async function rolledBack<T>(db: Db, body: () => Promise<T>): Promise<T> {
  await db.query("BEGIN");
  try {
    return await body();
  } finally {
    await db.query("ROLLBACK").catch(() => undefined);
  }
}

/** What the fix would do, in a transaction that is always rolled back. */
export async function planFixRun(
  db: Db,
  schema: string,
  fix: CheckedFix,
  expected: number,
  file: string,
): Promise<FixRun> {
  return rolledBack(db, async () => (await runInTransaction(db, schema, fix, expected, file)).run);
}

/** Why a run must not be kept, or null when it may. */
export function refusal(run: FixRun): string | null {
  if (run.rows !== run.expected)
    return `the statement changed ${run.rows} rows of ${run.target}, the fix expects exactly ${run.expected} (expect.rows)`;
  if (run.verifyRows.length > 0)
    return `the verification query still returns rows afterwards (${JSON.stringify(run.verifyRows[0])}${run.verifyRows.length > 1 ? ", ..." : ""})`;
  return null;
}

export interface ApplyRecord {
  hash: string;
  stack: string;
  file: string;
  actor: string;
  commit: string | null;
  /** Inserts the audit row on the same session, inside the transaction. */
  audit(run: FixRun): Promise<number>;
  /**
   * The rows a reviewer saw (`fix plan --json` on the pull request): the run must touch exactly
   * these, with the same before and after, or it is rolled back. Compared inside the transaction,
   * so nothing can move between the comparison and the commit.
   */
  reviewed?: { touched: readonly TouchedRow[]; file: string };
}

/**
 * Applies in ONE transaction: run, refuse (roll back) unless exactly the expected rows changed and
 * the verification returns nothing, keep the before-images, record the fix by hash, audit, commit.
 * Returns null (nothing done) when the fix is applied already.
 */
export async function applyFixRun(
  db: Db,
  schema: string,
  fix: CheckedFix,
  expected: number,
  record: ApplyRecord,
): Promise<{ run: FixRun; auditId: number } | null> {
  await db.query("BEGIN");
  try {
    const applied = qualified(OPS_SCHEMA, TASK_OPS.fixApplied);
    const { rows: before } = await db.query<{ undone: boolean }>(
      `SELECT undone_at IS NOT NULL AS undone FROM ${applied} WHERE hash = $1 FOR UPDATE`,
      [record.hash],
    );
    if (before[0] && !before[0].undone) {
      await db.query("ROLLBACK");
      return null;
    }
    const { run, table } = await runInTransaction(db, schema, fix, expected, record.file);
    const why = refusal(run) ?? (record.reviewed ? differsFromReviewed(run, record.reviewed) : null);
    if (why) throw new FixRefused(`${record.file}: ${why}; rolled back, nothing was changed`);
    await stopCapture(db, table.qualified);
    // An undone fix applied again: its old record and before-images make way for the new ones.
    await db.query(`DELETE FROM ${applied} WHERE hash = $1`, [record.hash]);
    await db.query(
      `INSERT INTO ${applied} (hash, stack, file, target, rows, actor, commit)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [record.hash, record.stack, record.file, run.target, run.rows, record.actor, record.commit],
    );
    await db.query(
      `INSERT INTO ${qualified(OPS_SCHEMA, TASK_OPS.fixRow)} (hash, seq, op, before, after)
       SELECT $1, seq, op, old, new FROM pg_temp.${CAPTURE}`,
      [record.hash],
    );
    const auditId = await record.audit(run);
    await db.query("COMMIT");
    return { run, auditId };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Why a run is not what was reviewed (other rows, other values), or null when it is. */
function differsFromReviewed(
  run: FixRun,
  reviewed: { touched: readonly TouchedRow[]; file: string },
): string | null {
  const text = (rows: readonly TouchedRow[]) => rows.map((r) => canonicalJson(r)).sort();
  const now = text(run.touched);
  const seen = new Set(text(reviewed.touched));
  const moved = now.filter((r) => !seen.has(r)).length + Math.max(0, seen.size - now.length);
  if (moved === 0 && now.length === seen.size) return null;
  return (
    `the rows it changes now differ from the reviewed plan ${reviewed.file} (${moved} row(s) not as reviewed: ` +
    `the data moved since the review); plan it again and have the new plan reviewed`
  );
}

/** A row that changed since the fix wrote it: the fix's after-image and what the table holds now. */
export interface MovedRow {
  key: Row;
  wrote: Row | null;
  now: Row | null;
}

/**
 * Restores the before-images of an applied fix in ONE transaction, only if every row still holds
 * what the fix wrote; otherwise refuses naming the rows that moved since. `audit` runs inside it.
 */
export async function undoFixRun(
  db: Db,
  schema: string,
  applied: AppliedFix,
  file: string,
  audit: (restored: number) => Promise<number>,
): Promise<{ restored: number; auditId: number }> {
  const rowsTable = qualified(OPS_SCHEMA, TASK_OPS.fixRow);
  await db.query("BEGIN");
  try {
    const [, tableName] = applied.target.split(".") as [string, string];
    // Undoing an INSERT deletes rows: a foreign key cascading from them is refused like a DELETE fix.
    const { rows: ops } = await db.query<{ op: string }>(
      `SELECT DISTINCT op FROM ${rowsTable} WHERE hash = $1`,
      [applied.hash],
    );
    const kind = ops.some((o) => o.op === "INSERT") ? "DELETE" : "UPDATE";
    const table = await prepare(db, schema, { kind, table: tableName, tables: [tableName] }, file);
    const t = table.qualified;
    const keyJoin = (alias: string) =>
      table.keyColumns.map((k) => `t.${quoteIdent(k)} = ${alias}.${quoteIdent(k)}`).join(" AND ");
    // No one writes the table while its rows are compared and restored (the product waits briefly).
    await db.query(`LOCK TABLE ${t} IN SHARE ROW EXCLUSIVE MODE`);
    const { rows: current } = await db.query<{
      same: boolean;
      seq: number;
      op: TouchedRow["op"];
      before: Row | null;
      after: Row | null;
      now: Row | null;
    }>(
      `SELECT r.seq, r.op, r.before, r.after, to_jsonb(t) AS now, to_jsonb(t) IS NOT DISTINCT FROM r.after AS same
         FROM ${rowsTable} r
         CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, COALESCE(r.after, r.before)) AS k
         LEFT JOIN ${t} t ON ${keyJoin("k")}
        WHERE r.hash = $1 ORDER BY r.seq`,
      [applied.hash],
    );
    // A deleted row must not be back; an updated or inserted one must hold exactly what the fix wrote.
    const moved: MovedRow[] = current
      .filter((r) => (r.op === "DELETE" ? r.now !== null : !r.same))
      .map((r) => ({ key: keyOf(table.keyColumns, (r.after ?? r.before)!), wrote: r.after, now: r.now }));
    if (moved.length > 0) throw new RowsMovedError(file, applied.target, moved);
    const cols = table.columns.map(quoteIdent);
    await db.query(
      `DELETE FROM ${t} t USING ${rowsTable} r CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, r.after) AS k
        WHERE r.hash = $1 AND r.op = 'INSERT' AND ${keyJoin("k")}`,
      [applied.hash],
    );
    await db.query(
      `UPDATE ${t} t SET ${cols.map((c) => `${c} = b.${c}`).join(", ")}
         FROM ${rowsTable} r
         CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, r.after) AS k
         CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, r.before) AS b
        WHERE r.hash = $1 AND r.op = 'UPDATE' AND ${keyJoin("k")}`,
      [applied.hash],
    );
    await db.query(
      `INSERT INTO ${t} (${cols.join(", ")})
       SELECT ${cols.map((c) => `b.${c}`).join(", ")} FROM ${rowsTable} r
        CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, r.before) AS b
        WHERE r.hash = $1 AND r.op = 'DELETE' ORDER BY r.seq`,
      [applied.hash],
    );
    await db.query(
      `UPDATE ${qualified(OPS_SCHEMA, TASK_OPS.fixApplied)} SET undone_at = now() WHERE hash = $1`,
      [applied.hash],
    );
    const auditId = await audit(current.length);
    await db.query("COMMIT");
    return { restored: current.length, auditId };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** jsonb values as node-postgres returns them; key order may differ, so compare canonically. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson((a as Row)[k], (b as Row)[k]));
}

export class RowsMovedError extends Error {
  constructor(
    file: string,
    target: string,
    readonly moved: MovedRow[],
  ) {
    super(
      `${file}: cannot undo: ${moved.length} row(s) of ${target} changed since the fix wrote them, so restoring its before-image would overwrite someone's later change:\n` +
        moved
          .map((m) => {
            const key = Object.entries(m.key)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(", ");
            if (m.now === null) return `  ${target} (${key}): deleted since`;
            if (m.wrote === null) return `  ${target} (${key}): a row with this key exists again`;
            const changed = Object.keys(m.now).filter((c) => !sameJson(m.now![c], m.wrote![c]));
            return `  ${target} (${key}): ${changed.map((c) => `${c} is ${JSON.stringify(m.now![c])}, the fix wrote ${JSON.stringify(m.wrote![c])}`).join("; ")}`;
          })
          .join("\n") +
        `\nNothing was changed. Decide with the hospital what the rows should hold, and write a new fix for it.`,
    );
  }
}
