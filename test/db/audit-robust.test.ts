/**
 * The audit record cannot be made to fail by the values it records. PostgreSQL refuses a NUL in
 * text and jsonb and a lone UTF-16 surrogate in jsonb; validation refuses both in stacks, but a
 * record is the last trace of an apply (a refused or failed one above all), so it stores them
 * escaped, visibly, instead of losing the record.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listAudit, writeAudit } from "../../src/db/audit.ts";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import { applyPlan, makePlan } from "../../src/plan/planner.ts";
import type { AuditRecord } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";

let db: SandboxDatabase;
let sql: pg.Client;

beforeAll(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

const LONE = "\ud800";
const NUL = "\u0000";

function applyOptions(progress: string[]) {
  return {
    allowDestroy: false,
    progress: (line: string) => progress.push(line),
    commit: null,
    actor: `操作员${NUL}${LONE}`,
    at: new Date(),
    writeAudit: (env: Environment, record: AuditRecord, id?: number) => writeAudit(env, record, id),
    redact: <T>(v: T) => v,
  };
}

it("records an apply whose values hold a lone surrogate, in the apply's own transaction", async () => {
  const env = structuredClone(db.env);
  env.invoicingPoints![0]!.name = `分院${LONE}东区`;
  const plan = await makePlan(env, [databaseSource]);
  const progress: string[] = [];
  await applyPlan(env, plan, [databaseSource], applyOptions(progress));
  expect(progress.filter((p) => p.startsWith("warning"))).toEqual([]);
  const [record] = await listAudit(env, 1);
  expect(record).toMatchObject({ result: "ok", actor: "操作员\\u0000\\ud800" });
  const point = record!.changes.find((c) => c.kind === "invoicingPoints")!;
  expect(point.after!.name).toBe("分院\\ud800东区");
});

it("records a failed apply whose values hold a NUL (the write itself is refused by PostgreSQL)", async () => {
  const env = structuredClone(db.env);
  env.paymentChannels![0]!.name = `现金${NUL}`;
  const plan = await makePlan(env, [databaseSource]);
  const progress: string[] = [];
  await expect(applyPlan(env, plan, [databaseSource], applyOptions(progress))).rejects.toThrow();
  expect(progress.filter((p) => p.startsWith("warning"))).toEqual([]);
  const [record] = await listAudit(env, 1);
  expect(record!.result).toBe("failed");
  const channel = record!.changes.find((c) => c.kind === "paymentChannels")!;
  expect(channel.after!.name).toBe("现金\\u0000");
  const { rows } = await sql.query("SELECT name FROM ebill.payment_channel WHERE code = $1", [
    env.paymentChannels![0]!.code,
  ]);
  expect(rows).toEqual([{ name: db.env.paymentChannels![0]!.name }]);
});

it("stores any error text and emergency reason, however hostile", async () => {
  const record: AuditRecord = {
    stack: db.env.name,
    commit: null,
    actor: "x",
    at: new Date().toISOString(),
    planHash: "p",
    changes: [],
    result: "failed",
    error: `invalid byte sequence ${NUL} ${LONE}`,
    emergency: `${"\udfff"}紧急`,
  };
  await writeAudit(db.env, record);
  const [stored] = await listAudit(db.env, 1);
  expect(stored).toMatchObject({ error: "invalid byte sequence \\u0000 \\ud800", emergency: "\\udfff紧急" });
});
