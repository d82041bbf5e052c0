/**
 * An apply killed in the middle of its writes leaves the database exactly as before, and a second
 * apply meanwhile fails at once naming the holder of the lock.
 *
 * How the apply is stopped mid-way: another connection holds a row lock on an operator the apply
 * updates. Operators are written last, so the apply has already written the earlier kinds inside
 * its transaction when it blocks there.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, startCli, waitFor, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let holder: pg.Client;
let dir: string;
let stack: string;

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  holder = await db.client();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-interrupt-"));
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env);
  const first = await cli(["apply", "--stack", stack, "--yes"], db.server.env);
  expect(first.code, first.stdout + first.stderr).toBe(0);
});

afterAll(async () => {
  await holder?.end();
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The apply's backend, once it waits for a lock. */
async function blockedApplyBackend(): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%' AND wait_event_type = 'Lock'`,
  );
  return rows[0]?.pid;
}

async function holdOperatorRow(): Promise<void> {
  await holder.query("BEGIN");
  await holder.query("SELECT * FROM ebill.operator WHERE account = 'admin' FOR UPDATE");
}

/** Waits for the apply to block on the held row; returns its backend. */
async function waitUntilBlocked(): Promise<number> {
  let pid: number | undefined;
  await waitFor(
    "the apply to block on the operator row",
    async () => (pid = await blockedApplyBackend()) !== undefined,
  );
  return pid!;
}

async function waitUntilNoApplyBackend(): Promise<void> {
  // The killed client's backend notices the closed connection once unblocked, and rolls back.
  await waitFor("the apply's backend to end", async () => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%'`,
    );
    return rows.length === 0;
  });
}

function declareChanges(): Promise<string> {
  return writeStack(stack, db.env, (e) => {
    e.invoicingPoints!.push({ code: "003", name: "急诊收费处", enabled: true, billCodes: [] });
    e.codeMappings!.push(
      { system: "his", kind: "place", local: "003", remote: "JZ01" },
      { system: "fiscal", kind: "place", local: "003", remote: "003" },
    );
    e.paymentChannels!.find((c) => c.code === "05")!.name = "微信支付";
    e.operators!.find((o) => o.account === "admin")!.name = "系统管理员";
  });
}

it("two applies at once: the second waits for nothing and names the holder of the lock", async () => {
  await declareChanges();
  await holdOperatorRow();
  const first = startCli(["apply", "--stack", stack, "--yes"], {
    ...db.server.env,
    EBILL_OPS_ACTOR: "alice",
  });
  try {
    await waitUntilBlocked();
    const started = Date.now();
    const second = await cli(["apply", "--stack", stack, "--yes"], {
      ...db.server.env,
      EBILL_OPS_ACTOR: "bob",
    });
    const elapsed = Date.now() - started;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /another apply of stack sandbox is running on database ebill: the lock is held by alice on \S+ \(pid \d+\) since \d{4}-/,
    );
    // Well under the 15 s the first one can wait for its row lock: the second did not queue.
    expect(elapsed).toBeLessThan(12_000);
  } finally {
    first.child.kill("SIGKILL");
    await first.done;
    await holder.query("ROLLBACK");
  }
  await waitUntilNoApplyBackend();
  const history = JSON.parse((await cli(["history", "--stack", stack, "--json"], db.server.env)).stdout) as {
    actor: string;
    result: string;
    error?: string;
  }[];
  expect(history[0]).toMatchObject({
    actor: "bob",
    result: "failed",
    error: expect.stringContaining("alice"),
  });
});

it("an apply killed in the middle of its writes leaves the database exactly as before; rerun converges", async () => {
  await declareChanges();
  const before = await dumpManaged(client, db.env);
  await holdOperatorRow();
  const apply = startCli(["apply", "--stack", stack, "--yes"], db.server.env);
  try {
    const pid = await waitUntilBlocked();
    // It has already written earlier kinds inside its (uncommitted) transaction.
    const { rows: written } = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = $1 AND l.mode = 'RowExclusiveLock' AND c.relname IN ('invoicing_point', 'code_mapping', 'payment_channel')`,
      [pid],
    );
    expect(written.map((r) => r.relname).sort()).toEqual([
      "code_mapping",
      "invoicing_point",
      "payment_channel",
    ]);
    expect(apply.output()).toContain("database: applying");
    apply.child.kill("SIGKILL");
    expect((await apply.done).signal).toBe("SIGKILL");
  } finally {
    await holder.query("ROLLBACK");
  }
  await waitUntilNoApplyBackend();
  expect(await dumpManaged(client, db.env)).toEqual(before);

  const rerun = await cli(["apply", "--stack", stack, "--yes"], db.server.env);
  expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
  expect((await cli(["plan", "--stack", stack], db.server.env)).code).toBe(0);
  const { rows } = await client.query("SELECT name FROM ebill.operator WHERE account = 'admin'");
  expect(rows).toEqual([{ name: "系统管理员" }]);
});
