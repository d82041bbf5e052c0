/**
 * Retries (retry archive|push) are audited like every other day-2 task, in ebill_ops.task_audit
 * (`history --tasks` lists them): one row written before the run starts, completed with its outcome.
 */
import type pg from "pg";
import { actor } from "../base/actor.ts";
import { completeTaskAudit, insertTaskAudit } from "../db/task-audit.ts";
import { ensureTasksSchema } from "../db/schema-tasks.ts";
import type { Environment } from "../model/environment.ts";

export async function startRetry(
  db: pg.ClientBase,
  env: Environment,
  leg: "archive" | "push",
  parameters: { since: string; service: string },
): Promise<number> {
  await ensureTasksSchema(db);
  return insertTaskAudit(db, {
    stack: env.name,
    task: `retry.${leg}`,
    subject: `failed ${leg} since ${parameters.since}`,
    actor: actor(),
    commit: null,
    reason: `re-drive failed ${leg === "archive" ? "archiving (归档)" : "push (推送)"} through the service`,
    detail: parameters,
  });
}

export const finishRetry = (db: pg.ClientBase, id: number, outcome: unknown): Promise<void> =>
  completeTaskAudit(db, id, outcome);
