/**
 * The health checks against a real sandbox database (seeded, fixture year 2026, date pinned), with
 * faults injected for real: a transaction held open past its limit, a session waiting for a lock,
 * next year's partitions missing after 1 November, an invoicing point with 3 days of stock, and
 * the backup age of a stack that declares no backups. Each is reported by its check id at its level and
 * cleared when the fault is gone. Then `inspect` and `monitor --notify` as the CLI runs them, the
 * report looked at in a real browser, and the database part's round trips counted. No hosts here
 * (hosts.test.ts brings them up): their checks are unknown with the reason, never ok.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDatabaseFacts } from "../../src/checks/collect-database.ts";
import { runHealthChecks } from "../../src/checks/run.ts";
import type { Finding } from "../../src/checks/types.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { ebillOps, type CliResult } from "../harness/cli.ts";
import { partitionDdl, qualified, T } from "../../src/db/reference-schema.ts";
import type { Environment } from "../../src/model/environment.ts";
import { htmlToPdf, measure, pageErrors } from "../../src/base/browser.ts";
import { FIXTURE_TODAY } from "../harness/fixture-stacks.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

const NO_HOSTS = path.join(REPO_ROOT, ".cache", "no-test-hosts", "state.json");

let db: SandboxDatabase;
let client: pg.Client;
let dir: string;
const saved = { today: process.env.EBILL_OPS_TODAY, hosts: process.env.EBILL_OPS_HOSTS_STATE };

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  // A running database has been visited by autovacuum; a freshly seeded one not yet.
  await client.query("VACUUM ANALYZE");
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-checks-db-"));
  process.env.EBILL_OPS_TODAY = FIXTURE_TODAY;
  // The sandbox's namespace hosts (if `npm run demo` made them here) share the fixture's addresses.
  process.env.EBILL_OPS_HOSTS_STATE = NO_HOSTS;
});

afterAll(async () => {
  for (const [key, value] of [
    ["EBILL_OPS_TODAY", saved.today],
    ["EBILL_OPS_HOSTS_STATE", saved.hosts],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  await client?.end();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function envWith(change: (env: Environment) => void = () => {}): Environment {
  const env = structuredClone(db.env);
  change(env);
  return env;
}

async function findings(env: Environment, options: { quick?: boolean; now?: Date } = {}): Promise<Finding[]> {
  return (
    await runHealthChecks(env, { quick: options.quick ?? true, ...(options.now ? { now: options.now } : {}) })
  ).findings;
}

const of = (all: Finding[], id: string, target?: string) =>
  all.filter((f) => f.id === id && (target === undefined || f.target === target));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a healthy sandbox database", () => {
  it("every database and billing check is ok, or unknown with a reason; the hosts' are unknown, never ok", async () => {
    const all = await findings(envWith(), { quick: false });
    const dbSide = all.filter((f) => f.area === "database" || f.area === "business");
    expect(dbSide.filter((f) => f.status === "warn" || f.status === "fail")).toEqual([]);
    for (const f of all.filter((f) => f.status === "unknown"))
      expect(f.advice, `${f.id} ${f.target}`).toMatch(/\S{4,}/);
    expect(of(all, "db.reachable")[0]!.status).toBe("ok");
    expect(of(all, "biz.stock.days-left").map((f) => f.target)).toEqual([
      "00000/46060126",
      "001/46060126",
      "002/46060226",
    ]);
    const hosts = all.filter((f) => f.area === "host");
    expect(hosts.every((f) => f.status === "unknown")).toBe(true);
    expect(hosts[0]!.advice).toContain("sandbox hosts are not running");
    expect(all.some((f) => f.risk === "高")).toBe(false);
  });
});

describe("faults in the database, each found by its check and cleared", () => {
  it("a transaction held open past its limit (6 s against 5 s: the issue's 6 minutes against 5, scaled down)", async () => {
    const env = envWith((e) => {
      e.maintenance.thresholds.longTransactionSeconds = { warn: 5, fail: 3600 };
    });
    const holder = await db.client();
    try {
      await holder.query("SET application_name = 'stuck-report'");
      await holder.query("BEGIN");
      await holder.query("SELECT txid_current()");
      await sleep(6_000);
      const held = of(await findings(env), "db.transactions.long")[0]!;
      expect([held.status, held.risk]).toEqual(["warn", "中"]);
      expect(held.value).toBeGreaterThanOrEqual(6);
      expect(held.evidence).toContain("stuck-report");
      // It is idle inside the transaction too: default limit 60 s, not reached.
      expect(of(await findings(env), "db.idle-in-transaction")[0]!.status).toBe("ok");
      await holder.query("COMMIT");
      expect(of(await findings(env), "db.transactions.long")[0]).toMatchObject({ status: "ok", value: 0 });
    } finally {
      await holder.end();
    }
  });

  it("a session waiting for a lock", async () => {
    const env = envWith((e) => {
      e.maintenance.thresholds.lockWaitSeconds = { warn: 1, fail: 600 };
    });
    const [holder, waiter] = [await db.client(), await db.client()];
    const stock = qualified("ebill", T.billStock);
    try {
      await holder.query("BEGIN");
      await holder.query(`UPDATE ${stock} SET batch = batch WHERE place_code = '001'`);
      const waiting = waiter.query(`UPDATE ${stock} SET batch = batch WHERE place_code = '001'`);
      await sleep(2_000);
      expect(of(await findings(env), "db.locks.waiting")[0]).toMatchObject({ status: "warn" });
      await holder.query("ROLLBACK");
      await waiting;
      expect(of(await findings(env), "db.locks.waiting")[0]!.status).toBe("ok");
    } finally {
      await holder.end();
      await waiter.end();
    }
  });

  it("next year's partitions missing after 1 November warn, after 1 December fail; present they are ok", async () => {
    const env = envWith();
    const november = of(
      await findings(env, { now: new Date("2026-11-15T10:00:00+08:00") }),
      "db.partitions.next-year",
    );
    expect(november.map((f) => [f.target, f.status])).toEqual([
      ["bill_2027", "warn"],
      ["bill_detail_2027", "warn"],
    ]);
    expect(november[0]!.advice).toContain("rollover prepare --stack sandbox --year 2027");
    const december = of(
      await findings(env, { now: new Date("2026-12-02T10:00:00+08:00") }),
      "db.partitions.next-year",
    );
    expect(december.map((f) => f.status)).toEqual(["fail", "fail"]);
    for (const table of ["bill", "bill_detail"] as const)
      await client.query(partitionDdl("ebill", table, 2027, "pg_default"));
    try {
      const made = of(
        await findings(env, { now: new Date("2026-12-02T10:00:00+08:00") }),
        "db.partitions.next-year",
      );
      expect(made.map((f) => f.status)).toEqual(["ok", "ok"]);
    } finally {
      for (const table of ["bill_detail", "bill"])
        await client.query(`DROP TABLE ${qualified("ebill", `${table}_2027`)}`);
    }
  });

  it("an invoicing point with 3 days of stock left at its issuing rate fails there, and only there", async () => {
    const restore = await shortenStock(client, "00000", 3);
    try {
      const stock = of(await findings(envWith()), "biz.stock.days-left");
      const short = stock.find((f) => f.target === "00000/46060126")!;
      expect([short.status, short.risk]).toEqual(["fail", "高"]);
      expect(Math.abs(Number(short.value) - 3)).toBeLessThan(0.6);
      expect(short.advice).toContain("00000");
      expect(stock.filter((f) => f.status !== "ok").map((f) => f.target)).toEqual(["00000/46060126"]);
    } finally {
      await restore();
    }
    expect(of(await findings(envWith()), "biz.stock.days-left", "00000/46060126")[0]!.status).toBe("ok");
  });

  it("without maintenance.backup the backup age is unknown and says what to declare", async () => {
    const backup = of(await findings(envWith(), { quick: false }), "db.backup.age")[0]!;
    expect(backup).toMatchObject({ status: "unknown", risk: "低", value: null });
    expect(backup.advice).toContain("maintenance.backup");
  });
});

/**
 * Leaves `days` days of stock at a point: its range ends that many days of issuing (at its rate of
 * the last 30 days) after its last used number. Returns how to put the range back.
 */
async function shortenStock(c: pg.Client, place: string, days: number): Promise<() => Promise<void>> {
  const stock = qualified("ebill", T.billStock);
  const bill = qualified("ebill", T.bill);
  const { rows } = await c.query<{
    bill_code: string;
    batch: string;
    first_no: string;
    last_no: string;
    used: number;
    rate: number;
  }>(
    `SELECT s.bill_code, s.batch, s.first_no, s.last_no,
            (SELECT count(*) FROM ${bill} b WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no)::int AS used,
            (SELECT count(*) FROM ${bill} b WHERE b.place_code = s.place_code AND b.bill_code = s.bill_code
                AND b.issued_at > $2::timestamp - interval '30 days' AND b.issued_at <= $2::timestamp)::float / 30 AS rate
       FROM ${stock} s WHERE s.place_code = $1 AND s.purpose = 'issue'`,
    [place, "2026-06-15 10:00:00"],
  );
  expect(rows).toHaveLength(1);
  const r = rows[0]!;
  const last = String(Number(r.first_no) + r.used - 1 + Math.round(days * r.rate)).padStart(10, "0");
  await c.query(`UPDATE ${stock} SET last_no = $1 WHERE bill_code = $2 AND batch = $3 AND first_no = $4`, [
    last,
    r.bill_code,
    r.batch,
    r.first_no,
  ]);
  return async () => {
    await c.query(`UPDATE ${stock} SET last_no = $1 WHERE bill_code = $2 AND batch = $3 AND first_no = $4`, [
      r.last_no,
      r.bill_code,
      r.batch,
      r.first_no,
    ]);
  };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return ebillOps(args, {
    env: {
      ...process.env,
      ...db.server.env,
      NO_COLOR: "1",
      EBILL_OPS_HOSTS_STATE: NO_HOSTS,
      EBILL_OPS_TODAY: FIXTURE_TODAY,
      ...env,
    },
  });
}

async function stackFile(name: string, env: Environment): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(env, null, 2));
  return file;
}

describe("ebill-ops inspect", () => {
  it("writes report.md, report.html and findings.json; exit 0 without risk of 中 or above, 2 with one; trends against the previous quarter", async () => {
    const stack = await stackFile("inspect", envWith());
    const out = path.join(dir, "inspections");
    const risks = path.join(dir, "risks.md");
    const first = await cli([
      "inspect",
      "--stack",
      stack,
      "--quarter",
      "2026Q2",
      "--out",
      out,
      "--risks-markdown",
      risks,
    ]);
    expect(first.stderr).toContain("report.html");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await readFile(risks, "utf8")).toBe("");
    const folder = path.join(out, "sandbox", "2026Q2");
    const findingsJson = JSON.parse(await readFile(path.join(folder, "findings.json"), "utf8")) as {
      quarter: { id: string };
      summary: { risks: Record<string, number> };
      metrics: { billsPerDay: unknown[]; stock: unknown[] };
    };
    expect(findingsJson.quarter.id).toBe("2026Q2");
    expect(findingsJson.summary.risks.高).toBe(0);
    expect(findingsJson.metrics.billsPerDay.length).toBeGreaterThan(60);
    const text = JSON.stringify(findingsJson) + (await readFile(path.join(folder, "report.md"), "utf8"));
    for (const secret of [db.server.env.EBILL_DB_PASSWORD, db.server.env.FISCAL_APP_KEY])
      expect(text).not.toContain(secret);

    // One quarter later, with a point short of stock: a 高 risk, exit 2, the issue's list, and a trend.
    const restore = await shortenStock(client, "00000", 3);
    try {
      const second = await cli(
        [
          "inspect",
          "--stack",
          stack,
          "--quarter",
          "2026Q3",
          "--out",
          out,
          "--risks-markdown",
          risks,
          "--json",
        ],
        { EBILL_OPS_TODAY: "2026-07-20T10:00:00+08:00" },
      );
      expect(second.code, second.stderr).toBe(2);
      const json = JSON.parse(second.stdout) as { previous: { quarter: string } | null };
      expect(json.previous?.quarter).toBe("2026Q2");
      expect(await readFile(risks, "utf8")).toContain("`biz.stock.days-left`");
      const md = await readFile(path.join(out, "sandbox", "2026Q3", "report.md"), "utf8");
      expect(md).toMatch(/\| 表空间 ebill_2026 +\| [\d.]+ [KM]iB +\| [\d.]+ [KM]iB +\|/);
      expect(md).toContain("上次（2026Q2）");
    } finally {
      await restore();
    }
  });

  it("report.html in a real browser: four charts drawn and sized, no error in the page, prints to PDF", async () => {
    const html = path.join(dir, "inspections", "sandbox", "2026Q2", "report.html");
    expect(await pageErrors(html)).toEqual([]);
    const charts = ["#chart-tablespaces", "#chart-bills", "#chart-disks", "#chart-stock"];
    const boxes = await measure(html, [...charts, "#chart-bills rect.bar", "#chart-stock rect.bar"]);
    for (const id of charts) {
      expect(boxes[id]!.count, id).toBe(1);
      expect(boxes[id]!.width, id).toBeGreaterThan(300);
      expect(boxes[id]!.height, id).toBeGreaterThan(40);
    }
    // Bills on most days of the quarter, one stock bar per invoicing point.
    expect(boxes["#chart-bills rect.bar"]!.count).toBeGreaterThan(60);
    expect(boxes["#chart-stock rect.bar"]!.count).toBe(3);
    const pdf = await htmlToPdf(html, path.join(dir, "report.pdf"));
    expect(pdf.errors).toEqual([]);
    expect(pdf.bytes).toBeGreaterThan(10_000);
    expect((await readFile(pdf.file)).subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });
});

describe("ebill-ops monitor --notify", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver?.close());

  it("one message per change of state, none while nothing changes, the recovery with its duration", async () => {
    const stack = await stackFile(
      "monitor",
      envWith((e) => {
        e.maintenance.notifications = [{ kind: "json", name: "告警网关", url: `${receiver.url}/alerts` }];
      }),
    );
    const state = path.join(dir, "monitor-state", "sandbox.json");
    const monitorAt = (at: string) =>
      cli(["monitor", "--stack", stack, "--notify", "--state", state], { EBILL_OPS_TODAY: at });

    const healthy = await monitorAt("2026-06-15T10:00:00+08:00");
    expect(healthy.stdout).toContain("no change since the last run");
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(receiver.received).toEqual([]);
    expect((await stat(state)).isFile()).toBe(true);

    const restore = await shortenStock(client, "00000", 3);
    let restored = false;
    try {
      const short = await monitorAt("2026-06-15T10:15:00+08:00");
      expect(short.code).toBe(2);
      expect(receiver.received).toHaveLength(1);
      const events = (
        receiver.received[0]!.body as { events: { id: string; target: string; from: string; to: string }[] }
      ).events;
      expect(events).toEqual([
        expect.objectContaining({
          id: "biz.stock.days-left",
          target: "00000/46060126",
          from: "ok",
          to: "fail",
        }),
      ]);

      await monitorAt("2026-06-15T10:30:00+08:00");
      expect(receiver.received, "nothing changed: nothing sent").toHaveLength(1);

      await restore();
      restored = true;
      await monitorAt("2026-06-15T11:00:00+08:00");
      expect(receiver.received).toHaveLength(2);
      const back = (
        receiver.received[1]!.body as { events: { id: string; to: string; durationSeconds: number }[] }
      ).events;
      expect(back).toEqual([
        expect.objectContaining({ id: "biz.stock.days-left", to: "ok", durationSeconds: 45 * 60 }),
      ]);
    } finally {
      if (!restored) await restore();
    }
  });
});

describe("the database part's cost", () => {
  it("two round trips whatever the number of tables and partitions", async () => {
    const counted = async () => {
      let sent = 0;
      const counting = {
        query: (text: string, values?: unknown[]) => {
          sent++;
          return client.query(text, values) as Promise<{ rows: { facts: unknown }[] }>;
        },
      };
      const facts = await readDatabaseFacts(counting, db.env, {
        now: new Date(FIXTURE_TODAY),
        quarter: { from: "2026-04-01", to: "2026-06-30" },
      });
      expect(facts.roundTrips).toBe(sent);
      return facts;
    };
    const before = await counted();
    const years = Array.from({ length: 30 }, (_, i) => 2040 + i);
    await client.query(
      years.map((y) => partitionDdl("ebill", "bill", y, "pg_default")).join(";\n") +
        ";\n" +
        Array.from({ length: 100 }, (_, i) => `CREATE TABLE ebill.extra_${i} (id int)`).join(";\n"),
    );
    try {
      const after = await counted();
      expect(after.partitions.length).toBe(before.partitions.length + 30);
      expect([before.roundTrips, after.roundTrips]).toEqual([2, 2]);
    } finally {
      await client.query(
        [
          ...years.map((y) => `DROP TABLE ebill.bill_${y}`),
          ...Array.from({ length: 100 }, (_, i) => `DROP TABLE ebill.extra_${i}`),
        ].join(";\n"),
      );
    }
  });
});
