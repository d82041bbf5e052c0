/**
 * plan / apply / drift / history as a user runs them, against a real PostgreSQL with the sandbox
 * hospital's schema and issued bills.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
let stack: string;
let vars: Record<string, string>;

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-plan-"));
  stack = await writeStack(path.join(dir, "sandbox.json"), db.env);
  vars = { ...db.server.env };
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => cli(args, vars);

describe("the main job on the sandbox", () => {
  it("without a terminal, apply asks for --yes and changes nothing", async () => {
    const before = await dumpManaged(client, db.env);
    const r = await run("apply", "--stack", stack);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pass --yes");
    expect(await dumpManaged(client, db.env)).toEqual(before);
  });

  it("plan shows the work (exit 2), apply does it, then plan and drift show nothing (exit 0)", async () => {
    const plan = await run("plan", "--stack", stack);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/Plan for stack sandbox: \d+ to create/);
    expect(plan.stdout).toMatch(/\+\s+接口对照 codeMappings /);
    // The hosts source cannot run here: skipped, and said so, never silently.
    expect(plan.stdout).toContain("notice: hosts not planned:");
    const json = await run("plan", "--stack", stack, "--json");
    expect(json.stderr).toContain("hosts: not planned:");
    const parsed = JSON.parse(json.stdout) as {
      skipped: { source: string; reason: string; notApplicable?: true }[];
      sourceHashes: object;
    };
    // So is the product upgrade: the sandbox's app.version has no release folder here.
    expect(parsed.skipped.map((s) => s.source)).toEqual(["hosts", "upgrade"]);
    expect(parsed.skipped[1]!.reason).toMatch(/^no release \S+ \(.*manifest\.json\)/);
    // Hosts that cannot be reached are not checked; a version without a release has nothing to check.
    expect(parsed.skipped.map((s) => s.notApplicable ?? false)).toEqual([false, true]);
    expect(Object.keys(parsed.sourceHashes)).toEqual(["database"]);

    const apply = await run("apply", "--stack", stack, "--yes");
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/database: applying \d+ changes \.\.\./);
    expect(apply.stdout).toMatch(/database: applied \d+ changes in [\d.]+ s/);

    const again = await run("plan", "--stack", stack);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes");

    const drift = await run("drift", "--stack", stack);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toContain("No drift in what was checked of stack sandbox; NOT checked: hosts ");
  });

  it("history lists the apply with actor, commit, result and plan hash", async () => {
    const text = await run("history", "--stack", stack);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ok\s+\(no git\)\s+test-engineer\s+\d+ changes\s+plan [0-9a-f]{12}/);
    const json = JSON.parse((await run("history", "--stack", stack, "--json")).stdout) as {
      actor: string;
      result: string;
      planHash: string;
      changes: unknown[];
    }[];
    expect(json[0]).toMatchObject({ actor: "test-engineer", result: "ok" });
    expect(json[0]!.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(json[0]!.changes.length).toBeGreaterThan(0);
  });

  it("hand edits in the database show in drift with the field and both values (exit 2)", async () => {
    await client.query(`UPDATE ebill.invoicing_point SET name = '门诊收费处(改)' WHERE code = '001'`);
    await client.query(
      `DELETE FROM ebill.code_mapping WHERE system = 'his' AND kind = 'channel' AND local_code = '05'`,
    );
    await client.query(
      `INSERT INTO ebill.payment_channel (code, name, kind) VALUES ('99', '手工渠道', 'other')`,
    );

    const drift = await run("drift", "--stack", stack);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain(
      "drifted: 开票点 invoicingPoints 001 门诊收费处 — name: declared '门诊收费处', live '门诊收费处(改)'",
    );
    expect(drift.stdout).toMatch(/declared but missing live: 接口对照 codeMappings \S*his\S*channel\S*05/);
    expect(drift.stdout).toContain("exists live but not declared: 缴费渠道 paymentChannels 99 手工渠道");

    const json = JSON.parse((await run("drift", "--stack", stack, "--json")).stdout) as {
      drifted: boolean;
      differences: { kind: string; id: string; state: string; fields: unknown[] }[];
    };
    expect(json.drifted).toBe(true);
    expect(json.differences).toContainEqual({
      kind: "invoicingPoints",
      id: "001",
      name: "门诊收费处",
      state: "drifted",
      fields: [{ field: "name", declared: "门诊收费处", live: "门诊收费处(改)" }],
    });

    const md = await run("drift", "--stack", stack, "--markdown");
    expect(md.code).toBe(2);
    expect(md.stdout).toContain("### ebill-ops drift: `sandbox`");

    // Applying the declaration puts it back.
    const apply = await run("apply", "--stack", stack, "--yes", "--allow-destroy");
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect((await run("drift", "--stack", stack)).code).toBe(0);
  });

  it("a saved plan is applied exactly, and refused when the live state moved since", async () => {
    await writeStack(stack, db.env, (e) => {
      e.paymentChannels!.find((c) => c.code === "05")!.name = "微信支付";
    });
    const planFile = path.join(dir, "plan.json");
    const plan = await run("plan", "--stack", stack, "--out", planFile);
    expect(plan.code).toBe(2);
    const saved = JSON.parse(await readFile(planFile, "utf8")) as { stack: string; liveHash: string };
    expect(saved.stack).toBe("sandbox");

    // Someone changes the database between review and apply.
    await client.query(`UPDATE ebill.payment_channel SET name = '医保卡' WHERE code = '11'`);
    const before = await dumpManaged(client, db.env);
    const refused = await run("apply", "--stack", stack, "--plan", planFile, "--yes");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/live state .*(moved|changed)/i);
    expect(await dumpManaged(client, db.env)).toEqual(before);

    // A plan of another stack is refused too.
    await writeFile(planFile, JSON.stringify({ ...saved, stack: "lingshui-prod" }));
    const other = await run("apply", "--stack", stack, "--plan", planFile, "--yes");
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("is for stack 'lingshui-prod', not 'sandbox'");

    // A fresh plan, reviewed again, goes through.
    expect((await run("plan", "--stack", stack, "--out", planFile)).code).toBe(2);
    const ok = await run("apply", "--stack", stack, "--plan", planFile, "--yes");
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const { rows } = await client.query(
      "SELECT code, name FROM ebill.payment_channel WHERE code IN ('05', '11') ORDER BY code",
    );
    expect(rows).toEqual([
      { code: "05", name: "微信支付" },
      { code: "11", name: "医保" },
    ]);
  });

  it("a destructive change is refused without --allow-destroy; a channel used by bills is disabled, not deleted", async () => {
    await writeStack(stack, db.env, (e) => {
      e.paymentChannels = e.paymentChannels!.filter((c) => c.code !== "11");
      e.codeMappings = e.codeMappings!.filter((m) => !(m.kind === "channel" && m.local === "11"));
    });
    const plan = await run("plan", "--stack", stack);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(
      /缴费渠道 paymentChannels 11 医保 \(destructive\)\n.*\n\s+used by [\d,]+ issued bills/,
    );

    const before = await dumpManaged(client, db.env);
    const refused = await run("apply", "--stack", stack, "--yes");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--allow-destroy");
    expect(await dumpManaged(client, db.env)).toEqual(before);

    const allowed = await run("apply", "--stack", stack, "--yes", "--allow-destroy");
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    const { rows } = await client.query("SELECT enabled FROM ebill.payment_channel WHERE code = '11'");
    expect(rows).toEqual([{ enabled: false }]);
    const history = JSON.parse((await run("history", "--stack", stack, "--json")).stdout) as {
      result: string;
    }[];
    expect(history.slice(0, 2).map((h) => h.result)).toEqual(["ok", "failed"]);
  });

  it("markdown and JSON plans carry no secret, and errors name what to do", async () => {
    await writeStack(stack, db.env, (e) => {
      e.invoicingPoints!.push({
        code: "003",
        name: `分院 ${vars.EBILL_DB_PASSWORD}`,
        enabled: false,
        billCodes: [],
      });
    });
    for (const format of ["--json", "--markdown", "--text"]) {
      const r = await run("plan", "--stack", stack, ...(format === "--text" ? [] : [format]));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout + r.stderr).not.toContain(vars.EBILL_DB_PASSWORD!);
      expect(r.stdout).toContain("[redacted EBILL_DB_PASSWORD]");
    }
    const missing = await run("apply", "--stack", stack, "--plan", path.join(dir, "nope.json"), "--yes");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the plan .*nope\.json.*plan --stack/);
  });
});
