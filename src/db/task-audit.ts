/**
 * The task audit (ebill_ops.task_audit): one row per task that changed something, written on the
 * task's own session INSIDE its transaction, so a committed change always has its record and a
 * rolled-back one has none. Reasons and details go through auditSafe like the apply audit; a
 * secret (a one-time password, its hash) is never given to it.
 */
import { auditSafe, auditSafeText } from "./audit.ts";
import type { Db } from "./providers/types.ts";
import { OPS_SCHEMA, qualified } from "./reference-schema.ts";
import { TASK_OPS } from "./schema-tasks.ts";

export type TaskName =
  "account.unlock" | "account.reset-password" | "fix.apply" | "fix.undo" | "retry.archive" | "retry.push";

export interface TaskRecord {
  stack: string;
  task: TaskName;
  /** The account, or the fix file. */
  subject: string;
  actor: string;
  commit: string | null;
  reason: string;
  detail: Record<string, unknown>;
  emergency?: string;
}

export interface StoredTaskRecord extends TaskRecord {
  id: number;
  at: string;
}

export async function insertTaskAudit(db: Db, record: TaskRecord): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${qualified(OPS_SCHEMA, TASK_OPS.audit)}
       (stack, task, subject, actor, commit, reason, detail, emergency_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING id`,
    [
      auditSafeText(record.stack),
      record.task,
      auditSafeText(record.subject),
      auditSafeText(record.actor),
      record.commit,
      auditSafeText(record.reason),
      JSON.stringify(auditSafe(record.detail)),
      record.emergency === undefined ? null : auditSafeText(record.emergency),
    ],
  );
  return Number(rows[0]!.id);
}

/**
 * Adds a long task's outcome to its record (a retry runs for minutes outside one transaction: its
 * record is written when it starts, so an interrupted run shows as one without an outcome).
 */
export async function completeTaskAudit(db: Db, id: number, outcome: unknown): Promise<void> {
  await db.query(
    `UPDATE ${qualified(OPS_SCHEMA, TASK_OPS.audit)} SET detail = detail || jsonb_build_object('outcome', $2::jsonb) WHERE id = $1`,
    [id, JSON.stringify(auditSafe(outcome))],
  );
}

/** The newest records of a stack's tasks, newest first. */
export async function listTaskAudit(db: Db, stack: string, limit = 50): Promise<StoredTaskRecord[]> {
  const { rows } = await db.query<{
    id: string;
    stack: string;
    task: TaskName;
    subject: string;
    actor: string;
    commit: string | null;
    at: Date;
    reason: string;
    detail: Record<string, unknown>;
    emergency_reason: string | null;
  }>(
    `SELECT id, stack, task, subject, actor, commit, at, reason, detail, emergency_reason
       FROM ${qualified(OPS_SCHEMA, TASK_OPS.audit)} WHERE stack = $1 ORDER BY at DESC, id DESC LIMIT $2`,
    [stack, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    stack: r.stack,
    task: r.task,
    subject: r.subject,
    actor: r.actor,
    commit: r.commit,
    at: r.at.toISOString(),
    reason: r.reason,
    detail: r.detail,
    ...(r.emergency_reason === null ? {} : { emergency: r.emergency_reason }),
  }));
}
