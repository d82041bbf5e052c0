/**
 * Reviewed data fixes against a real sandbox database: the row-count guard, apply once, undo byte
 * for byte, undo refused after a later hand edit, the parser check refusing before anything runs,
 * and kill -9 in the middle of an apply.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectReviewedFixes, type StackEntry } from "../../src/gitops/stacks.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, REPO, startCli, waitFor, writeStack } from "../plan/helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
let stack: string;
let fixes: string;

const BILLS = ["0000000001", "0000000002", "0000000003"];
const inList = (nos: readonly string[]) => nos.map((n) => `'${n}'`).join(", ");

/** Writes fixes/sandbox/<name>.yaml and returns its path. */
async function fixFile(
  name: string,
  fix: { statement: string; rows: number; verify: string },
): Promise<string> {
  const file = path.join(fixes, `${name}.yaml`);
  const yaml = [
    `reason: 收费员选错了支付渠道, three bills were paid by medical insurance`,
    `ticket: HD-2026-118`,
    `statement: ${JSON.stringify(fix.statement)}`,
    `expect:`,
    `  rows: ${fix.rows}`,
    `verify: ${JSON.stringify(fix.verify)}`,
  ].join("\n");
  await writeFile(file, yaml + "\n");
  return file;
}

/** The table as text, row by row in key order: "a dump of the table". */
async function dump(table: string, order: string): Promise<string> {
  const { rows } = await client.query<{ row: string }>(
    `SELECT t::text AS row FROM ebill.${table} t ORDER BY ${order}`,
  );
  return rows.map((r) => r.row).join("\n");
}
const dumpBills = () => dump("bill", "bill_code, bill_no, issued_at");

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-fixes-"));
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env);
  fixes = path.join(dir, "fixes", "sandbox");
  await mkdir(fixes, { recursive: true });
  await client.query("ALTER SYSTEM SET log_statement = 'all'");
  await client.query("SELECT pg_reload_conf()");
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("fix plan, apply, undo", () => {
  const statement = `UPDATE bill SET channel_code = '11' WHERE bill_code = '46060126' AND bill_no IN (${inList(BILLS)})`;
  const verify = `SELECT bill_no FROM bill WHERE bill_code = '46060126' AND bill_no IN (${inList(BILLS)}) AND channel_code <> '11'`;

  it("refuses a fix that touches one row more than expect.rows and changes nothing", async () => {
    const before = await dumpBills();
    const file = await fixFile("2026-11-29-channel-two", { statement, rows: 2, verify });
    const plan = await cli(["fix", "plan", "--stack", stack, file], db.server.env);
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(
      /apply would refuse: the statement changed 3 rows of ebill.bill, the fix expects exactly 2/,
    );
    const apply = await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(
      /2026-11-29-channel-two.yaml: the statement changed 3 rows .* rolled back, nothing was changed/,
    );
    expect(await dumpBills()).toBe(before);
    const { rows } = await client.query("SELECT * FROM ebill_ops.fix_applied");
    expect(rows).toEqual([]);
  }, 60_000);

  it("plans, applies once, says so on a rerun, and undo restores the table byte for byte", async () => {
    const before = await dumpBills();
    const file = await fixFile("2026-11-29-channel", { statement, rows: 3, verify });
    const plan = await cli(["fix", "plan", "--stack", stack, file], db.server.env);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/changes 3 row\(s\) of ebill.bill; expects 3/);
    expect(plan.stdout).toMatch(
      /~ \(bill_code=46060126, bill_no=0000000001, issued_at=.*\): channel_code "02" -> "11"/,
    );
    const markdown = await cli(["fix", "plan", "--stack", stack, file, "--markdown"], db.server.env);
    expect(markdown.stdout).toMatch(/^#### Data fix `.*2026-11-29-channel.yaml` \(ticket HD-2026-118\)/m);
    const json = JSON.parse(
      (await cli(["fix", "plan", "--stack", stack, file, "--json"], db.server.env)).stdout,
    );
    expect(json).toMatchObject({ state: "pending", refusal: null, run: { rows: 3, expected: 3 } });
    expect(await dumpBills()).toBe(before); // plan rolled back

    const apply = await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/3 row\(s\) of ebill.bill changed, before-images kept/);
    const changed = await client.query<{ channel_code: string }>(
      `SELECT channel_code FROM ebill.bill WHERE bill_code = '46060126' AND bill_no IN (${inList(BILLS)})`,
    );
    expect(changed.rows.map((r) => r.channel_code)).toEqual(["11", "11", "11"]);
    const images = await client.query("SELECT op, before, after FROM ebill_ops.fix_row ORDER BY seq");
    expect(images.rows).toHaveLength(3);
    const applied = await dumpBills();

    const rerun = await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/applied already.*nothing was changed/);
    expect(await dumpBills()).toBe(applied);
    const replan = await cli(["fix", "plan", "--stack", stack, file], db.server.env);
    expect(replan.code).toBe(0);
    expect(replan.stdout).toMatch(/Applied already/);

    const audit = await client.query<{ task: string; actor: string; reason: string }>(
      "SELECT task, actor, reason FROM ebill_ops.task_audit ORDER BY id",
    );
    expect(audit.rows).toEqual([
      { task: "fix.apply", actor: "test-engineer", reason: expect.stringContaining("HD-2026-118") },
    ]);

    const undo = await cli(
      ["fix", "undo", "--stack", stack, file, "--reason", "the hospital checked again"],
      db.server.env,
    );
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/3 row\(s\) restored/);
    expect(await dumpBills()).toBe(before);
  }, 90_000);

  it("refuses to undo after a later hand edit of one of its rows, naming that row", async () => {
    const file = await fixFile("2026-11-29-channel-again", {
      statement: statement.replace("'11'", "'05'"),
      rows: 3,
      verify: verify.replace("'11'", "'05'"),
    });
    expect((await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env)).code).toBe(0);
    await client.query(
      "UPDATE ebill.bill SET channel_code = '02' WHERE bill_code = '46060126' AND bill_no = '0000000002'",
    );
    const edited = await dumpBills();
    const undo = await cli(["fix", "undo", "--stack", stack, file, "--reason", "wrong fix"], db.server.env);
    expect(undo.code).toBe(1);
    expect(undo.stderr).toMatch(/cannot undo: 1 row\(s\) of ebill.bill changed since/);
    expect(undo.stderr).toMatch(/bill_no=0000000002, .*: channel_code is "02", the fix wrote "05"/);
    expect(await dumpBills()).toBe(edited);
  }, 60_000);

  it("undoes a DELETE by putting the rows back, an INSERT by removing them, and refuses a delete that would cascade", async () => {
    const before = await dump("payment_channel", "code");
    const file = await fixFile("2026-11-29-drop-channel", {
      statement: "DELETE FROM payment_channel WHERE code = '05'",
      rows: 1,
      verify: "SELECT 1 FROM payment_channel WHERE code = '05'",
    });
    expect((await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env)).code).toBe(0);
    expect(await dump("payment_channel", "code")).not.toBe(before);
    expect(
      (await cli(["fix", "undo", "--stack", stack, file, "--reason", "needed after all"], db.server.env))
        .code,
    ).toBe(0);
    expect(await dump("payment_channel", "code")).toBe(before);

    const insert = await fixFile("2026-11-29-add-channel", {
      statement: "INSERT INTO payment_channel (code, name, kind) VALUES ('31', '银联', 'unionpay')",
      rows: 1,
      verify: "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM payment_channel WHERE code = '31')",
    });
    expect((await cli(["fix", "apply", "--stack", stack, insert, "--yes"], db.server.env)).code).toBe(0);
    expect(await dump("payment_channel", "code")).toContain("银联");
    const undoInsert = await cli(
      ["fix", "undo", "--stack", stack, insert, "--reason", "not yet"],
      db.server.env,
    );
    expect(undoInsert.code, undoInsert.stderr).toBe(0);
    expect(await dump("payment_channel", "code")).toBe(before);

    const cascading = await fixFile("2026-11-29-drop-point", {
      statement: "DELETE FROM invoicing_point WHERE code = '002'",
      rows: 1,
      verify: "SELECT 1 FROM invoicing_point WHERE code = '002'",
    });
    const refused = await cli(["fix", "plan", "--stack", stack, cascading], db.server.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /DELETE on "ebill"."invoicing_point" would also change invoicing_point_bill_type \(foreign key/,
    );
  }, 60_000);
});

describe("the parser check", () => {
  const cases: [string, string, RegExp][] = [
    [
      "two-statements",
      "UPDATE bill_stock SET enabled = false WHERE batch = 'x'; DELETE FROM payment_channel",
      /exactly one SQL statement, the parser finds 2/,
    ],
    ["ddl", "DROP TABLE bill_stock", /statement: DROP is not allowed/],
    [
      "side-effect",
      "UPDATE payment_channel SET name = 'x' WHERE pg_terminate_backend(pg_backend_pid())",
      /function pg_terminate_backend\(\) is not allowed/,
    ],
    ["ops-table", "DELETE FROM ebill_ops.task_audit", /ebill_ops.task_audit is the tool's own record/],
    [
      "bill-amount",
      "UPDATE bill SET amount = 0.01 WHERE bill_no = '0000000009'",
      /UPDATE of bill.amount changes an issued bill's fiscal identity.*红/,
    ],
    // A naive check reading the apostrophe in the comment as a string would miss the DROP.
    [
      "after-comment",
      "UPDATE payment_channel SET name = 'x' WHERE code = '02' -- it's the cashier's\n; DROP TABLE bill_stock",
      /the parser finds 2/,
    ],
    [
      "in-a-string",
      "UPDATE payment_channel SET name = (SELECT query_to_xml('DELETE FROM bill_stock', true, true, '')::text)",
      /function query_to_xml\(\) is not allowed/,
    ],
    ["in-a-do-body", "DO $$ BEGIN DELETE FROM bill_stock; END $$", /statement: DO is not allowed/],
    [
      "password-hashes",
      "UPDATE payment_channel SET name = (SELECT max(password_hash) FROM operator_login)",
      /operator_login holds the operators' password hashes.*account reset-password/,
    ],
    [
      "syntax",
      "UPDTE payment_channel SET name = 'x'",
      /SQL syntax error at character 1 .*syntax error at or near "UPDTE"/,
    ],
  ];

  it("refuses each with the file and its reason, and runs nothing", async () => {
    const stock = await dump("bill_stock", "bill_code, batch, first_no");
    const bills = await dumpBills();
    for (const [slug, sql, reason] of cases) {
      const file = await fixFile(`2026-11-30-${slug}`, {
        statement: sql,
        rows: 1,
        verify: "SELECT 1 WHERE false",
      });
      const r = await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
      expect(r.code, slug).toBe(1);
      expect(r.stderr, slug).toContain(`2026-11-30-${slug}.yaml is refused; nothing was run`);
      expect(r.stderr, slug).toMatch(reason);
    }
    expect(await dump("bill_stock", "bill_code, batch, first_no")).toBe(stock);
    expect(await dumpBills()).toBe(bills);
    const log = await readFile(db.server.layout.logFile, "utf8");
    for (const marker of [
      "DROP TABLE",
      "pg_terminate_backend",
      "query_to_xml",
      "UPDTE",
      "DELETE FROM ebill_ops.task_audit",
      "amount = 0.01",
    ])
      expect(log, marker).not.toContain(marker);
  }, 120_000);

  it("accepts a value that merely looks like SQL inside a string", async () => {
    const file = await fixFile("2026-11-30-harmless-string", {
      statement: "UPDATE payment_channel SET name = '现金; DROP TABLE bill' WHERE code = '02'",
      rows: 1,
      verify: "SELECT 1 FROM payment_channel WHERE code = '02' AND name <> '现金; DROP TABLE bill'",
    });
    const plan = await cli(["fix", "plan", "--stack", stack, file], db.server.env);
    expect(plan.code, plan.stderr).toBe(2);
  }, 60_000);
});

describe("apply after review (--reviewed)", () => {
  const nos = ["0000000020", "0000000021", "0000000022"];
  const statement = `UPDATE bill SET place_code = '002' WHERE bill_code = '46060126' AND bill_no IN (${inList(nos)})`;
  const verify = `SELECT 1 FROM bill WHERE bill_code = '46060126' AND bill_no IN (${inList(nos)}) AND place_code <> '002'`;

  it("applies when the rows are as reviewed, refuses when the data moved since the review, or for another fix", async () => {
    const file = await fixFile("2026-11-30-place", { statement, rows: 3, verify });
    const reviewed = path.join(dir, "reviewed-place.json");
    const planned = await cli(["fix", "plan", "--stack", stack, file, "--json"], db.server.env);
    await writeFile(reviewed, planned.stdout);

    // Between the review and the merge the product voids one of the bills: not what was reviewed.
    await client.query(
      "UPDATE ebill.bill SET state = 'voided' WHERE bill_code = '46060126' AND bill_no = '0000000021'",
    );
    const moved = await dumpBills();
    const refused = await cli(
      ["fix", "apply", "--stack", stack, file, "--yes", "--reviewed", reviewed],
      db.server.env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /differ from the reviewed plan .*reviewed-place.json \(1 row\(s\) not as reviewed/,
    );
    expect(await dumpBills()).toBe(moved);

    const other = await fixFile("2026-11-30-place-other", {
      statement,
      rows: 3,
      verify: verify + " AND true",
    });
    const wrongPlan = await cli(
      ["fix", "apply", "--stack", stack, other, "--yes", "--reviewed", reviewed],
      db.server.env,
    );
    expect(wrongPlan.code).toBe(1);
    expect(wrongPlan.stderr).toMatch(/is the plan of another fix/);

    await writeFile(
      reviewed,
      (await cli(["fix", "plan", "--stack", stack, file, "--json"], db.server.env)).stdout,
    );
    const applied = await cli(
      ["fix", "apply", "--stack", stack, file, "--yes", "--reviewed", reviewed],
      db.server.env,
    );
    expect(applied.code, applied.stderr).toBe(0);
  }, 60_000);
});

describe("production rules", () => {
  it("refuses a fix outside the change windows, applies it with --emergency and audits the reason", async () => {
    const { rows } = await client.query<{ location: string }>(
      "SELECT pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = 'ebill_2026'",
    );
    // The sandbox declared as production (as test/plan/emergency.test.ts does), windows on Saturday night.
    const prod = await writeStack(path.join(dir, "sandbox-prod.json"), db.env, (e) => {
      e.kind = "production";
      e.hosts = e.hosts.map((h) => ({
        ...h,
        address: h.roles.includes("db") ? "127.0.0.1" : h.address,
        ssh: {
          ...h.ssh,
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        },
      }));
      e.maintenance.changeWindows = [{ days: ["sat"], start: "22:00", end: "06:00" }];
      e.tablespaces = e.tablespaces!.map((t) => ({ ...t, location: rows[0]!.location }));
    });
    const file = await fixFile("2026-11-30-prod-rename", {
      statement: "UPDATE payment_channel SET name = '现金(窗口)' WHERE code = '02'",
      rows: 1,
      verify: "SELECT 1 FROM payment_channel WHERE code = '02' AND name <> '现金(窗口)'",
    });
    const before = await dump("payment_channel", "code");
    // FIXTURE_TODAY (the helpers' clock) is Monday 10:00 in Asia/Shanghai: clinic hours.
    const refused = await cli(["fix", "apply", "--stack", prod, file, "--yes"], db.server.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("is outside the change windows of stack sandbox (sat 22:00-06:00)");
    expect(refused.stderr).toContain('--emergency "<reason>"');
    expect(await dump("payment_channel", "code")).toBe(before);

    const reason = "cashiers cannot print at window 3 (工单 4713)";
    const applied = await cli(
      ["fix", "apply", "--stack", prod, file, "--yes", "--emergency", reason],
      db.server.env,
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain("emergency change: mon 2026-06-15 10:00 Asia/Shanghai is outside");
    const audit = await client.query<{ emergency_reason: string }>(
      "SELECT emergency_reason FROM ebill_ops.task_audit WHERE subject LIKE '%prod-rename%'",
    );
    expect(audit.rows).toEqual([{ emergency_reason: reason }]);
  }, 60_000);
});

describe("in the pull request", () => {
  it("exports a .ts fix as JSON (and a bad one as refused), plans the JSON as markdown, and the comment shows it", async () => {
    const ts = path.join(fixes, "2026-12-01-rename-wechat.ts");
    await writeFile(
      ts,
      [
        `import { defineFix } from ${JSON.stringify(path.join(REPO, "src/model/define-fix.ts"))};`,
        `export default defineFix({`,
        `  reason: "渠道名称录错: the WeChat channel's name was typed wrong",`,
        `  ticket: "HD-2026-120",`,
        `  statement: "UPDATE payment_channel SET name = '微信支付' WHERE code = '05'",`,
        `  expect: { rows: 1 },`,
        `  verify: "SELECT 1 FROM payment_channel WHERE code = '05' AND name <> '微信支付'",`,
        `});`,
      ].join("\n"),
    );
    const bad = path.join(fixes, "2026-12-01-no-rows.yaml");
    await writeFile(
      bad,
      "reason: something is wrong with it\nticket: X\nstatement: UPDATE a SET b = 1\nverify: SELECT 1\n",
    );
    const out = path.join(dir, "evaluated", "fixes");
    const exported = await cli(["fix", "export", "--out-dir", out, ts, bad], db.server.env);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(
      /2026-12-01-no-rows.yaml is not a valid fix:\n.*2026-12-01-no-rows.yaml: expect: /,
    );
    expect(await readFile(path.join(out, "sandbox", "2026-12-01-no-rows.refused.md"), "utf8")).toMatch(
      /refused/,
    );
    const json = path.join(out, "sandbox", "2026-12-01-rename-wechat.json");
    expect(JSON.parse(await readFile(json, "utf8"))).toMatchObject({
      ticket: "HD-2026-120",
      expect: { rows: 1 },
    });

    const saved = path.join(dir, "reviewed", "sandbox.fixes", "2026-12-01-rename-wechat.json");
    const plan = await cli(
      ["fix", "plan", "--stack", stack, json, "--markdown", "--out", saved],
      db.server.env,
    );
    expect(plan.code, plan.stderr).toBe(2);
    expect(JSON.parse(await readFile(saved, "utf8"))).toMatchObject({ state: "pending", run: { rows: 1 } });
    const entry = { stack: "sandbox" } as StackEntry;
    expect(
      await selectReviewedFixes([entry, { stack: "other" } as StackEntry], path.join(dir, "reviewed")),
    ).toEqual([{ stack: "sandbox", fixes: ["2026-12-01-rename-wechat.json"] }]);
    expect(plan.stdout).toMatch(/Changes \*\*1\*\* row\(s\) of `ebill.payment_channel`/);
    expect(plan.stdout).toContain('name "微信" -> "微信支付"');
    const refused = await cli(["fix", "plan", "--stack", stack, bad, "--markdown"], db.server.env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^#### Data fix `.*2026-12-01-no-rows.yaml`: refused/);

    const plans = path.join(dir, "plans");
    await mkdir(plans, { recursive: true });
    await writeFile(path.join(plans, "sandbox.fixes.md"), plan.stdout + refused.stdout);
    const comment = await cli(["gitops", "comment", "--plans", plans], db.server.env);
    expect(comment.code, comment.stderr).toBe(0);
    expect(comment.stdout).toMatch(
      /### Data fixes[\s\S]*<b>sandbox<\/b>: data fixes[\s\S]*HD-2026-120[\s\S]*no-rows.yaml`: refused/,
    );
  }, 90_000);
});

describe("kill -9 during fix apply", () => {
  it("leaves the table as before, records nothing, and a rerun applies", async () => {
    const before = await dumpBills();
    const file = await fixFile("2026-11-30-all-insurance", {
      statement: "UPDATE bill SET channel_code = '11' WHERE bill_code = '46060126'",
      rows: 3000,
      verify: "SELECT 1 FROM bill WHERE bill_code = '46060126' AND channel_code <> '11'",
    });
    // Hold the last bill, so the statement stops half-way through its rows, waiting for it.
    const holder = await db.client();
    await holder.query("BEGIN");
    await holder.query(
      "SELECT 1 FROM ebill.bill WHERE bill_code = '46060126' AND bill_no = '0000050500' FOR UPDATE",
    );
    const apply = startCli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
    await waitFor("the fix's UPDATE to wait for the held row", async () => {
      const { rows } = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE bill SET channel_code%'",
      );
      return rows.length > 0;
    });
    apply.child.kill("SIGKILL");
    expect((await apply.done).signal).toBe("SIGKILL");
    await holder.query("ROLLBACK");
    await holder.end();
    await waitFor("the killed apply's session to end", async () => {
      const { rows } = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'ebill-ops%'",
      );
      return rows.length === 0;
    });
    expect(await dumpBills()).toBe(before);
    const recorded = await client.query(
      "SELECT 1 FROM ebill_ops.fix_applied WHERE file LIKE '%all-insurance%'",
    );
    expect(recorded.rows).toEqual([]);
    const rerun = await cli(["fix", "apply", "--stack", stack, file, "--yes"], db.server.env);
    expect(rerun.code, rerun.stderr).toBe(0);
  }, 90_000);
});
