/**
 * The apply audit in ebill_ops.apply_audit.
 *
 * The database source writes its row INSIDE its apply transaction (insertAudit / updateAudit on
 * the apply's own session), so a committed change always has its record and a rolled-back one
 * never claims success; steps that cannot run in a transaction (tablespaces, hosts) are recorded
 * first as "started" and then completed. writeAudit (own connection, own transaction) records
 * what happened outside a transaction: a refusal before anything was touched, a failure after the
 * rollback, a hosts-only apply.
 *
 * A record's changes are stored once per apply in ebill_ops.change_list (storeChangeList) and named
 * by its records; `changes` (jsonb) keeps those of records written by older versions, and gets '[]'
 * from this one, so an older ebill-ops reading the table still works (docs/database.md).
 *
 * Every text goes through auditSafe: a NUL or a lone UTF-16 surrogate in a stack value must not
 * make the audit insert fail (PostgreSQL refuses both in text and jsonb), least of all when the
 * record is the only trace of a failed apply.
 */
import type { Environment } from "../model/environment.ts";
import type { AuditRecord } from "../plan/types.ts";
import { withClient } from "./connect.ts";
import { mapStrings } from "../base/map-strings.ts";
import type { Db } from "./providers/types.ts";
import { ensureOpsSchema, OPS, OPS_SCHEMA, qualified } from "./reference-schema.ts";

const UNSTORABLE = /[\0\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string PostgreSQL stores: NUL and lone surrogates written as visible `\u0000` escapes. */
export function auditSafeText(text: string): string {
  // Fast path: almost every text has neither (an audit of 50,000 changes walks a million strings).
  if (!UNSTORABLE.test(text)) return text;
  return text
    .replace(/\0/g, "\\u0000")
    .replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A deep copy with every string (and key) made storable; other values unchanged. */
export function auditSafe<T>(value: T): T {
  return mapStrings(value, auditSafeText);
}

/** The text of each list of changes already written: one apply writes the same list up to three times. */
const WRITTEN = new WeakMap<AuditRecord["changes"], string>();

/**
 * The changes as the audit stores them (JSON text). JSON.stringify escapes a NUL or a lone
 * surrogate (`\u0000`, `\ud800`), and PostgreSQL's JSON types refuse exactly those escapes: only a
 * text that has one takes the slow way through auditSafe (tens of thousands of changes need no deep
 * copy). A record's changes are never modified once planned, so their text is made once per list:
 * an apply records them as started, as committed and as finished, and hashes them (recordedHash).
 */
export function changesJson(changes: AuditRecord["changes"]): string {
  let text = WRITTEN.get(changes);
  if (text === undefined) {
    text = JSON.stringify(changes);
    if (/\\u0000|\\ud[89a-f]/i.test(text)) text = JSON.stringify(auditSafe(changes));
    WRITTEN.set(changes, text);
  }
  return text;
}

/** The lists being stored or stored, by database: every record of one apply names the same one. */
const STORED = new WeakMap<AuditRecord["changes"], Map<string, Promise<number>>>();

/**
 * Stores a record's list of changes in ebill_ops.change_list and returns its id: once per list and
 * database, committed at once, on `session` (a connection outside any transaction) or else on a
 * connection of its own. Why apart from the record: the list of a 50,000-row apply is 11 MB of
 * JSON, whose insert took a third of the apply inside its transaction; stored on its own connection
 * as the apply begins (applyDatabase), it is written while the apply writes the rows, and the
 * record, committed with the rows, only names it. Committed first, a list is never missing for a
 * committed record; a list whose apply was killed before any record named it stays, unnamed.
 */
export function storeChangeList(
  env: Pick<Environment, "kind" | "database" | "name">,
  changes: AuditRecord["changes"],
  session?: Db,
): Promise<number> {
  const where = `${env.database.host}:${env.database.port}/${env.database.name}`;
  let byDatabase = STORED.get(changes);
  if (!byDatabase) STORED.set(changes, (byDatabase = new Map()));
  let stored = byDatabase.get(where);
  if (!stored) {
    stored = session ? insertChangeList(session, env.name, changes) : insertApart(env, changes);
    byDatabase.set(where, stored);
    // A failed store is tried again by the next record that needs it.
    stored.catch(() => byDatabase.delete(where));
  }
  return stored;
}

async function insertChangeList(db: Db, stack: string, changes: AuditRecord["changes"]): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPS.changeList)} (stack, changes) VALUES ($1, $2::json) RETURNING id`,
    [auditSafeText(stack), changesJson(changes)],
  );
  return Number(rows[0]!.id);
}

function insertApart(
  env: Pick<Environment, "kind" | "database" | "name">,
  changes: AuditRecord["changes"],
): Promise<number> {
  return withClient(env, async (db) => {
    await ensureOpsSchema(db);
    return insertChangeList(db, env.name, changes);
  }).catch((error: unknown) => {
    throw new Error(
      `the audit's list of changes could not be stored on a second connection to the database ` +
        `(a large apply uses two: check the role's or the server's connection limit): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
}

/**
 * SQL for the changes of the audit record aliased `a`, as json: its stored list, or the jsonb
 * column of a record written by an older version. Only for a table that has change_list_id.
 */
export function recordedChangesSql(a: string): string {
  return `COALESCE((SELECT l.changes FROM ${qualified(OPS_SCHEMA, OPS.changeList)} l WHERE l.id = ${a}.change_list_id), ${a}.changes::json)`;
}

function values(record: AuditRecord, changeListId: number): unknown[] {
  const r = auditSafe({ ...record, changes: [] });
  return [
    r.stack,
    r.commit,
    r.actor,
    r.at,
    r.planHash,
    // `changes` (jsonb) gets '[]': older versions read it, this one the stored list.
    "[]",
    changeListId,
    r.result,
    r.error ?? null,
    r.emergency ?? null,
    r.rehearsedAt ?? null,
    Boolean(r.dirty),
    r.diffHash ?? null,
  ];
}

const COLUMNS =
  "stack, commit, actor, at, plan_hash, changes, change_list_id, result, error, emergency_reason, rehearsed_at, dirty, diff_hash, db_committed";

/**
 * Inserts a record on the caller's session (inside its transaction when one is open) and returns
 * its id. `dbCommitted` says the row commits together with the database changes it lists.
 */
export async function insertAudit(
  db: Db,
  env: Environment,
  record: AuditRecord,
  dbCommitted: boolean,
): Promise<number> {
  const listId = await storeChangeList(env, record.changes);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPS.audit)} (${COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [...values(record, listId), dbCommitted],
  );
  return Number(rows[0]!.id);
}

/** Rewrites record `id` (result, error, changes, ...) on the caller's session. */
export async function updateAudit(
  db: Db,
  env: Environment,
  id: number,
  record: AuditRecord,
  dbCommitted?: boolean,
): Promise<void> {
  const listId = await storeChangeList(env, record.changes);
  await db.query(
    `UPDATE ${qualified(OPS_SCHEMA, OPS.audit)}
        SET (${COLUMNS}) = ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, COALESCE($14, db_committed))
      WHERE id = $15`,
    [...values(record, listId), dbCommitted ?? null, id],
  );
}

/**
 * Writes a record in its own connection and transaction: a new row, or, given the id of the row
 * an apply already wrote ("started"), that row brought up to date. Returns the row's id.
 */
export async function writeAudit(env: Environment, record: AuditRecord, id?: number): Promise<number> {
  return withClient(env, async (db) => {
    await ensureOpsSchema(db);
    await storeChangeList(env, record.changes, db);
    if (id === undefined) return insertAudit(db, env, record, false);
    await updateAudit(db, env, id, record);
    return id;
  });
}

/** The newest `limit` records of the stack, newest (real time) first. Empty when nothing was ever applied. */
export async function listAudit(env: Environment, limit = 20): Promise<AuditRecord[]> {
  return withClient(env, async (db) => {
    const exists = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
      qualified(OPS_SCHEMA, OPS.audit),
    ]);
    if (!exists.rows[0]!.ok) return [];
    // Columns added by later versions may be missing in a database nobody applied to since.
    const { rows: columns } = await db.query<{ attname: string }>(
      "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
      [qualified(OPS_SCHEMA, OPS.audit)],
    );
    const has = new Set(columns.map((c) => c.attname));
    const optional = (name: string, type: string) => (has.has(name) ? name : `NULL::${type} AS ${name}`);
    const changes = has.has("change_list_id") ? recordedChangesSql("a") : "changes";
    const { rows } = await db.query<{
      stack: string;
      commit: string | null;
      actor: string;
      at: Date;
      plan_hash: string;
      changes: AuditRecord["changes"];
      result: AuditRecord["result"];
      error: string | null;
      emergency_reason: string | null;
      rehearsed_at: Date | null;
      dirty: boolean | null;
      diff_hash: string | null;
    }>(
      `SELECT stack, commit, actor, at, plan_hash, ${changes} AS changes, result, error, emergency_reason,
              ${optional("rehearsed_at", "timestamptz")}, ${optional("dirty", "boolean")}, ${optional("diff_hash", "text")}
         FROM ${qualified(OPS_SCHEMA, OPS.audit)} a WHERE stack = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [env.name, limit],
    );
    return rows.map((r) => {
      const record: AuditRecord = {
        stack: r.stack,
        commit: r.commit,
        actor: r.actor,
        at: r.at.toISOString(),
        planHash: r.plan_hash,
        changes: r.changes,
        result: r.result,
      };
      if (r.rehearsed_at !== null) record.rehearsedAt = r.rehearsed_at.toISOString();
      if (r.dirty) {
        record.dirty = true;
        if (r.diff_hash !== null) record.diffHash = r.diff_hash;
      }
      if (r.error !== null) record.error = r.error;
      if (r.emergency_reason !== null) record.emergency = r.emergency_reason;
      return record;
    });
  });
}
