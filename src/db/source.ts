/**
 * The database as a PlanSource (contract in src/plan/types.ts).
 *
 * plan(env): every kind read with one query each, all in ONE read-only repeatable-read
 *   transaction (a consistent snapshot), then diffed (src/db/diff.ts) and judged as the write layer
 *   will judge it (src/db/invariants.ts); bills that use what is disabled or removed are counted.
 *   liveHash = sha256 of the canonical live state (src/db/live.ts). A database owned by another
 *   stack is refused (src/db/lock.ts).
 *
 * apply(env, changes, {allowDestroy, expectedLiveHash, audit}):
 *   1. refuses changes flagged destructive without allowDestroy, before connecting;
 *   2. takes the database's advisory lock without waiting; busy -> fails at once naming the holder;
 *   3. tablespace creates/replaces, if any, run first: PostgreSQL refuses CREATE / DROP TABLESPACE
 *      inside a transaction block. They are checked against the saved hash and the write layer's
 *      rules first, recorded in the audit as "started" (the intent), and undone (dropped, they are
 *      empty) if the transaction later fails. A process killed right there leaves at most an empty
 *      tablespace and a "started" audit row: the next plan sees it as already created and the rerun
 *      converges;
 *   4. ONE transaction: re-reads the live state, refuses if its hash differs from the plan's
 *      ("the live state changed since the plan was made"), claims (or checks) the database's
 *      owner, enforces the write layer's rules on the changes as they will be written
 *      (src/db/invariants.ts), writes every kind in batches (creates/updates in dependency order,
 *      deletes in reverse), writes the audit row, and commits. Changes and their audit row commit
 *      together or not at all: a killed process or a failure rolls all of it back;
 *   5. after the commit, tablespaces planned for deletion are dropped (empty by then) and the audit
 *      row is completed. Killed before that, the row says "started" with what was pending, the
 *      next plan shows the drop again and a rerun converges.
 */
import { actor } from "../base/actor.ts";
import { sha256 } from "../base/canonical.ts";
import type { Environment } from "../model/environment.ts";
import { DATABASE_KINDS } from "../model/environment.ts";
import type { AuditHook, AuditRecord, Change, PlanSource } from "../plan/types.ts";
import { changesJson, insertAudit, storeChangeList, updateAudit } from "./audit.ts";
import { updateDisabledByTool } from "./disabled-by-tool.ts";
import { countBills } from "./bill-counts.ts";
import { connect, DatabaseNotAnswering } from "./connect.ts";
import { annotate, planChanges, SOURCE_NAME } from "./diff.ts";
import { enforceInvariants, readWriteFacts } from "./invariants.ts";
import { hashLiveState, readLiveState, schemaExists, type LiveState } from "./live.ts";
import { acquireDatabaseLock, claimOwnership, refuseOtherOwner, releaseDatabaseLock } from "./lock.ts";
import { providerOf } from "./providers/index.ts";
import { createTablespaces, dropTablespaces } from "./providers/storage.ts";
import type { Db } from "./providers/types.ts";
import { ensureOpsSchema, schemaOf } from "./reference-schema.ts";

export const STALE_PLAN_MESSAGE = "the live state changed since the plan was made; make a new plan";

function declaresAny(env: Environment): boolean {
  return DATABASE_KINDS.some((kind) => env[kind] !== undefined);
}

async function ensureSchema(db: Db, env: Environment): Promise<void> {
  const schema = schemaOf(env);
  if (!(await schemaExists(db, schema)))
    throw new Error(
      `the database of stack ${env.name} has no e-bill schema '${schema}' (table ${schema}.bill not found): ` +
        `check database.schema in the stack${env.kind === "sandbox" ? ", or run 'ebill-ops sandbox up'" : ""}`,
    );
}

/** Reads the live state in one read-only repeatable-read transaction. */
export async function readSnapshot(db: Db, env: Environment): Promise<LiveState> {
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const live = await readLiveState(db, env);
    await db.query("COMMIT");
    return live;
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

export async function planDatabase(
  db: Db,
  env: Environment,
): Promise<{ changes: Change[]; liveHash: string }> {
  await ensureSchema(db, env);
  await refuseOtherOwner(db, env.name);
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const live = await readLiveState(db, env);
    const changes = planChanges(env, live);
    annotate(env, live, changes, await readWriteFacts(db, env, changes, live));
    await countBills(db, env, changes, live);
    await db.query("COMMIT");
    return { changes, liveHash: hashLiveState(live) };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

function checkChanges(env: Environment, changes: Change[]): void {
  const problems: string[] = [];
  for (const c of changes) {
    if (!(DATABASE_KINDS as readonly string[]).includes(c.kind))
      problems.push(`'${c.kind}' is not a database kind (known: ${DATABASE_KINDS.join(", ")})`);
    else if (c.action !== "delete" && !c.after)
      problems.push(`change ${c.kind} ${c.id} (${c.action}) has no 'after'`);
    else if (c.action === "delete" && !c.before)
      problems.push(`change ${c.kind} ${c.id} (delete) has no 'before'`);
  }
  if (problems.length > 0)
    throw new Error(
      `refused for stack ${env.name}; nothing was changed:\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
}

export function refuseDestructive(changes: Change[], allowDestroy: boolean): void {
  if (allowDestroy) return;
  const destructive = changes.filter((c) => c.destructive);
  if (destructive.length === 0) return;
  throw new Error(
    `refused: ${destructive.length} destructive change${destructive.length === 1 ? "" : "s"} need --allow-destroy; nothing was changed:\n` +
      destructive.map((c) => `  ${c.action} ${c.kind} ${c.id}${c.note ? ` (${c.note})` : ""}`).join("\n"),
  );
}

/** The live state as it was before our own tablespace creates, for comparing with the plan's hash. */
function withoutOurTablespaces(live: LiveState, created: Change[]): LiveState {
  const byId = new Map(created.map((c) => [c.id, c]));
  const tablespaces = live.tablespaces.flatMap((o) => {
    const c = byId.get(o.id);
    if (!c) return [o];
    return c.action === "replace" ? [{ ...o, fields: c.before! }] : [];
  });
  return { ...live, tablespaces };
}

function checkHash(live: LiveState, expected: string | undefined): void {
  if (expected !== undefined && hashLiveState(live) !== expected) throw new Error(STALE_PLAN_MESSAGE);
}

/**
 * Writes `changes` in the open transaction, in batches per kind: creates and updates in the kinds'
 * order, then deletes in reverse. Only ever called right after enforceInvariants on the same changes
 * and the live state of the same transaction.
 */
async function writeChanges(db: Db, env: Environment, changes: Change[]): Promise<void> {
  const ctx = { env, schema: schemaOf(env) };
  const parts = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.kind === "tablespaces" && c.action !== "update") continue; // created and dropped outside the transaction
    const key = `${c.kind}:${c.action === "delete"}`;
    const part = parts.get(key);
    if (part) part.push(c);
    else parts.set(key, [c]);
  }
  for (const kind of DATABASE_KINDS) {
    const part = parts.get(`${kind}:false`);
    if (part) await providerOf(kind).write(db, ctx, part);
  }
  for (const kind of [...DATABASE_KINDS].reverse()) {
    const part = parts.get(`${kind}:true`);
    if (part) await providerOf(kind).write(db, ctx, part);
  }
}

/**
 * The audit row of a write whose caller brought none: who, when (the real time), what. There is no
 * plan to name, so its hash is that of the changes as the row records them. Read when the row is
 * written (a getter), by when the text exists: storeChangeList made it while the rows were written,
 * so the apply itself does not wait for the JSON of 50,000 changes.
 */
function ownRecord(env: Environment, changes: Change[]): AuditHook {
  return {
    final: true,
    record: {
      stack: env.name,
      commit: null,
      actor: actor(),
      at: new Date().toISOString(),
      get planHash() {
        return sha256(changesJson(changes));
      },
      changes,
      result: "ok",
    },
  };
}

/**
 * A list of changes of this size or more is stored on a connection of its own while the rows are
 * written: opening one costs about what storing a thousand changes does (authentication included).
 */
const LIST_STORED_APART = 1000;

/**
 * Starts storing the audit's list of changes (storeChangeList): a short one on the apply's session
 * before its transaction, a long one on a connection of its own, waited for by the first record.
 */
async function startChangeList(db: Db, env: Environment, changes: Change[]): Promise<void> {
  if (changes.length < LIST_STORED_APART) await storeChangeList(env, changes, db);
  else storeChangeList(env, changes).catch(() => undefined);
}

/** Best effort, on the apply's own session (it may be gone): the failure of a write without a caller's record. */
async function recordFailure(db: Db, env: Environment, audit: AuditHook, error: unknown): Promise<void> {
  const failed: AuditRecord = {
    ...audit.record,
    result: "failed",
    error: error instanceof Error ? error.message : String(error),
  };
  await (
    audit.id === undefined ? insertAudit(db, env, failed, false) : updateAudit(db, env, audit.id, failed)
  ).catch(() => undefined);
}

/** What an audit row in state "started" says is still to come. */
function pending(steps: string[]): string {
  return `started; not finished yet: ${steps.join(", ")}`;
}

function auditAs(record: AuditRecord, result: AuditRecord["result"], steps: string[]): AuditRecord {
  const copy: AuditRecord = { ...record, result };
  if (result === "started") copy.error = pending(steps);
  else delete copy.error;
  return copy;
}

/**
 * Applies `changes` to the database: the write layer. Every origin of database changes (the
 * runner's apply, the Pulumi provider, a future task) goes through here, so its rules hold whatever
 * the changes say about themselves.
 */
export async function applyDatabase(
  db: Db,
  env: Environment,
  changes: Change[],
  options: { allowDestroy: boolean; expectedLiveHash?: string; audit?: AuditHook },
): Promise<void> {
  checkChanges(env, changes);
  refuseDestructive(changes, options.allowDestroy);
  if (changes.length === 0) return;
  await ensureSchema(db, env);
  await ensureOpsSchema(db);
  await acquireDatabaseLock(db, env.name);
  const early = changes.filter(
    (c) => c.kind === "tablespaces" && (c.action === "create" || c.action === "replace"),
  );
  const late = changes.filter((c) => c.kind === "tablespaces" && c.action === "delete").map((c) => c.id);
  // No write without its record: a caller that brings no audit row (a future task, a test) gets one.
  const audit = options.audit ?? ownRecord(env, changes);
  const lateSteps = late.length > 0 ? [`dropping tablespace(s) ${late.join(", ")} after the commit`] : [];
  const laterSources = audit.final ? [] : ["the sources applied after the database (hosts)"];
  let created: string[] = [];
  try {
    await refuseOtherOwner(db, env.name);
    await startChangeList(db, env, audit.record.changes);
    if (early.length > 0) {
      const before = await readSnapshot(db, env);
      checkHash(before, options.expectedLiveHash);
      await enforceInvariants(db, env, changes, before, options);
      // The intent, committed before the first step that no transaction can undo.
      const intent = auditAs(audit.record, "started", [
        `creating tablespace(s) ${early.map((c) => c.id).join(", ")} before the transaction`,
        "the transaction",
        ...lateSteps,
        ...laterSources,
      ]);
      audit.id = await insertAudit(db, env, intent, false);
      audit.written = "started";
      created = await createTablespaces(db, env, early);
    }
    let committing = false;
    await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    try {
      const live = await readLiveState(db, env);
      checkHash(withoutOurTablespaces(live, early), options.expectedLiveHash);
      await claimOwnership(db, env.name);
      await enforceInvariants(db, env, changes, live, options);
      await writeChanges(db, env, changes);
      // The record commits with the changes, or neither does.
      const steps = [...lateSteps, ...laterSources];
      const record = auditAs(audit.record, steps.length > 0 ? "started" : "ok", steps);
      if (audit.id === undefined) audit.id = await insertAudit(db, env, record, true);
      else await updateAudit(db, env, audit.id, record, true);
      await updateDisabledByTool(db, env.name, changes, audit.id);
      audit.written = record.result;
      committing = true;
      await db.query("COMMIT");
    } catch (error) {
      if (committing && error instanceof DatabaseNotAnswering)
        throw new DatabaseNotAnswering(
          `${error.message}. The database did not confirm the COMMIT, so whether this apply's changes were committed is unknown: ` +
            `'ebill-ops history --stack ${env.name}' tells (the audit row commits together with the changes)`,
        );
      await db.query("ROLLBACK").catch(() => undefined);
      if (audit.id !== undefined) audit.written = "started";
      // Our own tablespaces are empty: undo them so a failure leaves things as they were.
      await dropTablespaces(
        db,
        created.filter((id) => early.find((c) => c.id === id)?.action === "create"),
      ).catch(() => undefined);
      throw error;
    }
    if (late.length > 0) await dropAfterCommit(db, env, late, audit, laterSources.length > 0);
  } catch (error) {
    // A caller with its own record (applyPlan, Pulumi) records the failure itself.
    if (!options.audit) await recordFailure(db, env, audit, error);
    throw error;
  } finally {
    await releaseDatabaseLock(db, env.name).catch(() => undefined);
  }
}

/**
 * Tablespaces a plan deletes go after the commit (DROP TABLESPACE cannot run in a transaction);
 * the audit row says "ok" only once they are gone and no later source is still to run.
 */
async function dropAfterCommit(
  db: Db,
  env: Environment,
  late: string[],
  audit: AuditHook,
  laterSourcesToRun: boolean,
): Promise<void> {
  try {
    await dropTablespaces(db, late);
  } catch (error) {
    throw new Error(
      `every other change was committed, but dropping tablespace(s) ${late.join(", ")} failed: ` +
        `${error instanceof Error ? error.message : String(error)}. It may still hold objects of another database; ` +
        `the next plan shows the drop again`,
    );
  }
  if (audit.id !== undefined && !laterSourcesToRun) {
    await updateAudit(db, env, audit.id, auditAs(audit.record, "ok", []));
    audit.written = "ok";
  }
}

export const databaseSource: PlanSource = {
  name: SOURCE_NAME,
  auditsInTransaction: true,
  async available(env) {
    if (!declaresAny(env))
      return {
        ok: false,
        reason: "the stack declares none of the database kinds (tablespaces, billTypes, ...)",
        notApplicable: true,
      };
    return { ok: true };
  },
  async plan(env) {
    const db = await connect(env);
    try {
      return await planDatabase(db, env);
    } finally {
      await db.end().catch(() => undefined);
    }
  },
  async apply(env, changes, options) {
    const mine = changes.filter((c) => c.source === undefined || c.source === SOURCE_NAME);
    if (mine.length === 0) return;
    refuseDestructive(mine, options.allowDestroy);
    const db = await connect(env);
    try {
      await applyDatabase(db, env, mine, options);
    } finally {
      await db.end().catch(() => undefined);
    }
  },
};
