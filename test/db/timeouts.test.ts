/**
 * A frozen database server does not hang an apply (and the lock it holds) for ever. The server
 * processes are stopped with SIGSTOP, as a hung machine or a stalled storage would stop them: a
 * backend in the middle of an apply's transaction, then the postmaster before a connect. The apply
 * ends within the declared timeouts, says what happened, and nothing is half-done.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { dumpManaged, waitFor } from "../plan/helpers.ts";

let db: SandboxDatabase;
let sql: pg.Client;
let env: Environment;
const STATEMENT_SECONDS = 2;
const CONNECT_SECONDS = 2;

beforeAll(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
  env = structuredClone(db.env);
  env.database.timeouts = {
    connect: CONNECT_SECONDS,
    lock: 30, // longer than the test: only the frozen server may end the wait
    statement: STATEMENT_SECONDS,
    idleInTransaction: 30,
  };
  const plan = await databaseSource.plan(env);
  await databaseSource.apply(env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash });
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

const signal = (pid: number, name: NodeJS.Signals) => process.kill(pid, name);

it("a frozen backend ends the apply within the statement timeout, and nothing is half-done", async () => {
  const changed = structuredClone(env);
  changed.paymentChannels![0]!.name = "冻结前写入";
  changed.operators!.find((o) => o.account === "admin")!.name = "冻结";
  const plan = await databaseSource.plan(changed);
  const before = await dumpManaged(sql, env);
  const holder = await db.client();
  let frozen: number | undefined;
  try {
    // The apply writes the channel, then waits for our lock on the operator row: inside its transaction.
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM ebill.operator WHERE account = 'admin' FOR UPDATE");
    const started = Date.now();
    const apply = databaseSource
      .apply(changed, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash })
      .then(
        () => null,
        (e: Error) => e,
      );
    await waitFor("the apply to wait for the operator row", async () => {
      const { rows } = await sql.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%' AND wait_event_type = 'Lock'",
      );
      frozen = rows[0]?.pid;
      return frozen !== undefined;
    });
    signal(frozen!, "SIGSTOP");
    await holder.query("ROLLBACK");
    const error = await apply;
    const elapsed = (Date.now() - started) / 1000;
    expect(error?.message).toMatch(
      /the database of stack sandbox \(.+\) gave no answer within 2 s \(database.timeouts.statement\); the connection was dropped, so the server rolls back/,
    );
    expect(elapsed).toBeLessThan(STATEMENT_SECONDS + 3);
  } finally {
    if (frozen) signal(frozen, "SIGCONT");
    await holder.end();
  }
  await waitFor("the frozen backend to end", async () => {
    const { rows } = await sql.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [frozen]);
    return rows.length === 0;
  });
  expect(await dumpManaged(sql, env)).toEqual(before);
  // The lock died with the session: the next apply goes through.
  const again = await databaseSource.plan(changed);
  await databaseSource.apply(changed, again.changes, {
    allowDestroy: false,
    expectedLiveHash: again.liveHash,
  });
  expect((await databaseSource.plan(changed)).changes).toEqual([]);
});

it("a frozen postmaster fails a connect within the connect timeout, with a clear message", async () => {
  const pidFile = await readFile(path.join(db.server.layout.dataDir, "postmaster.pid"), "utf8");
  const postmaster = Number(pidFile.split("\n")[0]);
  expect(postmaster).toBeGreaterThan(1);
  signal(postmaster, "SIGSTOP");
  try {
    const started = Date.now();
    const error = await databaseSource.plan(env).then(
      () => null,
      (e: Error) => e,
    );
    const elapsed = (Date.now() - started) / 1000;
    expect(error?.message).toMatch(
      /cannot connect to the database of stack sandbox \(.+\): the server did not answer within 2 s \(database.timeouts.connect\)/,
    );
    expect(elapsed).toBeLessThan(CONNECT_SECONDS + 2);
  } finally {
    signal(postmaster, "SIGCONT");
  }
});
