/**
 * An apply's list of changes is stored once, apart from its record (on a connection of its own,
 * while the rows are written), and every record of the apply names it: history shows the changes
 * of a committed apply and of a refused one alike, and a larger apply does not store its list twice.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listAudit } from "../../src/db/audit.ts";
import { applyDatabase, databaseSource } from "../../src/db/source.ts";
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

const lists = async () =>
  Number((await sql.query("SELECT count(*) AS n FROM ebill_ops.change_list")).rows[0].n);

it("a committed apply's record lists its changes, stored once", async () => {
  const plan = await databaseSource.plan(db.env);
  expect(plan.changes.length).toBeGreaterThan(10);
  const before = await lists().catch(() => 0);
  await applyDatabase(sql, db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  const [record] = await listAudit(db.env, 1);
  expect(record).toMatchObject({ result: "ok" });
  expect(record!.changes.map((c) => `${c.kind}/${c.id}`)).toEqual(
    plan.changes.map((c) => `${c.kind}/${c.id}`),
  );
  expect(await lists()).toBe(before + 1);
});

it("a refused apply's record lists the changes it refused, and nothing was written", async () => {
  const env = structuredClone(db.env);
  const role = env.roles![0]!;
  role.name = `${role.name}（改）`;
  const plan = await databaseSource.plan(env);
  const rename = plan.changes.find((c) => c.kind === "roles" && c.id === role.code)!;
  // A change whose write touches another row than it names: the write layer refuses the batch.
  const forged = { ...rename, after: { ...rename.after, code: "someone-else" } };
  await expect(
    applyDatabase(sql, env, [forged], { allowDestroy: false, expectedLiveHash: plan.liveHash }),
  ).rejects.toThrow();
  const [record] = await listAudit(env, 1);
  expect(record).toMatchObject({ result: "failed", changes: [forged] });
  const { rows } = await sql.query("SELECT name FROM ebill.role WHERE code = $1", [role.code]);
  expect(rows[0].name).not.toBe(role.name);
});
