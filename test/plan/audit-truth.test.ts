/**
 * The audit tells the truth about every apply:
 * - it is part of the change: killed right after COMMIT, the apply's record is there (it commits
 *   with the changes); killed after creating a tablespace, a "started" record names what was
 *   pending, and the rerun converges;
 * - `at` is the real time, the rehearsed date (EBILL_OPS_TODAY) is kept beside it, and history is
 *   ordered by the real time;
 * - an apply from an uncommitted working tree is recorded as dirty with the diff's hash, and a
 *   production stack is not applied from one without --emergency.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Environment } from "../../src/model/environment.ts";
import type { AuditRecord } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, gitIn, startCli, waitFor, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let holder: pg.Client;
let dir: string;
let stack: string;
let year: number;

const run = (args: string[], extra: Record<string, string> = {}) => cli(args, { ...db.server.env, ...extra });
const history = async (file = stack) =>
  JSON.parse((await run(["history", "--stack", file, "--json", "--limit", "50"])).stdout) as AuditRecord[];

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  holder = await db.client();
  year = db.env.hospital.fiscalYear;
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-audit-truth-"));
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env);
  const first = await run(["apply", "--stack", stack, "--yes"]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
});

afterAll(async () => {
  await holder?.end();
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Waits until the apply's backend waits for a lock while running `query` (a LIKE pattern). */
async function blockedOn(query: string): Promise<void> {
  await waitFor(`the apply to block on ${query}`, async () => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%' AND wait_event_type = 'Lock' AND query LIKE $1`,
      [query],
    );
    return rows.length > 0;
  });
}

async function noApplyBackend(): Promise<void> {
  await waitFor("the apply's backend to end", async () => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%'`,
    );
    return rows.length === 0;
  });
}

describe("the audit is part of the change", () => {
  it("kill -9 right after COMMIT: the change is there and so is its record", async () => {
    await writeStack(stack, db.env, (e) => {
      e.operators!.find((o) => o.account === "admin")!.name = "提交后被杀";
    });
    const other = await db.client();
    try {
      // 1. Stop the apply inside its transaction (its operator write waits for our row lock).
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM ebill.operator WHERE account = 'admin' FOR UPDATE");
      const apply = startCli(["apply", "--stack", stack, "--yes"], db.server.env);
      await blockedOn("%operator%");
      // 2. Hold the lock-holder row: the apply can commit, then stops where it releases its lock.
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM ebill_ops.lock_holder FOR UPDATE");
      await holder.query("ROLLBACK");
      await blockedOn("%lock_holder%");
      // 3. Committed, not yet finished: kill it there.
      apply.child.kill("SIGKILL");
      await apply.done;
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      await other.query("ROLLBACK").catch(() => undefined);
      await other.end();
    }
    await noApplyBackend();
    const { rows } = await client.query("SELECT name FROM ebill.operator WHERE account = 'admin'");
    expect(rows).toEqual([{ name: "提交后被杀" }]);
    const newest = (await history())[0]!;
    expect(newest).toMatchObject({ result: "ok", actor: "test-engineer" });
    expect(newest.changes.map((c) => `${c.kind} ${c.id}`)).toEqual(["operators admin"]);
  });

  it("kill -9 after creating a tablespace: a 'started' record names what was pending; the rerun converges", async () => {
    await writeStack(stack, db.env, (e) => {
      e.tablespaces!.push({
        name: `ebill_${year + 1}`,
        year: year + 1,
        location: `/var/lib/ebill/ts-${year + 1}`,
      });
      e.operators!.find((o) => o.account === "admin")!.name = "管理员（二）";
    });
    const before = await dumpManaged(client, db.env);
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM ebill.operator WHERE account = 'admin' FOR UPDATE");
    try {
      const apply = startCli(["apply", "--stack", stack, "--yes"], db.server.env);
      await blockedOn("%operator%");
      apply.child.kill("SIGKILL");
      await apply.done;
    } finally {
      await holder.query("ROLLBACK");
    }
    await noApplyBackend();
    const after = await dumpManaged(client, db.env);
    // Only the empty tablespace the intent announced; every row as before.
    expect(after.tablespaces).toEqual([...before.tablespaces!, `ebill_${year + 1}`].sort());
    expect({ ...after, tablespaces: [] }).toEqual({ ...before, tablespaces: [] });
    const started = (await history())[0]!;
    expect(started.result).toBe("started");
    expect(started.error).toMatch(
      /not finished yet: creating tablespace\(s\) ebill_\d{4} before the transaction, the transaction/,
    );
    const text = await run(["history", "--stack", stack]);
    expect(text.stdout).toMatch(
      /STARTED[^\n]*\n(?:.*\n)*?\s+interrupted or still running: started; not finished yet/,
    );

    const rerun = await run(["apply", "--stack", stack, "--yes"]);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect((await run(["plan", "--stack", stack])).code).toBe(0);
    expect((await history())[0]).toMatchObject({ result: "ok" });
  });
});

describe("the audit's time is the real time", () => {
  it("records the rehearsed date beside it, and history orders by the real time", async () => {
    const started = Date.now();
    const rehearsedLate = `${year}-11-30T12:00:00+08:00`;
    await writeStack(stack, db.env, (e) => {
      e.paymentChannels!.find((c) => c.code === e.paymentChannels![0]!.code)!.name = "排练年末";
    });
    const late = await run(["apply", "--stack", stack, "--yes"], { EBILL_OPS_TODAY: rehearsedLate });
    expect(late.code, late.stdout + late.stderr).toBe(0);
    await writeStack(stack, db.env, (e) => {
      e.paymentChannels!.find((c) => c.code === e.paymentChannels![0]!.code)!.name = "排练年中";
    });
    const rehearsedEarly = `${year}-03-02T10:00:00+08:00`;
    const early = await run(["apply", "--stack", stack, "--yes"], { EBILL_OPS_TODAY: rehearsedEarly });
    expect(early.code, early.stdout + early.stderr).toBe(0);
    const finished = Date.now();

    const [newest, previous] = await history();
    // Newest by the real time: the second apply, although it rehearsed an earlier date.
    expect(newest!.rehearsedAt).toBe(new Date(rehearsedEarly).toISOString());
    expect(previous!.rehearsedAt).toBe(new Date(rehearsedLate).toISOString());
    for (const r of [newest!, previous!]) {
      const at = Date.parse(r.at);
      expect(at).toBeGreaterThanOrEqual(started - 1000);
      expect(at).toBeLessThanOrEqual(finished + 1000);
    }
    const text = await run(["history", "--stack", stack]);
    expect(text.stdout).toContain(`rehearsed as ${year}-03-02 10:00 (EBILL_OPS_TODAY)`);
  });
});

/** The sandbox declared as production (as test/plan/emergency.test.ts does), on this database. */
function asProduction(e: Environment, tablespaceLocation: string): void {
  e.kind = "production";
  e.hosts = e.hosts.map((h) => ({
    ...h,
    address: h.roles.includes("db") ? "127.0.0.1" : h.address,
    ssh: {
      ...h.ssh,
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    },
  }));
  // Always inside a window, so only the working tree decides.
  e.maintenance.changeWindows = [];
  e.tablespaces = e.tablespaces!.map((t) => ({ ...t, location: tablespaceLocation }));
}

describe("applying from an uncommitted working tree", () => {
  let repo: string;
  const git = (...args: string[]) => gitIn(repo, ...args);

  beforeAll(async () => {
    repo = await mkdtemp(path.join(os.tmpdir(), "ebill-dirty-"));
    git("init", "-q", "-b", "main");
  });
  afterAll(() => (repo ? rm(repo, { recursive: true, force: true }) : undefined));

  it("records dirty and the diff's hash; a clean tree records neither", async () => {
    const file = path.join(repo, "sandbox.json");
    await writeStack(file, db.env);
    git("add", "sandbox.json");
    git("commit", "-qm", "the sandbox");
    const head = git("rev-parse", "HEAD");
    await writeStack(file, db.env, (e) => {
      e.paymentChannels![0]!.name = "未提交的改动";
    });
    const dirty = await run(["apply", "--stack", file, "--yes"]);
    expect(dirty.code, dirty.stdout + dirty.stderr).toBe(0);
    expect(dirty.stdout).toContain("with uncommitted changes");
    const recorded = (await history(file))[0]!;
    expect(recorded).toMatchObject({ commit: head, dirty: true });
    expect(recorded.diffHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await run(["history", "--stack", file])).stdout).toMatch(
      /applied from uncommitted changes \(diff sha256 [0-9a-f]{12}\)/,
    );

    git("commit", "-qam", "the change, committed");
    await writeStack(file, db.env, (e) => {
      e.paymentChannels![0]!.name = "已提交";
    });
    git("commit", "-qam", "another change");
    const clean = await run(["apply", "--stack", file, "--yes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    const cleanRecord = (await history(file))[0]!;
    expect(cleanRecord.commit).toBe(git("rev-parse", "HEAD"));
    expect(cleanRecord.dirty).toBeUndefined();
  });

  it("refuses a production stack from a dirty tree without --emergency, and audits the reason with it", async () => {
    const { rows } = await client.query<{ location: string }>(
      "SELECT pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = $1",
      [db.env.tablespaces!.find((t) => t.year === year)!.name],
    );
    const location = rows[0]!.location;
    const file = path.join(repo, "prod.json");
    await writeStack(file, db.env, (e) => asProduction(e, location));
    git("add", "prod.json");
    git("commit", "-qm", "production");
    // A new year file beside the stack, not committed yet, counts as a change too.
    await writeFile(path.join(repo, "year-next.json"), "{}\n");
    await writeStack(file, db.env, (e) => {
      asProduction(e, location);
      e.paymentChannels![0]!.name = "生产未提交";
    });
    const before = await dumpManaged(client, db.env);
    const refused = await run(["apply", "--stack", file, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /the working tree holding stack sandbox has uncommitted changes \(diff sha256 [0-9a-f]{12}\): a production stack is applied from a commit/,
    );
    expect(refused.stderr).toContain('--emergency "<reason>"');
    expect(await dumpManaged(client, db.env)).toEqual(before);

    const reason = "财政平台故障，来不及走合并流程 (工单 4712)";
    const emergency = await run(["apply", "--stack", file, "--yes", "--emergency", reason]);
    expect(emergency.code, emergency.stdout + emergency.stderr).toBe(0);
    const [ok, failed] = await history(file);
    expect(ok).toMatchObject({ result: "ok", dirty: true, emergency: reason });
    expect(failed).toMatchObject({ result: "failed", error: expect.stringContaining("uncommitted changes") });
  });
});
