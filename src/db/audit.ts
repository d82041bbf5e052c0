/**
 * The apply audit in ebill_ops.apply_audit. Each record is written in its own connection and
 * transaction, so a failed (rolled back) apply is audited too.
 */
import type { Environment } from "../model/environment.ts";
import type { AuditRecord } from "../plan/planner.ts";
import { withClient } from "./connect.ts";
import { OPS, OPS_SCHEMA, opsSchemaDdl, qualified } from "./reference-schema.ts";

export async function writeAudit(env: Environment, record: AuditRecord): Promise<void> {
  await withClient(env, async (db) => {
    await db.query(opsSchemaDdl());
    await db.query(
      `INSERT INTO ${qualified(OPS_SCHEMA, OPS.audit)}
         (stack, commit, actor, at, plan_hash, changes, result, error, emergency_reason)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
      [
        record.stack,
        record.commit,
        record.actor,
        record.at,
        record.planHash,
        JSON.stringify(record.changes),
        record.result,
        record.error ?? null,
        record.emergency ?? null,
      ],
    );
  });
}

/** The newest `limit` records of the stack, newest first. Empty when nothing was ever applied. */
export async function listAudit(env: Environment, limit = 20): Promise<AuditRecord[]> {
  return withClient(env, async (db) => {
    const exists = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [
      qualified(OPS_SCHEMA, OPS.audit),
    ]);
    if (!exists.rows[0]!.ok) return [];
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
    }>(
      `SELECT stack, commit, actor, at, plan_hash, changes, result, error, emergency_reason
         FROM ${qualified(OPS_SCHEMA, OPS.audit)} WHERE stack = $1 ORDER BY at DESC, id DESC LIMIT $2`,
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
      if (r.error !== null) record.error = r.error;
      if (r.emergency_reason !== null) record.emergency = r.emergency_reason;
      return record;
    });
  });
}
