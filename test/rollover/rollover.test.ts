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
import { cli, REPO, tempRepo, type TempRepo } from "./helpers.ts";
import { signedStandIn, type StandIn } from "./stand-ins.ts";

let db: SandboxDatabase;
let endpoint: StandIn;
const FISCAL_APP_KEY = "0a1b2c3d4e5f60718293a4b5c6";
let repo: TempRepo;
let childEnv: Record<string, string>;

beforeAll(async () => {
  // The fiscal endpoint speaks the signed protocol; HIS and push paths answer 404, as a proxy would.
  [db, endpoint] = await Promise.all([startSandboxDatabase(), signedStandIn(FISCAL_APP_KEY)]);
  repo = await tempRepo(endpoint.url);
  // 20 December 2026: next year is due, nothing is prepared yet.
  childEnv = { ...db.server.env, FISCAL_APP_KEY, EBILL_OPS_TODAY: "2026-12-20" };
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
    // Only the fiscal endpoint proves itself (its signed answer); HIS and push answer 404 over plain
    // HTTP, which proves nothing: not verified, never ok.
    expect(report.items.filter((i) => i.id.startsWith("endpoint/")).map((i) => [i.id, i.status])).toEqual([
      ["endpoint/fiscal platform", "ok"],
      ["endpoint/HIS", "unknown"],
      ["endpoint/push", "unknown"],
    ]);

    const text = await cli(["rollover", "check", "--stack", repo.stack, "--year", "2027"], childEnv);
    expect(text.code).toBe(2);
    for (const item of report.items.filter((i) => i.status === "missing"))
      expect(text.stdout).toContain(`MISSING ${item.title}`);
    expect(text.stdout).toContain(`NOT READY for 2027: ${missing.length} of`);
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
