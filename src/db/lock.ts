/**
 * One apply at a time per DATABASE, and one stack per database.
 *
 * The lock: a PostgreSQL session advisory lock taken WITHOUT waiting (pg_try_advisory_lock).
 * Advisory locks live inside one database, so a fixed key is exactly one lock per target
 * database, whatever the stack is called: two stacks pointed at the same database cannot apply at
 * the same time. It is released when the session ends, so a killed apply never leaves a stuck
 * lock. A row in ebill_ops.lock_holder names the holder for the message a second apply prints; the
 * row is only believed while the backend it names still holds the lock.
 *
 * The owner: ebill_ops.owner records the stack that manages the database (claimed by its first
 * apply, inside that apply's transaction). Another stack is refused naming the owner, in plan as in
 * apply: its plan would show the owner's objects as planned away (and each stack would report the
 * other's as drift).
 */
import os from "node:os";
import { actor } from "../base/actor.ts";
import { OPS, OPS_SCHEMA, qualified } from "./reference-schema.ts";
import type { Db } from "./providers/types.ts";

/** First key of the two-key advisory lock: the tool's own namespace ("EB11"). */
const LOCK_CLASS = 0x45423131;
/** Second key: constant, because the advisory lock space is already per database. */
const DATABASE_KEY = 0;

export interface LockHolder {
  stack: string;
  actor: string;
  host: string;
  pid: number;
  since: Date;
}

export class LockBusyError extends Error {}

export function describeHolder(database: string, holder: LockHolder | null): string {
  if (!holder)
    return `another apply is running on database ${database} (its holder did not record itself); wait for it to finish, then make a new plan`;
  return (
    `another apply of stack ${holder.stack} is running on database ${database}: the lock is held by ${holder.actor} on ${holder.host} ` +
    `(pid ${holder.pid}) since ${holder.since.toISOString()}. Wait for it to finish, then make a new plan`
  );
}

async function databaseName(db: Db): Promise<string> {
  const { rows } = await db.query<{ name: string }>("SELECT current_database() AS name");
  return rows[0]!.name;
}

/** Takes the database's apply lock or throws LockBusyError at once naming the holder. */
export async function acquireDatabaseLock(db: Db, stack: string): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [
    LOCK_CLASS,
    DATABASE_KEY,
  ]);
  if (!rows[0]!.ok) throw new LockBusyError(describeHolder(await databaseName(db), await lockHolder(db)));
  await db.query(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPS.lockHolder)} (stack, actor, host, pid, since, backend_pid)
     VALUES ($1, $2, $3, $4, now(), pg_backend_pid())
     ON CONFLICT (stack) DO UPDATE SET actor = EXCLUDED.actor, host = EXCLUDED.host, pid = EXCLUDED.pid,
                                       since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid`,
    [stack, actor(), os.hostname(), process.pid],
  );
}

/** The recorded holder, if the backend it names holds the database's advisory lock right now. */
export async function lockHolder(db: Db): Promise<LockHolder | null> {
  const { rows } = await db.query<LockHolder>(
    `SELECT h.stack, h.actor, h.host, h.pid, h.since FROM ${qualified(OPS_SCHEMA, OPS.lockHolder)} h
      WHERE EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid
                       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                       AND l.classid::int = $1 AND l.objid::int = $2 AND l.objsubid = 2)
      ORDER BY h.since DESC LIMIT 1`,
    [LOCK_CLASS, DATABASE_KEY],
  );
  return rows[0] ?? null;
}

export async function releaseDatabaseLock(db: Db, stack: string): Promise<void> {
  await db.query(
    `DELETE FROM ${qualified(OPS_SCHEMA, OPS.lockHolder)} WHERE stack = $1 AND backend_pid = pg_backend_pid()`,
    [stack],
  );
  await db.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_CLASS, DATABASE_KEY]);
}

export interface Owner {
  stack: string;
  actor: string;
  since: Date;
}

/** The stack recorded as owning the database; null when none is (or the tool's schema is missing). */
export async function databaseOwner(db: Db): Promise<Owner | null> {
  const { rows: exists } = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
    qualified(OPS_SCHEMA, OPS.owner),
  ]);
  if (!exists[0]!.ok) return null;
  const { rows } = await db.query<Owner>(
    `SELECT stack, actor, since FROM ${qualified(OPS_SCHEMA, OPS.owner)} LIMIT 1`,
  );
  return rows[0] ?? null;
}

export class OwnedByAnotherStack extends Error {}

function ownedMessage(database: string, owner: Owner, stack: string): string {
  return (
    `database ${database} is managed by stack '${owner.stack}' (recorded by ${owner.actor} on ${owner.since.toISOString()}), not '${stack}'. ` +
    `One database has one owning stack: a second one would plan the first one's objects away. ` +
    `Point stack '${stack}' at its own database; if '${owner.stack}' was renamed to '${stack}', a DBA records the new name with ` +
    `UPDATE ${OPS_SCHEMA}.${OPS.owner} SET stack = '${stack}'. Nothing was changed.`
  );
}

/** Refuses (OwnedByAnotherStack) when the database belongs to another stack. Read-only: plan and drift. */
export async function refuseOtherOwner(db: Db, stack: string): Promise<void> {
  const owner = await databaseOwner(db);
  if (owner && owner.stack !== stack)
    throw new OwnedByAnotherStack(ownedMessage(await databaseName(db), owner, stack));
}

/**
 * Inside the apply transaction, under the lock: records `stack` as the owner if there is none yet
 * (committed together with its first changes), refuses if it is another stack.
 */
export async function claimOwnership(db: Db, stack: string): Promise<void> {
  await db.query(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPS.owner)} (stack, actor) VALUES ($1, $2) ON CONFLICT (one) DO NOTHING`,
    [stack, actor()],
  );
  await refuseOtherOwner(db, stack);
}
