/** What every day-2 task shares: the hospital's clock, a reason for the audit, the database's lock. */
import { localDate, now } from "../base/time.ts";
import { withClient } from "../db/connect.ts";
import { acquireDatabaseLock, releaseDatabaseLock } from "../db/lock.ts";
import type { Db } from "../db/providers/types.ts";
import { ensureOpsSchema, OPS_SCHEMA, qualified } from "../db/reference-schema.ts";
import { ensureTasksSchema, TASK_OPS } from "../db/schema-tasks.ts";
import { listTaskAudit, type StoredTaskRecord } from "../db/task-audit.ts";
import type { StackContext } from "./context.ts";

/** The hospital's local time now, `YYYY-MM-DD HH:MM:SS` (seconds dropped: the clock of a person). */
export function hospitalNow(ctx: Pick<StackContext, "env">): string {
  const d = localDate(now(), ctx.env.maintenance.timezone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}:00`;
}

export function requireReason(reason: string | undefined): string {
  const text = (reason ?? "").trim();
  if (text.length < 4)
    throw new Error(
      "--reason is required: say why (the ticket or the person who called), it is kept in the audit. Nothing was changed.",
    );
  return text;
}

/** Runs `body` with the tasks' schema in place, under the database's apply lock. */
export async function underLock<T>(ctx: StackContext, body: (db: Db) => Promise<T>): Promise<T> {
  return withClient(ctx.env, async (db) => {
    await ensureOpsSchema(db);
    await ensureTasksSchema(db);
    await acquireDatabaseLock(db, ctx.env.name);
    try {
      return await body(db);
    } finally {
      await releaseDatabaseLock(db, ctx.env.name).catch(() => undefined);
    }
  });
}

/** The stack's task records, newest first; empty when no task ever ran (the table is missing). */
export async function readTaskHistory(
  ctx: Pick<StackContext, "env">,
  limit: number,
): Promise<StoredTaskRecord[]> {
  return withClient(ctx.env, async (db) => {
    const { rows } = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
      qualified(OPS_SCHEMA, TASK_OPS.audit),
    ]);
    return rows[0]!.ok ? listTaskAudit(db, ctx.env.name, limit) : [];
  });
}
