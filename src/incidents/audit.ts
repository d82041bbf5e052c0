/**
 * The audit of operations the tool drives on the running service (retry archive|push): one row
 * per run in `ebill_ops.operation_audit`, written before it starts and completed with its result,
 * so an interrupted run is visible as one without a result.
 */
import type pg from "pg";
import { actor } from "../base/actor.ts";
import { OPS_SCHEMA, qualified } from "../db/reference-schema.ts";
import { OPERATION_AUDIT, operationAuditDdl } from "../db/schema-service.ts";

export async function startOperation(
  db: pg.ClientBase,
  stack: string,
  operation: string,
  parameters: Record<string, unknown>,
): Promise<number> {
  await db.query(operationAuditDdl(OPS_SCHEMA));
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${qualified(OPS_SCHEMA, OPERATION_AUDIT)} (stack, actor, operation, parameters)
     VALUES ($1, $2, $3, $4::jsonb) RETURNING id`,
    [stack, actor(), operation, JSON.stringify(parameters)],
  );
  return Number(rows[0]!.id);
}

export async function finishOperation(db: pg.ClientBase, id: number, result: unknown): Promise<void> {
  await db.query(`UPDATE ${qualified(OPS_SCHEMA, OPERATION_AUDIT)} SET result = $2::jsonb WHERE id = $1`, [
    id,
    JSON.stringify(result),
  ]);
}
