/**
 * The per-stack apply lock: a PostgreSQL session advisory lock taken WITHOUT waiting
 * (pg_try_advisory_lock). It is released when the session ends, so a killed apply never leaves a
 * stuck lock. A row in ebill_ops.lock_holder names the holder for the message a second apply
 * prints; the row is only believed while the backend it names still holds the lock.
 */
import os from "node:os";
import { OPS, OPS_SCHEMA, qualified } from "./reference-schema.ts";
import type { Db } from "./providers/types.ts";

/** First key of the two-key advisory lock: the tool's own namespace ("EB11"). */
const LOCK_CLASS = 0x45423131;

export interface LockHolder {
  actor: string;
  host: string;
  pid: number;
  since: Date;
}

/** Who is applying: $EBILL_OPS_ACTOR, else $GITHUB_ACTOR (CI), else the OS user. */
export function currentActor(): string {
  return process.env.EBILL_OPS_ACTOR || process.env.GITHUB_ACTOR || os.userInfo().username;
}

export class LockBusyError extends Error {}

export function describeHolder(stack: string, holder: LockHolder | null): string {
  if (!holder)
    return `another apply of stack ${stack} is running (its holder did not record itself); wait for it to finish, then make a new plan`;
  return (
    `another apply of stack ${stack} is running: the lock is held by ${holder.actor} on ${holder.host} ` +
    `(pid ${holder.pid}) since ${holder.since.toISOString()}. Wait for it to finish, then make a new plan`
  );
}

/** Takes the lock or throws LockBusyError at once naming the holder. */
export async function acquireStackLock(db: Db, stack: string): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok", [
    LOCK_CLASS,
    stack,
  ]);
  if (!rows[0]!.ok) throw new LockBusyError(describeHolder(stack, await lockHolder(db, stack)));
  await db.query(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPS.lockHolder)} (stack, actor, host, pid, since, backend_pid)
     VALUES ($1, $2, $3, $4, now(), pg_backend_pid())
     ON CONFLICT (stack) DO UPDATE SET actor = EXCLUDED.actor, host = EXCLUDED.host, pid = EXCLUDED.pid,
                                       since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid`,
    [stack, currentActor(), os.hostname(), process.pid],
  );
}

/** The recorded holder, if the backend it names still holds the advisory lock. */
export async function lockHolder(db: Db, stack: string): Promise<LockHolder | null> {
  const { rows } = await db.query<{ actor: string; host: string; pid: number; since: Date }>(
    `SELECT h.actor, h.host, h.pid, h.since FROM ${qualified(OPS_SCHEMA, OPS.lockHolder)} h
      WHERE h.stack = $1
        AND EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid
                       AND l.classid::int = $2 AND l.objid::int = hashtext($1) AND l.objsubid = 2)`,
    [stack, LOCK_CLASS],
  );
  return rows[0] ?? null;
}

export async function releaseStackLock(db: Db, stack: string): Promise<void> {
  await db.query(
    `DELETE FROM ${qualified(OPS_SCHEMA, OPS.lockHolder)} WHERE stack = $1 AND backend_pid = pg_backend_pid()`,
    [stack],
  );
  await db.query("SELECT pg_advisory_unlock($1, hashtext($2))", [LOCK_CLASS, stack]);
}
