/**
 * The database as a PlanSource (contract in src/plan/types.ts).
 *
 * plan(env): every kind read with one query each, all in ONE read-only repeatable-read
 *   transaction (a consistent snapshot), then diffed (src/db/diff.ts). liveHash = sha256 of the
 *   canonical live state (src/db/live.ts).
 *
 * apply(env, changes, {allowDestroy, expectedLiveHash}):
 *   1. refuses destructive changes without allowDestroy, before connecting;
 *   2. takes the per-stack advisory lock without waiting; busy -> fails at once naming the holder;
 *   3. tablespace creates/replaces, if any, run first: PostgreSQL refuses CREATE / DROP TABLESPACE
 *      inside a transaction block. They are checked against the saved hash first, and undone
 *      (dropped, they are empty) if the transaction later fails. A process killed right there
 *      leaves at most an empty tablespace: the next plan sees it as already created and the rerun
 *      converges;
 *   4. ONE transaction: re-reads the live state, refuses if its hash differs from the plan's
 *      ("the live state changed since the plan was made"), refuses what is never done (dropping a
 *      tablespace or partition holding data, deleting a row issued bills use), then writes every
 *      kind in batches (creates/updates in dependency order, deletes in reverse) and commits. A
 *      killed process or a failure rolls all of it back: the database is exactly as before;
 *   5. after the commit, tablespaces planned for deletion are dropped (empty by then). Killed
 *      before that, the next plan shows the drop again and a rerun converges.
 */
import type { Environment } from "../model/environment.ts";
import { DATABASE_KINDS, type DatabaseKind } from "../model/environment.ts";
import type { Change, PlanSource } from "../plan/types.ts";
import { connect } from "./connect.ts";
import { planChanges, SOURCE_NAME, stockCutBelowUsed } from "./diff.ts";
import { hashLiveState, readLiveState, schemaExists, type LiveState } from "./live.ts";
import { acquireStackLock, releaseStackLock } from "./lock.ts";
import { providerOf } from "./providers/index.ts";
import { createTablespaces, dropTablespaces } from "./providers/storage.ts";
import type { Db } from "./providers/types.ts";
import { opsSchemaDdl, schemaOf } from "./reference-schema.ts";

export const STALE_PLAN_MESSAGE = "the live state changed since the plan was made; make a new plan";

/** How long an apply waits for a row or table lock held by the running product before giving up. */
const LOCK_TIMEOUT = "15s";

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
  const live = await readSnapshot(db, env);
  return { changes: planChanges(env, live), liveHash: hashLiveState(live) };
}

function checkChanges(changes: Change[]): void {
  for (const c of changes) {
    providerOf(c.kind); // throws for an unknown kind
    if (c.action !== "delete" && !c.after)
      throw new Error(`change ${c.kind} ${c.id} (${c.action}) has no 'after'`);
    if (c.action === "delete" && !c.before)
      throw new Error(`change ${c.kind} ${c.id} (delete) has no 'before'`);
  }
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

/** What is never done, checked against the live state read inside the apply transaction. */
function refuseNever(changes: Change[], live: LiveState, env: Environment): void {
  const liveOf = (kind: DatabaseKind, id: string) => live[kind].find((o) => o.id === id);
  const problems: string[] = [];
  const droppedPartitions = new Set(
    changes.filter((c) => c.kind === "partitions" && c.action === "delete").map((c) => c.id),
  );
  for (const c of changes) {
    const object = liveOf(c.kind as DatabaseKind, c.id);
    if (c.kind === "partitions" && object?.usage.holdsData) {
      if (c.action === "delete")
        problems.push(`partition ${c.id} holds bills: a partition holding data is never dropped`);
      if (c.action === "update" && c.after?.tablespace !== object.fields.tablespace)
        problems.push(
          `partition ${c.id} holds bills: moving it to another tablespace is done by hand in a maintenance window`,
        );
    }
    if (c.kind === "tablespaces" && (c.action === "delete" || c.action === "replace") && object) {
      const inIt = live.partitions.filter(
        (p) => p.fields.tablespace === c.id && !droppedPartitions.has(p.id),
      );
      const other = object.usage.otherRelations ?? 0;
      if (inIt.length > 0 || other > 0)
        problems.push(
          `tablespace ${c.id} holds ${[...inIt.map((p) => `partition ${p.id}`), ...(other ? [`${other} other relations`] : [])].join(", ")}: a tablespace holding data is never dropped`,
        );
    }
    const cut = c.action === "update" && c.after ? stockCutBelowUsed(c.kind, c.after, object) : null;
    if (cut) problems.push(`${c.kind} ${c.id}: ${cut.replace(/^refused: /, "")}`);
    if (c.action === "delete" && object?.usage.bills)
      problems.push(`${c.kind} ${c.id} is used by issued bills: it can only be disabled (make a new plan)`);
  }
  if (problems.length > 0)
    throw new Error(
      `refused for stack ${env.name}; nothing was changed:\n${problems.map((p) => `  ${p}`).join("\n")}`,
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

/** Writes `changes` (already checked) in the open transaction, in batches per kind. */
export async function writeChanges(db: Db, env: Environment, changes: Change[]): Promise<void> {
  const ctx = { env, schema: schemaOf(env) };
  const ofKind = (kind: DatabaseKind, deletes: boolean) =>
    changes.filter(
      (c) =>
        c.kind === kind &&
        (c.action === "delete") === deletes &&
        !(kind === "tablespaces" && c.action !== "update"),
    );
  for (const kind of DATABASE_KINDS) {
    const part = ofKind(kind, false);
    if (part.length > 0) await providerOf(kind).write(db, ctx, part);
  }
  for (const kind of [...DATABASE_KINDS].reverse()) {
    const part = ofKind(kind, true);
    if (part.length > 0) await providerOf(kind).write(db, ctx, part);
  }
}

export async function applyDatabase(
  db: Db,
  env: Environment,
  changes: Change[],
  options: { allowDestroy: boolean; expectedLiveHash?: string },
): Promise<void> {
  checkChanges(changes);
  refuseDestructive(changes, options.allowDestroy);
  if (changes.length === 0) return;
  await ensureSchema(db, env);
  await db.query(opsSchemaDdl());
  await acquireStackLock(db, env.name);
  const early = changes.filter(
    (c) => c.kind === "tablespaces" && (c.action === "create" || c.action === "replace"),
  );
  const late = changes.filter((c) => c.kind === "tablespaces" && c.action === "delete").map((c) => c.id);
  let created: string[] = [];
  try {
    if (early.length > 0) {
      const before = await readSnapshot(db, env);
      checkHash(before, options.expectedLiveHash);
      refuseNever(changes, before, env);
      created = await createTablespaces(db, env, early);
    }
    await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    try {
      await db.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      const live = await readLiveState(db, env);
      checkHash(withoutOurTablespaces(live, early), options.expectedLiveHash);
      refuseNever(changes, live, env);
      await writeChanges(db, env, changes);
      await db.query("COMMIT");
    } catch (error) {
      await db.query("ROLLBACK").catch(() => undefined);
      // Our own tablespaces are empty: undo them so a failure leaves things as they were.
      await dropTablespaces(
        db,
        created.filter((id) => early.find((c) => c.id === id)?.action === "create"),
      ).catch(() => undefined);
      throw error;
    }
    try {
      await dropTablespaces(db, late);
    } catch (error) {
      throw new Error(
        `every other change was committed, but dropping tablespace(s) ${late.join(", ")} failed: ` +
          `${error instanceof Error ? error.message : String(error)}. It may still hold objects of another database; ` +
          `the next plan shows the drop again`,
      );
    }
  } finally {
    await releaseStackLock(db, env.name).catch(() => undefined);
  }
}

export const databaseSource: PlanSource = {
  name: SOURCE_NAME,
  async available(env) {
    if (!declaresAny(env))
      return {
        ok: false,
        reason: "the stack declares none of the database kinds (tablespaces, billTypes, ...)",
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
