/**
 * Year-end rollover against a REAL sandbox database (embedded PostgreSQL with the reference
 * schema and the documented seed: 2026 bills, see src/db/seed.ts), on temp copies of the stacks.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { check, resolveConfig } from "prettier";
import { cli, localEndpoint, REPO, tempRepo, type TempRepo } from "./helpers.ts";

let db: SandboxDatabase;
let endpoint: Awaited<ReturnType<typeof localEndpoint>>;
let repo: TempRepo;
let childEnv: Record<string, string>;

beforeAll(async () => {
  [db, endpoint] = await Promise.all([startSandboxDatabase(), localEndpoint()]);
  repo = await tempRepo(endpoint.url);
  // 20 December 2026: next year is due, nothing is prepared yet.
  childEnv = { ...db.server.env, EBILL_OPS_TODAY: "2026-12-20" };
});

afterAll(async () => {
  await Promise.all([db?.stop(), endpoint?.close(), repo?.remove()]);
});

interface Item {
  id: string;
  status: string;
  title: string;
  detail: string;
}

const sha = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

describe("rollover on the sandbox", () => {
  it("check on 20 December with nothing prepared exits 2 and names every missing item", async () => {
    const json = await cli(
      ["rollover", "check", "--stack", repo.stack, "--year", "2027", "--json"],
      childEnv,
    );
    expect(json.code, json.stderr).toBe(2);
    const report = JSON.parse(json.stdout) as { ready: boolean; items: Item[] };
    expect(report.ready).toBe(false);
    const missing = report.items.filter((i) => i.status === "missing").map((i) => i.id);
    // Next year's storage, bill types and every point's stock of the new codes.
    const yearItems = [
      "tablespace/2027",
      "partition/bill/2027",
      "partition/bill_detail/2027",
      "billTypes/2027",
      "stock/001/46060127",
      "stock/002/46060227",
      "stock/00000/46060127",
    ];
    // The seed leaves the interface mappings out (so the first plan has work): each is named too.
    const mappings = [
      ...["001", "002", "00000"].map((c) => ["place", c] as const),
      ...["02", "05", "11"].map((c) => ["channel", c] as const),
    ].flatMap(([kind, code]) => ["his", "fiscal"].map((system) => `mapping/${system}/${kind}/${code}`));
    expect(missing.sort()).toEqual([...yearItems, ...mappings].sort());
    // The endpoints answer (local stand-in) and the disk was measured, not guessed.
    expect(report.items.filter((i) => i.id.startsWith("endpoint/")).map((i) => i.status)).toEqual([
      "ok",
      "ok",
      "ok",
    ]);

    const text = await cli(["rollover", "check", "--stack", repo.stack, "--year", "2027"], childEnv);
    expect(text.code).toBe(2);
    for (const item of report.items.filter((i) => i.status === "missing"))
      expect(text.stdout).toContain(`MISSING ${item.title}`);
    expect(text.stdout).toContain(`NOT READY for 2027: ${missing.length} of`);
  });

  it("carry-over of 2026 reports exactly the seeded used and unused ranges, recorded once per year", async () => {
    const out = path.join(repo.root, "carry-over-out");
    const args = ["rollover", "carry-over", "--stack", repo.stack, "--year", "2026", "--out", out, "--json"];
    const first = await cli(args, childEnv);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as {
      lines: {
        place: string;
        billCode: string;
        used: number;
        voided: number;
        firstUsed: string;
        lastUsed: string;
        unused: unknown[];
      }[];
      totals: { used: number; voided: number };
    };
    const lines = result.lines.map(({ place, billCode, used, voided, firstUsed, lastUsed, unused }) => ({
      place,
      billCode,
      used,
      voided,
      firstUsed,
      lastUsed,
      unused,
    }));
    // docs/database.md / src/db/seed.ts: the first 5 % of each 2026 issuing range used, every 50th voided.
    expect(lines).toEqual([
      {
        place: "00000",
        billCode: "46060126",
        used: 500,
        voided: 10,
        firstUsed: "0000050001",
        lastUsed: "0000050500",
        unused: [{ first: "0000050501", last: "0000060000", count: 9500 }],
      },
      {
        place: "001",
        billCode: "46060126",
        used: 2500,
        voided: 50,
        firstUsed: "0000000001",
        lastUsed: "0000002500",
        unused: [{ first: "0000002501", last: "0000050000", count: 47500 }],
      },
      {
        place: "002",
        billCode: "46060226",
        used: 500,
        voided: 10,
        firstUsed: "0000000001",
        lastUsed: "0000000500",
        unused: [{ first: "0000000501", last: "0000010000", count: 9500 }],
      },
    ]);
    expect(result.totals).toMatchObject({ used: 3500, voided: 70 });

    // Files for the finance office and the local copy of the year's basic information.
    const md = await readFile(path.join(out, "report.md"), "utf8");
    expect(md).toContain("2026年度票据结转报告");
    expect(md).toContain("0000002501–0000050000（47,500张）");
    const html = await readFile(path.join(out, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=/);
    const basic = JSON.parse(await readFile(path.join(out, "basic-info.json"), "utf8")) as {
      invoicingPoints: unknown[];
      billStock: unknown[];
    };
    expect(basic.invoicingPoints).toHaveLength(3);
    expect(basic.billStock).toHaveLength(3);

    // Recorded in ebill_ops, and a second run replaces rather than duplicates.
    const again = await cli(args, childEnv);
    expect(again.code, again.stderr).toBe(0);
    const c = await db.client();
    try {
      const rows = await c.query(
        "SELECT place_code, bill_code, used_count, unused_count FROM ebill_ops.rollover_carry_over WHERE year = 2026 ORDER BY 1",
      );
      expect(rows.rows).toEqual([
        { place_code: "00000", bill_code: "46060126", used_count: 500, unused_count: "9500" },
        { place_code: "001", bill_code: "46060126", used_count: 2500, unused_count: "47500" },
        { place_code: "002", bill_code: "46060226", used_count: 500, unused_count: "9500" },
      ]);
    } finally {
      await c.end();
    }
  });

  it("prepare writes 2027 sized from 2026's issuing; a second run changes nothing", async () => {
    const first = await cli(
      ["rollover", "prepare", "--stack", repo.stack, "--year", "2027", "--json"],
      childEnv,
    );
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as {
      changed: boolean;
      written: string[];
      sizing: unknown[];
      notes: string[];
    };
    expect(result.changed).toBe(true);
    // What only a person can do is said, not guessed.
    expect(result.notes.join("\n")).toMatch(/EXAMPLE codes \(46060126, 46060226\)/);
    expect(result.notes.join("\n")).toMatch(
      /printComponents\[0\] \(host sbx-print\) prints template 46060126; switch it to 46060127/,
    );
    const yearFile = path.join(repo.root, "stacks/sandbox/year-2027.ts");
    const text = await readFile(yearFile, "utf8");
    // 2,500 bills at 001 in 354 days of 2026 -> x365 x1.3 = 3,351 -> 3,400; 500 -> 671 -> the minimum 1,000.
    expect(text).toContain(
      '{ billCode: "46060127", batch: "2027-01", first: "0000000001", last: "0000003400", place: "001" }',
    );
    expect(text).toContain('first: "0000003401",');
    expect(text).toContain('purpose: "exchange"');
    expect(text).toContain('{ name: "ebill_2027", year: 2027, location: "/var/lib/ebill/tablespaces/2027" }');
    const stackText = await readFile(repo.stack, "utf8");
    expect(stackText).toContain('import year2027 from "./sandbox/year-2027.ts";');
    expect(stackText).toContain("[year2026, year2027]");

    // Formatted as the repository formats TypeScript (prettier, the repository's settings).
    for (const file of [yearFile, repo.stack]) {
      const options = { ...(await resolveConfig(path.join(REPO, "src/cli.ts"))), filepath: file };
      expect(await check(await readFile(file, "utf8"), options), file).toBe(true);
    }

    const before = [await sha(yearFile), await sha(repo.stack)];
    const mtime = (await stat(yearFile)).mtimeMs;
    const second = await cli(["rollover", "prepare", "--stack", repo.stack, "--year", "2027"], childEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("already prepared");
    expect([await sha(yearFile), await sha(repo.stack)]).toEqual(before);
    expect((await stat(yearFile)).mtimeMs).toBe(mtime);

    const valid = await cli(["validate", "--stack", repo.stack], childEnv);
    expect(valid.code, valid.stderr + valid.stdout).toBe(0);
  });

  it("after prepare and apply, check exits 0 and a bill of 1 January 2027 lands in the 2027 partition and tablespace", async () => {
    const apply = await cli(["apply", "--stack", repo.stack, "--yes"], childEnv);
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    const ready = await cli(["rollover", "check", "--stack", repo.stack, "--year", "2027"], childEnv);
    expect(ready.code, ready.stdout + ready.stderr).toBe(0);
    expect(ready.stdout).toContain("READY for 2027");

    const c = await db.client();
    try {
      await c.query(
        `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
         VALUES ('46060127', '0000000001', 'a1b2c3', '001', '02', 12.50, '2027-01-01 00:00:05')`,
      );
      const where = await c.query<{ partition: string; tablespace: string }>(
        `SELECT n.nspname || '.' || pc.relname AS partition, ts.spcname AS tablespace
           FROM ebill.bill b JOIN pg_class pc ON pc.oid = b.tableoid
           JOIN pg_namespace n ON n.oid = pc.relnamespace
           LEFT JOIN pg_tablespace ts ON ts.oid = pc.reltablespace
          WHERE b.bill_code = '46060127' AND b.bill_no = '0000000001'`,
      );
      expect(where.rows).toEqual([{ partition: "ebill.bill_2027", tablespace: "ebill_2027" }]);
    } finally {
      await c.end();
    }
  });
});
