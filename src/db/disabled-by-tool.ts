/**
 * Which disabled rows ebill-ops itself disabled, as opposed to a person in the product: a row is
 * "ours" when the last change the audit records for it (in a committed apply of this stack) set
 * `enabled: false`. Re-enabling one a person disabled is destructive (invariants.ts); re-enabling
 * one a reviewed change disabled is an ordinary update.
 *
 * The answer is kept, not searched for: ebill_ops.disabled_by_tool holds the rows, written by the
 * write layer in the apply's own transaction (updateDisabledByTool), and disabled_through the
 * newest audit record it accounts for. Records after that mark were written by an ebill-ops older
 * than the table (a database upgraded, or a reverted tool applying in between); only those are read
 * from the audit's changes, and the next apply folds them in. Before the table, every plan read the
 * whole audit history: +0.2 s per 150,000 recorded changes on every plan and drift, and growing.
 */
import type { Change } from "../plan/types.ts";
import { recordedChangesSql } from "./audit.ts";
import type { Db } from "./providers/types.ts";
import { OPS, OPS_SCHEMA, qualified } from "./reference-schema.ts";

const AUDIT = qualified(OPS_SCHEMA, OPS.audit);
const ROWS = qualified(OPS_SCHEMA, OPS.disabledByTool);
const THROUGH = qualified(OPS_SCHEMA, OPS.disabledThrough);

/** A row's key in the sets below: its kind and id. */
export const rowKey = (kind: string, id: string): string => `${kind}\u0000${id}`;

function splitKey(key: string): [string, string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}

/** What the tool's schema of this database has (an older ebill-ops may have made it, or none). */
interface OpsLayout {
  kept: boolean;
  audited: boolean;
  changeList: boolean;
}

/** This version's layout, which an apply creates (ensureOpsSchema) before it writes. */
const APPLYING: OpsLayout = { kept: true, audited: true, changeList: true };

async function layoutOf(db: Db): Promise<OpsLayout> {
  const { rows } = await db.query<OpsLayout>(
    `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS kept,
            EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($3) AND attname = 'db_committed') AS audited,
            EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($3) AND attname = 'change_list_id') AS "changeList"`,
    [ROWS, THROUGH, AUDIT],
  );
  return rows[0]!;
}

/**
 * The last recorded write of each row in the committed records after `through` (and before
 * `until`, the apply's own record, whose changes the caller has): true when it disabled the row.
 * `only` limits the answer to those rows (a plan asks about the disabled ones).
 */
async function lastWritesAfter(
  db: Db,
  layout: OpsLayout,
  stack: string,
  through: number,
  options: { only?: readonly [string, string][]; until?: number } = {},
): Promise<Map<string, boolean>> {
  const { only, until = Number.MAX_SAFE_INTEGER } = options;
  const last = new Map<string, boolean>();
  if (!layout.audited) return last;
  const list = layout.changeList ? `(${recordedChangesSql("a")})::jsonb` : "a.changes";
  const filter = only ? `AND (c->>'kind', c->>'id') IN (SELECT * FROM unnest($4::text[], $5::text[]))` : "";
  const { rows } = await db.query<{ kind: string; id: string; off: boolean }>(
    `SELECT DISTINCT ON (c->>'kind', c->>'id') c->>'kind' AS kind, c->>'id' AS id,
            COALESCE(c->'after'->'enabled' = 'false'::jsonb, false) AS off
       FROM ${AUDIT} a CROSS JOIN LATERAL jsonb_array_elements(${list}) AS c
      WHERE a.stack = $1 AND a.db_committed AND a.id > $2 AND a.id < $3 ${filter}
      ORDER BY c->>'kind', c->>'id', a.id DESC`,
    only ? [stack, through, until, only.map((r) => r[0]), only.map((r) => r[1])] : [stack, through, until],
  );
  for (const r of rows) last.set(rowKey(r.kind, r.id), r.off);
  return last;
}

interface Kept {
  keys: Set<string>;
  through: number;
}

async function keptRows(db: Db, layout: OpsLayout, stack: string): Promise<Kept> {
  if (!layout.kept) return { keys: new Set(), through: 0 };
  const { rows } = await db.query<{ through: string; kinds: string[]; ids: string[] }>(
    `SELECT COALESCE((SELECT audit_id FROM ${THROUGH} WHERE stack = $1), 0)::text AS through,
            ARRAY(SELECT kind FROM ${ROWS} WHERE stack = $1 ORDER BY kind, id) AS kinds,
            ARRAY(SELECT id FROM ${ROWS} WHERE stack = $1 ORDER BY kind, id) AS ids`,
    [stack],
  );
  const { through, kinds, ids } = rows[0]!;
  return { keys: new Set(kinds.map((kind, i) => rowKey(kind, ids[i]!))), through: Number(through) };
}

/** Of `rows` (kind and id of rows disabled now), the keys of those ebill-ops disabled. */
export async function disabledByTool(
  db: Db,
  stack: string,
  rows: readonly [string, string][],
): Promise<Set<string>> {
  const layout = await layoutOf(db);
  const kept = await keptRows(db, layout, stack);
  const later = await lastWritesAfter(db, layout, stack, kept.through, { only: rows });
  const ours = new Set<string>();
  for (const [kind, id] of rows) {
    const key = rowKey(kind, id);
    if (later.get(key) ?? kept.keys.has(key)) ours.add(key);
  }
  return ours;
}

/**
 * Brings the table up to date in the apply's transaction, right after its audit record `auditId`
 * was written: folds in the records of older versions, then this apply's changes, and moves the
 * mark to this record. Three short statements when nothing was disabled; a rollback undoes it all.
 */
export async function updateDisabledByTool(
  db: Db,
  stack: string,
  changes: readonly Change[],
  auditId: number,
): Promise<void> {
  const layout = APPLYING; // the apply made sure of the tool's schema before its transaction
  const kept = await keptRows(db, layout, stack);
  const ours = new Set(kept.keys);
  const fold = (key: string, off: boolean) => (off ? ours.add(key) : ours.delete(key));
  const older = await lastWritesAfter(db, layout, stack, kept.through, { until: auditId });
  for (const [key, off] of older) fold(key, off);
  for (const c of changes) fold(rowKey(c.kind, c.id), c.after?.enabled === false);
  const gone = [...kept.keys].filter((k) => !ours.has(k)).map(splitKey);
  const added = [...ours].filter((k) => !kept.keys.has(k)).map(splitKey);
  if (gone.length > 0)
    await db.query(
      `DELETE FROM ${ROWS} WHERE stack = $1 AND (kind, id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [stack, gone.map((r) => r[0]), gone.map((r) => r[1])],
    );
  if (added.length > 0)
    await db.query(
      `INSERT INTO ${ROWS} (stack, kind, id, audit_id) SELECT $1, * , $4 FROM unnest($2::text[], $3::text[])`,
      [stack, added.map((r) => r[0]), added.map((r) => r[1]), auditId],
    );
  await db.query(
    `INSERT INTO ${THROUGH} (stack, audit_id) VALUES ($1, $2)
     ON CONFLICT (stack) DO UPDATE SET audit_id = GREATEST(${THROUGH}.audit_id, EXCLUDED.audit_id)`,
    [stack, auditId],
  );
}
