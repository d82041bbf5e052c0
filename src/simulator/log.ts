/** Writing the product's interface log (接口日志, src/db/schema-service.ts): many rows in one statement. */
import type pg from "pg";
import { qualified } from "../db/reference-schema.ts";
import { S, type LogSystem } from "../db/schema-service.ts";

export interface LogRow {
  at: string;
  direction: "in" | "out";
  system: LogSystem;
  method: string;
  result: string;
  message?: string;
  ms: number;
  busNo?: string;
  placeCode?: string;
  client?: string;
  /** The offending value or other facts diagnosis groups by ({value: "ZFB"}). */
  detail?: Record<string, unknown>;
  billCode?: string;
  billNo?: string;
}

export async function writeLog(db: pg.Pool | pg.PoolClient, schema: string, rows: readonly LogRow[]) {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO ${qualified(schema, S.interfaceLog)}
       (at, direction, system, method, result, message, ms, bus_no, place_code, client, detail, bill_code, bill_no)
     SELECT * FROM unnest($1::timestamp[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
                          $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`,
    [
      rows.map((r) => r.at),
      rows.map((r) => r.direction),
      rows.map((r) => r.system),
      rows.map((r) => r.method),
      rows.map((r) => r.result),
      rows.map((r) => r.message ?? null),
      rows.map((r) => r.ms),
      rows.map((r) => r.busNo ?? null),
      rows.map((r) => r.placeCode ?? null),
      rows.map((r) => r.client ?? null),
      rows.map((r) => (r.detail ? JSON.stringify(r.detail) : null)),
      rows.map((r) => r.billCode ?? null),
      rows.map((r) => r.billNo ?? null),
    ],
  );
}
