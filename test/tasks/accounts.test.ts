/**
 * Account tasks against a real sandbox database: the product's login state is set with SQL as the
 * product would write it, the CLI reads, unlocks and resets it, and the audit keeps the reason.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/db/password-hash.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { run } from "../../src/base/exec.ts";
import { BIN } from "../harness/cli.ts";
import { cli, writeStack } from "../plan/helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
let stack: string;

const login = async (account: string) =>
  (
    await client.query<{
      locked: boolean;
      failed_logins: number;
      must_change_password: boolean;
      password_hash: string | null;
    }>(
      "SELECT locked, failed_logins, must_change_password, password_hash FROM ebill.operator_login WHERE account = $1",
      [account],
    )
  ).rows[0];

const tasksAudit = async () =>
  (
    await client.query<{ task: string; subject: string; actor: string; reason: string; detail: unknown }>(
      "SELECT task, subject, actor, reason, detail FROM ebill_ops.task_audit ORDER BY id",
    )
  ).rows;

/** Every file under `root`, recursively (the PostgreSQL server's data and log included). */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-accounts-"));
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env, (e) => {
    e.operators = [
      ...(e.operators ?? []),
      { account: "sf009", name: "停用收费员", roles: ["cashier"], places: ["001"], enabled: false },
    ];
  });
  const applied = await cli(["apply", "--stack", stack, "--yes"], db.server.env);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  // Every statement is logged, so the test can look for the password in the server's log.
  await client.query("ALTER SYSTEM SET log_statement = 'all'");
  await client.query("SELECT pg_reload_conf()");
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("account status and unlock", () => {
  it("shows an account the product locked, unlocks it in one audited step, and status shows it unlocked", async () => {
    // As the product does after five wrong passwords.
    await client.query(
      `INSERT INTO ebill.operator_login (account, failed_logins, locked, locked_at, last_login_at)
       VALUES ('sf001', 5, true, '2026-06-01 09:12:00', '2026-05-31 17:40:00')
       ON CONFLICT (account) DO UPDATE SET failed_logins = 5, locked = true, locked_at = '2026-06-01 09:12:00',
                                           last_login_at = '2026-05-31 17:40:00'`,
    );
    const before = await cli(
      ["account", "status", "--stack", stack, "--account", "sf001", "--json"],
      db.server.env,
    );
    expect(before.code, before.stderr).toBe(0);
    const [state] = JSON.parse(before.stdout) as {
      locked: boolean;
      failedLogins: number;
      lockedAt: string;
      lastLoginAt: string;
    }[];
    expect(state).toMatchObject({
      locked: true,
      failedLogins: 5,
      lockedAt: "2026-06-01 09:12:00",
      lastLoginAt: "2026-05-31 17:40:00",
    });
    const text = await cli(["account", "status", "--stack", stack], db.server.env);
    expect(text.stdout).toMatch(/sf001 .*LOCKED since 2026-06-01 09:12:00, 5 failed/);

    const unlocked = await cli(
      [
        "account",
        "unlock",
        "--stack",
        stack,
        "--account",
        "sf001",
        "--reason",
        "ticket 4711: cashier called at 09:15",
      ],
      db.server.env,
    );
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toMatch(/Unlocked sf001/);
    expect(await login("sf001")).toMatchObject({ locked: false, failed_logins: 0 });
    const audit = (await tasksAudit()).filter((a) => a.task === "account.unlock");
    expect(audit).toEqual([
      expect.objectContaining({
        subject: "sf001",
        actor: "test-engineer",
        reason: "ticket 4711: cashier called at 09:15",
      }),
    ]);
    const history = await cli(["history", "--stack", stack, "--tasks"], db.server.env);
    expect(history.stdout).toMatch(
      /account\.unlock\s+sf001 {2}by test-engineer\n {4}reason: ticket 4711: cashier called at 09:15/,
    );
    const after = await cli(
      ["account", "status", "--stack", stack, "--account", "sf001", "--json"],
      db.server.env,
    );
    expect(JSON.parse(after.stdout)[0]).toMatchObject({ locked: false, failedLogins: 0 });

    const again = await cli(
      ["account", "unlock", "--stack", stack, "--account", "sf001", "--reason", "again please"],
      db.server.env,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/not locked.*nothing was changed/);
  }, 60_000);

  it("refuses an account the stack does not declare, and one it declares disabled; nothing changes", async () => {
    await client.query(
      "INSERT INTO ebill.operator (account, name) VALUES ('ghost', '幽灵') ON CONFLICT DO NOTHING",
    );
    await client.query(
      "INSERT INTO ebill.operator_login (account, failed_logins, locked) VALUES ('ghost', 9, true), ('sf009', 3, true) ON CONFLICT (account) DO UPDATE SET locked = true",
    );
    const auditBefore = (await tasksAudit()).length;
    const ghost = await cli(
      ["account", "unlock", "--stack", stack, "--account", "ghost", "--reason", "someone asked"],
      db.server.env,
    );
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/account 'ghost' is not declared in stack sandbox.*Nothing was changed/);
    const disabled = await cli(
      ["account", "unlock", "--stack", stack, "--account", "sf009", "--reason", "someone asked"],
      db.server.env,
    );
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(/account 'sf009' is disabled in stack sandbox/);
    expect(await login("ghost")).toMatchObject({ locked: true, failed_logins: 9 });
    expect(await login("sf009")).toMatchObject({ locked: true });
    expect((await tasksAudit()).length).toBe(auditBefore);
  }, 60_000);

  it("status and unlock on a database without the product's login table say so and create nothing", async () => {
    await client.query("ALTER TABLE ebill.operator_login RENAME TO operator_login_elsewhere");
    try {
      const r = await cli(["account", "status", "--stack", stack], db.server.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /login table "?ebill"?\."?operator_login"? does not exist in database .*nothing was changed/,
      );
      const unlock = await cli(
        ["account", "unlock", "--stack", stack, "--account", "sf001", "--reason", "locked out"],
        db.server.env,
      );
      expect(unlock.code).toBe(1);
      expect(unlock.stderr).toMatch(/login table .* does not exist/);
      const { rows } = await client.query("SELECT to_regclass('ebill.operator_login') AS t");
      expect(rows).toEqual([{ t: null }]);
    } finally {
      await client.query("ALTER TABLE ebill.operator_login_elsewhere RENAME TO operator_login");
    }
  }, 60_000);
});

describe("account reset-password", () => {
  it("on a terminal shows the password once, and the stored hash verifies it", async () => {
    // `script` gives the command a real terminal (a pty), as an engineer's shell would.
    const command = `${process.execPath} ${BIN} account reset-password --stack ${stack} --account sf001 --reason "ticket 4713: new cashier laptop"`;
    const r = await run("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, ...db.server.env, EBILL_OPS_ACTOR: "test-engineer", NO_COLOR: "1" },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const shown = /shown once[^\n]*\n\s*\n\s+([A-Za-z2-9]{16})\s/.exec(r.stdout);
    expect(shown, r.stdout).not.toBeNull();
    const password = shown![1]!;
    expect(r.stdout.split(password).length - 1).toBe(1);
    const state = (await login("sf001"))!;
    expect(state.must_change_password).toBe(true);
    expect(await verifyPassword(password, state.password_hash!)).toBe(true);
  }, 60_000);

  it("refuses without a terminal and without --out, changing nothing", async () => {
    const before = await login("admin");
    const r = await cli(
      ["account", "reset-password", "--stack", stack, "--account", "admin", "--reason", "forgot it"],
      db.server.env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/there is none here.*--out FILE.*Nothing was changed/s);
    expect(await login("admin")).toEqual(before);
  }, 60_000);

  it("writes a 0600 file whose password the stored hash verifies, sets must-change, and leaks it nowhere else", async () => {
    await client.query(
      "UPDATE ebill.operator_login SET locked = true, failed_logins = 5 WHERE account = 'admin'",
    );
    const out = path.join(dir, "admin-password.txt");
    const r = await cli(
      [
        "account",
        "reset-password",
        "--stack",
        stack,
        "--account",
        "admin",
        "--reason",
        "ticket 4712: forgot it",
        "--out",
        out,
      ],
      db.server.env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const password = (await readFile(out, "utf8")).trim();
    expect(password).toMatch(/^[A-Za-z2-9]{16}$/);
    const state = (await login("admin"))!;
    expect(state).toMatchObject({ locked: false, failed_logins: 0, must_change_password: true });
    expect(await verifyPassword(password, state.password_hash!)).toBe(true);
    expect(await verifyPassword(password + "x", state.password_hash!)).toBe(false);

    expect(r.stdout + r.stderr).not.toContain(password);
    const audit = await tasksAudit();
    expect(
      audit.some((a) => a.task === "account.reset-password" && a.reason === "ticket 4712: forgot it"),
    ).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(password);
    expect(JSON.stringify(audit)).not.toContain(state.password_hash!);
    await client.query("CHECKPOINT"); // the log and the data files are on disk
    const files = [...(await filesUnder(dir)), ...(await filesUnder(db.server.layout.root))];
    expect(files).toContain(db.server.layout.logFile);
    const holding: string[] = [];
    for (const file of files.filter((f) => f !== out))
      if ((await readFile(file).catch(() => Buffer.alloc(0))).includes(password)) holding.push(file);
    expect(holding).toEqual([]);
    const log = await readFile(db.server.layout.logFile, "utf8");
    expect(log).toMatch(/operator_login/); // statement logging was on: the log would have shown it
  }, 60_000);
});

describe("login state is the product's runtime state", () => {
  it("plan and drift never show it, after locks, unlocks and resets", async () => {
    // The undeclared operator an earlier test added goes; its login row stays (the product's business).
    await client.query("DELETE FROM ebill.operator WHERE account = 'ghost'");
    await client.query(
      "UPDATE ebill.operator_login SET locked = true, failed_logins = 3, last_login_at = now()",
    );
    const plan = await cli(["plan", "--stack", stack], db.server.env);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).not.toMatch(/operator_login|locked|password/);
    const drift = await cli(["drift", "--stack", stack], db.server.env);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
  }, 60_000);
});
