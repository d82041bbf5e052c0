/**
 * A killed apply leaves the database exactly as before, and a rerun converges. The apply runs in
 * a child process; a row lock held by the test stops it inside its transaction after it has
 * written partitions and most kinds, and the test kills it there with SIGKILL.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { databaseSource } from "../../src/db/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { start } from "../../src/base/exec.ts";

let db: SandboxDatabase;
let dir: string;
beforeAll(async () => {
  db = await startSandboxDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-interrupt-"));
});
afterAll(async () => {
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("a killed apply changes nothing and the rerun converges", async () => {
  // Operators first exist, so the apply's operator write is an update of a row we can lock.
  const base = await databaseSource.plan(db.env);
  await databaseSource.apply(db.env, base.changes, { allowDestroy: false, expectedLiveHash: base.liveHash });

  const env: Environment = structuredClone(db.env);
  env.partitions!.push({ table: "bill", year: 2027, tablespace: "ebill_2026" });
  env.invoicingPoints!.push({ code: "003", name: "急诊", enabled: true, billCodes: ["46060126"] });
  env.paymentChannels!.find((c) => c.code === "05")!.name = "微信支付";
  // (Removing the fiscal mappings would be destructive now: bills of those places and channels exist.)
  env.codeMappings = env.codeMappings!.map((m) => (m.system === "fiscal" ? { ...m, remoteName: "改名" } : m));
  env.roles!.push({ code: "auditor", name: "稽核", permissions: ["bill.query"] });
  env.operators!.find((o) => o.account === "admin")!.name = "系统管理员";
  const file = path.join(dir, "env.json");
  await writeFile(file, JSON.stringify(env));
  const before = await databaseSource.plan(env);
  expect(before.changes.length).toBeGreaterThan(10);

  const blocker = await db.client();
  const watcher = await db.client();
  try {
    await blocker.query("BEGIN");
    await blocker.query("SELECT 1 FROM ebill.operator WHERE account = 'admin' FOR UPDATE");
    const child = start(
      process.execPath,
      ["--import", "tsx", path.join(import.meta.dirname, "fixtures/apply-child.ts"), file],
      {
        env: { ...process.env, ...db.server.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

    // Blocked on our row lock, i.e. inside its transaction with the earlier kinds written.
    await waitFor("the apply to block on the operator row", async () => {
      const { rows } = await watcher.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'ebill-ops sandbox' AND wait_event_type = 'Lock'",
      );
      return rows.length > 0 || child.exitCode !== null;
    });
    expect(output).toMatch(/planned/);
    // Proof that it is in the middle of its writes: it holds write locks on tables it changed.
    const { rows: locks } = await watcher.query<{ rel: string }>(
      `SELECT DISTINCT c.relname AS rel FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
        WHERE a.application_name = 'ebill-ops sandbox' AND l.granted AND l.mode = 'RowExclusiveLock'`,
    );
    expect(locks.map((r) => r.rel)).toEqual(
      expect.arrayContaining(["invoicing_point", "invoicing_point_bill_type", "payment_channel", "role"]),
    );
    child.kill("SIGKILL");
    await exited;
    await blocker.query("ROLLBACK");
    // The server notices the dead client when the backend next talks to it, then rolls back.
    await waitFor("the killed apply's backend to end", async () => {
      const { rows } = await watcher.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'ebill-ops sandbox'",
      );
      return rows.length === 0;
    });
  } finally {
    await blocker.end();
    await watcher.end();
  }

  const after = await databaseSource.plan(env);
  expect(after.liveHash).toBe(before.liveHash);
  expect(after.changes).toEqual(before.changes);

  // The lock died with the session: the rerun takes it and converges.
  await databaseSource.apply(env, after.changes, { allowDestroy: false, expectedLiveHash: after.liveHash });
  expect((await databaseSource.plan(env)).changes).toEqual([]);
});
