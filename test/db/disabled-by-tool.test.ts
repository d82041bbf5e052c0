/**
 * Which disabled rows ebill-ops disabled is kept by the write layer (ebill_ops.disabled_by_tool),
 * and records written by an older ebill-ops (their changes in the audit's jsonb `changes`, no kept
 * row) still count: a database upgraded from an older version, or a reverted tool applying in
 * between, is judged as the audit says. Re-enabling a row a person disabled needs --allow-destroy;
 * re-enabling one a reviewed change disabled does not.
 */
import type pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { listAudit } from "../../src/db/audit.ts";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { Change } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";

let db: SandboxDatabase;
let sql: pg.Client;
let channel: { code: string; name: string; kind: string };

beforeEach(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
  const plan = await databaseSource.plan(db.env);
  await databaseSource.apply(db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
  const c = db.env.paymentChannels!.find((x) => x.enabled)!;
  channel = { code: c.code, name: c.name, kind: c.kind };
});
afterEach(async () => {
  await sql?.end();
  await db?.stop();
});

/** An apply as an ebill-ops older than the kept table recorded it: changes in jsonb, nothing kept. */
async function olderToolWrites(enabled: boolean): Promise<void> {
  await sql.query("UPDATE ebill.payment_channel SET enabled = $2 WHERE code = $1", [channel.code, enabled]);
  const change = {
    kind: "paymentChannels",
    id: channel.code,
    action: "update",
    destructive: false,
    before: { ...channel, enabled: !enabled },
    after: { ...channel, enabled },
  };
  await sql.query(
    `INSERT INTO ebill_ops.apply_audit (stack, actor, plan_hash, changes, result, db_committed)
     VALUES ($1, 'older ebill-ops', 'p-old', $2::jsonb, 'ok', true)`,
    [db.env.name, JSON.stringify([change])],
  );
}

const reEnable = async (): Promise<Change | undefined> =>
  (await databaseSource.plan(db.env)).changes.find(
    (c) => c.kind === "paymentChannels" && c.id === channel.code,
  );

const withChannel = (enabled: boolean): Environment => {
  const env = structuredClone(db.env);
  env.paymentChannels!.find((c) => c.code === channel.code)!.enabled = enabled;
  return env;
};

async function applyStack(env: Environment): Promise<void> {
  const plan = await databaseSource.plan(env);
  await databaseSource.apply(env, plan.changes, { allowDestroy: true, expectedLiveHash: plan.liveHash });
}

it("a row an older ebill-ops disabled is its own: re-enabling it is an ordinary update, before and after the next apply", async () => {
  await olderToolWrites(false);
  expect(await reEnable()).toMatchObject({ after: { enabled: true }, destructive: false });
  expect((await reEnable())?.note).toBeUndefined();

  // An unrelated apply by this version folds the older record in; the answer stays the same.
  const renamed = structuredClone(db.env);
  renamed.roles![0]!.name = `${renamed.roles![0]!.name}（改）`;
  const plan = await databaseSource.plan(renamed);
  await databaseSource.apply(
    renamed,
    plan.changes.filter((c) => c.kind === "roles"),
    {
      allowDestroy: false,
      expectedLiveHash: plan.liveHash,
    },
  );
  const { rows } = await sql.query("SELECT kind, id FROM ebill_ops.disabled_by_tool");
  expect(rows).toEqual([{ kind: "paymentChannels", id: channel.code }]);
  expect(await reEnable()).toMatchObject({ after: { enabled: true }, destructive: false });
});

it("a row this version disabled, an older one re-enabled and a person disabled again is the person's", async () => {
  await applyStack(withChannel(false));
  expect(await reEnable()).toMatchObject({ destructive: false });

  await olderToolWrites(true);
  await sql.query("UPDATE ebill.payment_channel SET enabled = false WHERE code = $1", [channel.code]);
  expect(await reEnable()).toMatchObject({
    destructive: true,
    note: "re-enables it although it was disabled outside ebill-ops (by hand in the product)",
  });
});

it("re-enabling through ebill-ops forgets the row; a person disabling it later is the person's", async () => {
  await applyStack(withChannel(false));
  await applyStack(db.env);
  expect((await sql.query("SELECT * FROM ebill_ops.disabled_by_tool")).rows).toEqual([]);
  await sql.query("UPDATE ebill.payment_channel SET enabled = false WHERE code = $1", [channel.code]);
  expect(await reEnable()).toMatchObject({ destructive: true });
});

it("history lists the changes of records written by this version and by older ones", async () => {
  await olderToolWrites(false);
  await applyStack(db.env);
  const [newer, older] = await listAudit(db.env, 2);
  expect(newer!.changes).toEqual([
    expect.objectContaining({
      kind: "paymentChannels",
      id: channel.code,
      after: expect.objectContaining({ enabled: true }),
    }),
  ]);
  expect(older!.changes).toEqual([
    expect.objectContaining({
      kind: "paymentChannels",
      id: channel.code,
      after: expect.objectContaining({ enabled: false }),
    }),
  ]);
});
