/**
 * The database source against a real PostgreSQL with the sandbox seed: each kind created, updated
 * and deleted (disabled when in use), apply then plan is empty, the never-drop rules, the lock
 * holder message, the saved-hash refusal, and all-or-nothing on failure.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { connect } from "../../src/db/connect.ts";
import { applyDatabase, databaseSource, STALE_PLAN_MESSAGE } from "../../src/db/source.ts";
import { acquireDatabaseLock } from "../../src/db/lock.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { Change } from "../../src/plan/types.ts";
import type { Db } from "../../src/db/providers/types.ts";

let db: SandboxDatabase;
let sql: pg.Client;

beforeEach(async () => {
  db = await startSandboxDatabase();
  sql = await db.client();
});
afterEach(async () => {
  await sql?.end();
  await db?.stop();
});

const edit = (env: Environment, change: (e: Environment) => void): Environment => {
  const copy = structuredClone(env);
  change(copy);
  return copy;
};

async function applyAll(env: Environment, allowDestroy = false): Promise<Change[]> {
  const plan = await databaseSource.plan(env);
  await databaseSource.apply(env, plan.changes, { allowDestroy, expectedLiveHash: plan.liveHash });
  return plan.changes;
}

async function expectConverged(env: Environment): Promise<void> {
  const again = await databaseSource.plan(env);
  expect(again.changes).toEqual([]);
}

const rows = async (text: string, values: unknown[] = []) => (await sql.query(text, values)).rows;
const brief = (changes: Change[]) =>
  changes.map((c) => `${c.action} ${c.kind} ${c.id}${c.destructive ? " !" : ""}`);

/** The sandbox plus one new object of every kind (and next year's storage). */
function withEverythingNew(env: Environment): Environment {
  return edit(env, (e) => {
    e.tablespaces!.push({ name: "ebill_2027", year: 2027, location: "/var/lib/ebill/tablespaces/2027" });
    e.partitions!.push(
      { table: "bill", year: 2027, tablespace: "ebill_2027" },
      { table: "bill_detail", year: 2027, tablespace: "ebill_2027" },
    );
    e.billTypes!.push({
      code: "46060127",
      name: "门诊2027",
      kind: "outpatient",
      year: 2027,
      enabled: true,
      example: true,
    });
    e.printTemplates!.push({ billCode: "46060127", name: "门诊模板2027", version: "2027.1", paper: "A5" });
    e.invoicingPoints!.push({ code: "003", name: "急诊收费处", enabled: true, billCodes: ["46060127"] });
    e.paymentChannels!.push({ code: "04", name: "支付宝", kind: "alipay", enabled: true });
    e.codeMappings!.push({
      system: "push",
      kind: "channel",
      local: "04",
      remote: "ALI",
      remoteName: "支付宝",
    });
    e.billStock!.push({
      billCode: "46060127",
      batch: "2027-01",
      first: "0000000001",
      last: "0000001000",
      place: "003",
      purpose: "issue",
    });
    e.roles!.push({ code: "auditor", name: "稽核", permissions: ["bill.query"] });
    e.operators!.push({
      account: "jz001",
      name: "稽核员",
      roles: ["auditor"],
      places: ["003"],
      enabled: true,
    });
  });
}

describe("database source", () => {
  it("applies the sandbox stack and then plans nothing", async () => {
    const first = await applyAll(db.env);
    expect(first.every((c) => c.action === "create")).toBe(true);
    expect(new Set(first.map((c) => c.kind))).toEqual(
      new Set(["printTemplates", "codeMappings", "roles", "operators"]),
    );
    await expectConverged(db.env);
    expect(await rows("SELECT account, role_code FROM ebill.operator_role ORDER BY 1")).toEqual([
      { account: "admin", role_code: "admin" },
      { account: "sf001", role_code: "cashier" },
    ]);
  });

  it("creates, updates and deletes every kind, converging after each apply", async () => {
    await applyAll(db.env);
    const added = withEverythingNew(db.env);
    const created = await applyAll(added);
    expect(brief(created)).toEqual([
      "create tablespaces ebill_2027",
      "create partitions bill_2027",
      "create partitions bill_detail_2027",
      "create billTypes 46060127",
      "create printTemplates 46060127",
      "create invoicingPoints 003",
      "create paymentChannels 04",
      "create codeMappings push/channel/04",
      "create billStock 46060127/2027-01/0000000001",
      "create roles auditor",
      "create operators jz001",
    ]);
    await expectConverged(added);
    expect(
      await rows(
        "SELECT c.relname, t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relname LIKE '%2027'",
      ),
    ).toEqual(
      expect.arrayContaining([
        { relname: "bill_2027", spcname: "ebill_2027" },
        { relname: "bill_detail_2027", spcname: "ebill_2027" },
      ]),
    );

    const changed = edit(added, (e) => {
      e.tablespaces!.find((t) => t.name === "ebill_2027")!.year = 2028; // only the recorded year
      e.billTypes!.find((t) => t.code === "46060127")!.name = "门诊2027（改）";
      e.printTemplates!.find((t) => t.billCode === "46060127")!.version = "2027.2";
      e.invoicingPoints!.find((p) => p.code === "003")!.billCodes = ["46060126", "46060127"];
      e.paymentChannels!.find((c) => c.code === "04")!.enabled = false;
      e.codeMappings!.find((m) => m.local === "04")!.remote = "ALIPAY";
      e.billStock!.find((s) => s.batch === "2027-01")!.last = "0000002000";
      e.roles!.find((r) => r.code === "auditor")!.permissions = ["bill.query", "bill.print"];
      e.operators!.find((o) => o.account === "jz001")!.places = ["001", "003"];
    });
    const updated = await applyAll(changed);
    expect(updated.every((c) => c.action === "update" && !c.destructive)).toBe(true);
    expect(new Set(updated.map((c) => c.kind)).size).toBe(9);
    const point = updated.find((c) => c.kind === "invoicingPoints")!;
    expect(point.before!.billCodes).toEqual(["46060127"]);
    expect(point.after!.billCodes).toEqual(["46060126", "46060127"]);
    await expectConverged(changed);
    expect(
      await rows("SELECT permission FROM ebill.role_permission WHERE role_code = 'auditor' ORDER BY 1"),
    ).toEqual([{ permission: "bill.print" }, { permission: "bill.query" }]);

    // Back to the sandbox: everything new is unused, so it is really deleted (reverse order).
    const removed = await applyAll(db.env);
    expect(brief(removed)).toEqual([
      "delete operators jz001",
      "delete roles auditor",
      "delete billStock 46060127/2027-01/0000000001",
      "delete codeMappings push/channel/04",
      "delete paymentChannels 04",
      "delete invoicingPoints 003",
      "delete printTemplates 46060127",
      "delete billTypes 46060127",
      "delete partitions bill_2027",
      "delete partitions bill_detail_2027",
      "delete tablespaces ebill_2027",
    ]);
    await expectConverged(db.env);
    expect(await rows("SELECT spcname FROM pg_tablespace WHERE spcname = 'ebill_2027'")).toEqual([]);
    expect(await rows("SELECT code FROM ebill.invoicing_point ORDER BY code")).toEqual([
      { code: "00000" },
      { code: "001" },
      { code: "002" },
    ]);
  });

  it("disables rows that issued bills or stock use instead of deleting them, only with --allow-destroy", async () => {
    await applyAll(db.env);
    const without = edit(db.env, (e) => {
      e.invoicingPoints = e.invoicingPoints!.filter((p) => p.code !== "001");
      e.operators = e.operators!.map((o) => ({ ...o, places: o.places.filter((p) => p !== "001") }));
      e.billStock = e.billStock!.filter((s) => s.place !== "001");
      e.paymentChannels = e.paymentChannels!.filter((c) => c.code !== "05");
      e.codeMappings = e.codeMappings!.filter((m) => m.local !== "05" && m.local !== "001");
    });
    const plan = await databaseSource.plan(without);
    const point = plan.changes.find((c) => c.kind === "invoicingPoints" && c.id === "001")!;
    expect(point).toMatchObject({ action: "update", destructive: true, after: { enabled: false } });
    expect(point.note).toMatch(
      /disabled instead of deleted: issued bills reference it; bill stock is distributed to it/,
    );
    expect(plan.changes.find((c) => c.kind === "billStock")).toMatchObject({
      action: "update",
      destructive: true,
      after: { enabled: false },
    });
    expect(plan.changes.find((c) => c.kind === "paymentChannels")).toMatchObject({
      action: "update",
      destructive: true,
    });

    await expect(
      databaseSource.apply(without, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(/destructive change.*--allow-destroy/s);
    expect(await rows("SELECT enabled FROM ebill.invoicing_point WHERE code = '001'")).toEqual([
      { enabled: true },
    ]);

    await databaseSource.apply(without, plan.changes, {
      allowDestroy: true,
      expectedLiveHash: plan.liveHash,
    });
    expect(await rows("SELECT enabled FROM ebill.invoicing_point WHERE code = '001'")).toEqual([
      { enabled: false },
    ]);
    expect(await rows("SELECT count(*)::int AS n FROM ebill.bill WHERE place_code = '001'")).toEqual([
      { n: 2500 },
    ]);
    await expectConverged(without);
  });

  it("never drops a partition or tablespace holding data, even with --allow-destroy", async () => {
    const without = edit(db.env, (e) => {
      e.partitions = e.partitions!.filter((p) => p.table !== "bill");
    });
    const plan = await databaseSource.plan(without);
    const drop = plan.changes.find((c) => c.kind === "partitions")!;
    expect(drop).toMatchObject({ action: "delete", id: "bill_2026", destructive: true });
    expect(drop.note).toMatch(/never dropped/);
    await expect(
      databaseSource.apply(without, plan.changes, { allowDestroy: true, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(/partition bill_2026 holds bills: a partition holding data is never dropped/);

    const noStorage = edit(db.env, (e) => {
      e.tablespaces = [];
      e.partitions = [];
    });
    const plan2 = await databaseSource.plan(noStorage);
    expect(plan2.changes.find((c) => c.kind === "tablespaces")!.note).toMatch(
      /never dropped: partitions bill_2026, bill_detail_2026 hold data/,
    );
    await expect(
      databaseSource.apply(noStorage, plan2.changes, {
        allowDestroy: true,
        expectedLiveHash: plan2.liveHash,
      }),
    ).rejects.toThrow(/never dropped/);
    expect(await rows("SELECT count(*)::int AS n FROM ebill.bill")).toEqual([{ n: 3500 }]);
    expect(await rows("SELECT spcname FROM pg_tablespace WHERE spcname = 'ebill_2026'")).toHaveLength(1);
  });

  it("refuses to end a stock range before its last issued number, and allows shrinking the unused rest", async () => {
    const cut = edit(db.env, (e) => {
      e.billStock!.find((s) => s.place === "001")!.last = "0000002000";
    });
    const plan = await databaseSource.plan(cut);
    const change = plan.changes.find((c) => c.kind === "billStock")!;
    expect(change).toMatchObject({ action: "update", destructive: true });
    expect(change.note).toMatch(/bill number 0000002500 of this range was already issued/);
    await expect(
      databaseSource.apply(cut, plan.changes, { allowDestroy: true, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(/billStock 46060126\/2026-01\/0000000001: bill number 0000002500/);

    const shrink = edit(db.env, (e) => {
      e.billStock!.find((s) => s.place === "001")!.last = "0000003000";
    });
    const ok = await databaseSource.plan(shrink);
    expect(ok.changes.find((c) => c.kind === "billStock")).toMatchObject({
      action: "update",
      destructive: false,
    });
    // A bill issued meanwhile does not make the saved plan stale: only "used or not" is hashed.
    await sql.query(
      `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
       VALUES ('46060126', '0000002501', 'abc123', '001', '02', 10, '2026-11-26 09:00')`,
    );
    await databaseSource.apply(shrink, ok.changes, { allowDestroy: false, expectedLiveHash: ok.liveHash });
    await expectConverged(shrink);
  });

  it("moves an empty tablespace by replacing it, and refuses to move one holding partitions", async () => {
    const spare = edit(db.env, (e) => {
      e.tablespaces!.push({ name: "ebill_spare", year: 2030, location: "/var/lib/ebill/spare-a" });
    });
    await applyAll(spare);
    const moved = edit(spare, (e) => {
      e.tablespaces!.find((t) => t.name === "ebill_spare")!.location = "/var/lib/ebill/spare-b";
    });
    const plan = await databaseSource.plan(moved);
    expect(brief(plan.changes)).toEqual(["replace tablespaces ebill_spare !"]);
    await databaseSource.apply(moved, plan.changes, { allowDestroy: true, expectedLiveHash: plan.liveHash });
    expect(
      (
        await rows("SELECT pg_tablespace_location(oid) AS l FROM pg_tablespace WHERE spcname = 'ebill_spare'")
      )[0].l,
    ).toMatch(/\/tablespaces\/var\/lib\/ebill\/spare-b$/);
    await expectConverged(moved);

    const busy = edit(db.env, (e) => {
      e.tablespaces![0]!.location = "/var/lib/ebill/elsewhere";
    });
    const plan2 = await databaseSource.plan(busy);
    await expect(
      databaseSource.apply(busy, plan2.changes, { allowDestroy: true, expectedLiveHash: plan2.liveHash }),
    ).rejects.toThrow(/tablespace ebill_2026 holds partition bill_2026, partition bill_detail_2026/);
  });

  it("leaves kinds the stack does not declare alone, and owns declared kinds whole", async () => {
    await sql.query("INSERT INTO ebill.payment_channel (code, name, kind) VALUES ('99', '其他', 'other')");
    await sql.query("INSERT INTO ebill.role (code, name) VALUES ('handmade', '手工')");
    const noRoles = edit(db.env, (e) => {
      delete e.roles;
      delete e.operators;
    });
    const plan = await databaseSource.plan(noRoles);
    expect(plan.changes.filter((c) => c.kind === "roles" || c.kind === "operators")).toEqual([]);
    expect(brief(plan.changes.filter((c) => c.kind === "paymentChannels"))).toEqual([
      "delete paymentChannels 99",
    ]);
  });

  it("stores hostile values verbatim; names cannot reach SQL unquoted", async () => {
    const hostile = [
      `收费处'; DROP TABLE ebill.bill; --`,
      `$$ SELECT pg_sleep(10) $$`,
      `"quoted" \\ back\\slash ; $1 ${"\u{1F600}"} 开票点`,
    ];
    const env = edit(db.env, (e) => {
      e.invoicingPoints!.forEach((p, i) => (p.name = hostile[i]!));
      e.codeMappings![0]!.remoteName = `O'Brien "x"; --`;
      // A tablespace name that slipped past validation is still only ever a quoted identifier.
      e.tablespaces!.push({
        name: `evil"; DROP TABLE ebill.bill; --`,
        year: 2030,
        location: "/var/lib/ebill/evil",
      });
    });
    await applyAll(env);
    expect((await rows("SELECT name FROM ebill.invoicing_point ORDER BY code")).map((r) => r.name)).toEqual([
      hostile[2],
      hostile[0],
      hostile[1],
    ]);
    expect(await rows("SELECT remote_name FROM ebill.code_mapping WHERE remote_name IS NOT NULL")).toEqual([
      { remote_name: `O'Brien "x"; --` },
    ]);
    expect(await rows(`SELECT spcname FROM pg_tablespace WHERE spcname LIKE 'evil%'`)).toEqual([
      { spcname: `evil"; DROP TABLE ebill.bill; --` },
    ]);
    expect(await rows("SELECT count(*)::int AS n FROM ebill.bill")).toEqual([{ n: 3500 }]);
    await expectConverged(env);
  });

  it("refuses a saved plan when the live state changed since it was made, changing nothing", async () => {
    const plan = await databaseSource.plan(db.env);
    await sql.query("UPDATE ebill.invoicing_point SET name = '手改' WHERE code = '002'");
    await expect(
      databaseSource.apply(db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(STALE_PLAN_MESSAGE);
    expect(await rows("SELECT count(*)::int AS n FROM ebill.role")).toEqual([{ n: 0 }]);
  });

  it("never overwrites a row a person inserted while the apply ran: the apply fails whole and the rerun shows the difference", async () => {
    const env = withEverythingNew(db.env);
    const plan = await databaseSource.plan(env);
    const client = await connect(env);
    // The person's insert lands after the apply read the live state, right before it writes the mappings.
    const racing: Db = {
      async query(text: string, values?: unknown[]) {
        if (/^INSERT INTO "ebill"\."code_mapping"/.test(text))
          await sql.query(
            "INSERT INTO ebill.code_mapping (system, kind, local_code, remote_code) VALUES ('push', 'channel', '04', 'HAND')",
          );
        return client.query(text, values);
      },
    } as Db;
    try {
      await expect(
        applyDatabase(racing, env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
      ).rejects.toThrow(/duplicate key|could not serialize/);
    } finally {
      await client.end();
    }
    expect(await rows("SELECT remote_code FROM ebill.code_mapping WHERE local_code = '04'")).toEqual([
      { remote_code: "HAND" },
    ]);
    // The bill type was written before the mappings, and rolled back with them.
    expect(await rows("SELECT count(*)::int AS n FROM ebill.bill_type WHERE code = '46060127'")).toEqual([
      { n: 0 },
    ]);
    expect(await rows("SELECT result FROM ebill_ops.apply_audit WHERE result = 'ok'")).toEqual([]);
    const rerun = await databaseSource.plan(env);
    expect(brief(rerun.changes)).toContain("update codeMappings push/channel/04");
    await applyAll(env);
    await expectConverged(env);
  });

  it("fails at once naming the lock holder when another apply runs", async () => {
    const other = await db.client();
    const actor = process.env.EBILL_OPS_ACTOR;
    try {
      process.env.EBILL_OPS_ACTOR = "张工程师";
      await acquireDatabaseLock(other, db.env.name);
      process.env.EBILL_OPS_ACTOR = "second";
      const plan = await databaseSource.plan(db.env);
      const started = Date.now();
      await expect(
        databaseSource.apply(db.env, plan.changes, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
      ).rejects.toThrow(
        /another apply of stack sandbox is running on database ebill: the lock is held by 张工程师 on .+ \(pid \d+\) since \d{4}-\d\d-\d\dT/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      if (actor === undefined) delete process.env.EBILL_OPS_ACTOR;
      else process.env.EBILL_OPS_ACTOR = actor;
      await other.end();
    }
    // The holder's session ended: the lock is free again.
    await applyAll(db.env);
    await expectConverged(db.env);
  });

  it("rolls everything back when a write fails midway, including its new tablespace", async () => {
    const env = withEverythingNew(db.env);
    const plan = await databaseSource.plan(env);
    // A stock range whose last number is below its first fails the table's CHECK, after the
    // tablespace, partitions and earlier kinds were written.
    const broken = plan.changes.map((c) =>
      c.kind === "billStock" ? { ...c, after: { ...c.after!, last: "0000000000" } } : c,
    );
    await expect(
      databaseSource.apply(env, broken, { allowDestroy: false, expectedLiveHash: plan.liveHash }),
    ).rejects.toThrow(/check constraint/);
    expect(await rows("SELECT spcname FROM pg_tablespace WHERE spcname = 'ebill_2027'")).toEqual([]);
    expect(await rows("SELECT count(*)::int AS n FROM ebill.bill_type")).toEqual([{ n: 2 }]);
    expect(await rows("SELECT to_regclass('ebill.bill_2027') AS t")).toEqual([{ t: null }]);
    const again = await databaseSource.plan(env);
    expect(again.liveHash).toBe(plan.liveHash);
  });
});
