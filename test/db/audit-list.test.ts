/**
 * An apply's list of changes is stored once, apart from its record (on a connection of its own,
 * while the rows are written), and every record of the apply names it: history shows the changes
 * of a committed apply and of a refused one alike, and a larger apply does not store its list twice.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listAudit } from "../../src/db/audit.ts";
import { applyDatabase, databaseSource } from "../../src/db/source.ts";
import { freePort, startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";

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

/** The stack with `n` more HIS department mappings: an apply of n changes. */
function withMappings(n: number, prefix: string) {
  const env = structuredClone(db.env);
  for (let i = 0; i < n; i++)
    env.codeMappings!.push({
      system: "his",
      kind: "department",
      local: `${prefix}${i}`,
      remote: `R${prefix}${i}`,
    });
  return env;
}

it("a large apply's list (1,000 changes or more) is stored on a second connection and named by its record", async () => {
  const env = withMappings(1200, "L");
  const plan = await databaseSource.plan(env);
  expect(plan.changes).toHaveLength(1200);
  const before = await lists();
  await applyDatabase(sql, env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  const [record] = await listAudit(env, 1);
  expect(record).toMatchObject({ result: "ok" });
  expect(record!.changes).toHaveLength(1200);
  expect(await lists()).toBe(before + 1);
});

it("a large apply whose second connection cannot be opened fails before writing, and says why", async () => {
  const env = withMappings(1000, "M");
  const plan = await databaseSource.plan(env);
  const creates = (changes: { action: string; id: string }[]) =>
    changes.filter((c) => c.action === "create" && c.id.startsWith("his/department/M"));
  expect(creates(plan.changes)).toHaveLength(1000);
  // The apply's own session works; the second connection goes to a port nobody listens on.
  const unreachable = structuredClone(env);
  unreachable.database.port = await freePort();
  await expect(
    applyDatabase(sql, unreachable, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
  ).rejects.toThrow(/list of changes could not be stored on a second connection[^]*connection limit/);
  const { rows } = await sql.query("SELECT count(*) AS n FROM ebill.code_mapping WHERE local_code LIKE 'M%'");
  expect(Number(rows[0].n)).toBe(0);
  expect(creates((await databaseSource.plan(env)).changes)).toHaveLength(1000);
});
