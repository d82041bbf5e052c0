/**
 * `rollover carry-over` against a real sandbox database (the seed of src/db/seed.ts, plus red-flush
 * bills and next year's exchange stock this file adds), run as the CLI on a temp copy of the
 * stacks. Years come from the fixture's fiscal year; dates are pinned with EBILL_OPS_TODAY.
 */
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedBills, seededRanges } from "../../src/db/seed.ts";
import { A4_LANDSCAPE_PRINTABLE, measure, pageErrors } from "../../src/base/browser.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, REPO, tempRepo, type TempRepo } from "./helpers.ts";
import { yuan } from "../../src/output/carry-over.ts";
import { output } from "../../src/base/exec.ts";

let db: SandboxDatabase;
let repo: TempRepo;
let Y: number;
let env: Record<string, string>;
let dir: string;
const yy = (year: number) => String(year % 100).padStart(2, "0");

/** Two red-flush (冲红) bills at the first seeded range: new numbers, negated amounts of bills 1 and 2. */
let red: { place: string; billCode: string; fen: number[] };

beforeAll(async () => {
  [db, repo] = await Promise.all([startSandboxDatabase(), tempRepo()]);
  Y = db.env.hospital.fiscalYear;
  env = { ...db.server.env };
  dir = path.join(repo.root, "carry-over", db.env.name, String(Y));
  const range = seededRanges(db.env)[0]!;
  const originals = seedBills(db.env).filter((b) => b.place === range.place && b.billCode === range.billCode);
  red = {
    place: range.place,
    billCode: range.billCode,
    fen: [-originals[0]!.amountFen, -originals[1]!.amountFen],
  };
  const c = await db.client();
  try {
    for (const [i, fen] of red.fen.entries())
      await c.query(
        `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
         VALUES ($1, $2, 'red00' || $3, $4, '02', $5::numeric / 100, $6)`,
        [
          range.billCode,
          String(Number(range.lastUsed) + 1 + i).padStart(10, "0"),
          String(i),
          range.place,
          fen,
          `${Y}-11-15 09:0${i}:00`,
        ],
      );
    // Next year's exchange stock (旧票回收), as prepare + apply would have distributed it.
    await c.query(
      `INSERT INTO ebill.bill_stock (bill_code, batch, first_no, last_no, place_code, purpose)
       VALUES ($1, $2, '0000900001', '0000900500', $3, 'exchange')`,
      [range.billCode.slice(0, 6) + yy(Y + 1), `${Y + 1}-01`, range.place],
    );
  } finally {
    await c.end();
  }
});

afterAll(async () => {
  await Promise.all([db?.stop(), repo?.remove()]);
});

const carryOver = (today: string, ...args: string[]) =>
  cli(["rollover", "carry-over", "--stack", repo.stack, ...args], { ...env, EBILL_OPS_TODAY: today });

async function recorded(): Promise<{ current: number; superseded: number }> {
  const c = await db.client();
  try {
    const exists = await c.query("SELECT to_regclass('ebill_ops.rollover_carry_over') AS t");
    if (!exists.rows[0].t) return { current: 0, superseded: 0 };
    const { rows } = await c.query(
      `SELECT count(*) FILTER (WHERE superseded_at IS NULL)::int AS current,
              count(*) FILTER (WHERE superseded_at IS NOT NULL)::int AS superseded
         FROM ebill_ops.rollover_carry_over WHERE year = $1`,
      [Y],
    );
    return rows[0];
  } finally {
    await c.end();
  }
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

interface Line {
  place: string;
  billCode: string;
  used: number;
  voided: number;
  redFlushed: number;
  issuedFen: number;
  redFlushFen: number;
  netFen: number;
}

describe("rollover carry-over", () => {
  it("refuses before the year has ended and for a year without bills, recording and writing nothing", async () => {
    const early = await carryOver(`${Y}-12-20`, "--year", String(Y));
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`carry-over of ${Y} runs only after ${Y} has ended`);
    expect(early.stderr).toContain(`on or after ${Y + 1}-01-01`);

    const empty = await carryOver(`${Y + 3}-01-05`, "--year", String(Y + 2));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`no bills of ${Y + 2}`);

    expect(await recorded()).toEqual({ current: 0, superseded: 0 });
    expect(await exists(path.join(repo.root, "carry-over"))).toBe(false);
  });

  it("reports amounts, red-flushes and totals per point and code exactly as the bills are, with a PDF", async () => {
    const run = await carryOver(`${Y + 1}-01-05`, "--year", String(Y), "--json");
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      outcome: string;
      lines: Line[];
      totals: Omit<Line, "place" | "billCode">;
      nextYearExchange: { place: string; count: number }[];
    };
    expect(result.outcome).toBe("recorded");

    // Expected from the seed's own generator plus the red bills added above, summed here.
    const expected = new Map<string, Line>();
    for (const b of seedBills(db.env)) {
      const key = `${b.place}/${b.billCode}`;
      const l = expected.get(key) ?? {
        place: b.place,
        billCode: b.billCode,
        used: 0,
        voided: 0,
        redFlushed: 0,
        issuedFen: 0,
        redFlushFen: 0,
        netFen: 0,
      };
      l.used++;
      if (b.state === "voided") l.voided++;
      else l.issuedFen += b.amountFen;
      expected.set(key, l);
    }
    const withRed = expected.get(`${red.place}/${red.billCode}`)!;
    withRed.used += red.fen.length;
    withRed.redFlushed = red.fen.length;
    withRed.redFlushFen = red.fen[0]! + red.fen[1]!;
    for (const l of expected.values()) l.netFen = l.issuedFen + l.redFlushFen;
    const want = [...expected.values()].sort((a, b) =>
      a.place === b.place ? (a.billCode < b.billCode ? -1 : 1) : a.place < b.place ? -1 : 1,
    );
    const pick = (l: Line) => ({
      place: l.place,
      billCode: l.billCode,
      used: l.used,
      voided: l.voided,
      redFlushed: l.redFlushed,
      issuedFen: l.issuedFen,
      redFlushFen: l.redFlushFen,
      netFen: l.netFen,
    });
    expect(result.lines.map(pick)).toEqual(want);
    const sum = (f: (l: Line) => number) => want.reduce((n, l) => n + f(l), 0);
    expect(result.totals).toMatchObject({
      used: sum((l) => l.used),
      voided: sum((l) => l.voided),
      redFlushed: 2,
      issuedFen: sum((l) => l.issuedFen),
      redFlushFen: sum((l) => l.redFlushFen),
      netFen: sum((l) => l.netFen),
    });
    expect(result.nextYearExchange).toEqual([expect.objectContaining({ place: red.place, count: 500 })]);

    // The finance office's document: the same figures, the unit, the totals row, lines to sign.
    const md = await readFile(path.join(dir, "report.md"), "utf8");
    const html = await readFile(path.join(dir, "report.html"), "utf8");
    for (const text of [md, html]) {
      expect(text).toContain(`单位编码：`);
      expect(text).toContain(db.env.hospital.agencyCode);
      expect(text).toContain(db.env.hospital.regionCode);
      expect(text).toContain("环境");
      expect(text).toContain("沙箱演示环境");
      expect(text).toContain(`${Y + 1}年旧票回收（换开）号段`);
      for (const who of ["经办人", "审核人", "负责人", "日期"]) expect(text).toContain(who);
      for (const l of want) expect(text).toContain(yuan(l.netFen));
      expect(text).toContain(yuan(sum((l) => l.netFen)));
      expect(text).toContain("fonts-noto-cjk");
    }
    expect(md).toMatch(/\| \*\*合计\*\* *\|/);
    expect(html).toMatch(/<tr class="total">\s*<td>合计<\/td>/);
    expect(html).toMatch(/font-family:\s*"Microsoft YaHei",[^;]*SimSun[^;]*"Noto Sans CJK SC"/);

    // In the real browser: no errors, every part rendered, and the widest table fits A4 landscape.
    const page = path.join(dir, "report.html");
    expect(await pageErrors(page)).toEqual([]);
    const boxes = await measure(page, ["#usage", "#usage tr.total", "#exchange", ".signatures"], {
      media: "print",
      viewport: A4_LANDSCAPE_PRINTABLE,
    });
    expect(boxes["#usage tr.total"]!.count).toBe(1);
    for (const box of Object.values(boxes)) expect(box.height).toBeGreaterThan(0);
    expect(boxes["#usage"]!.width).toBeLessThanOrEqual(A4_LANDSCAPE_PRINTABLE.width);

    const pdf = await readFile(path.join(dir, "report.pdf"));
    expect(pdf.length).toBeGreaterThan(10_000);
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });

  it("writes files that pass the repository's prettier --check (format:check)", async () => {
    const prettier = path.join(REPO, "node_modules/prettier/bin/prettier.cjs");
    const stdout = await output(process.execPath, [prettier, "--check", "carry-over"], {
      cwd: repo.root, // the temp copy holds the repository's .prettierrc.json and no .prettierignore
    });
    expect(stdout).toContain("All matched files use Prettier code style!");
  });

  it("never overwrites a recorded carry-over: same figures change nothing, others need --force, which keeps the earlier one", async () => {
    const before = await recorded();
    const html = path.join(dir, "report.html");
    const htmlTime = (await stat(html)).mtimeMs;

    const again = await carryOver(`${Y + 1}-01-09`, "--year", String(Y));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`recorded on ${Y + 1}-01-05 with the same figures`);
    expect(await recorded()).toEqual(before);
    expect((await stat(html)).mtimeMs).toBe(htmlTime);
    // A file lost (an interrupted run, a stray delete) is written again from the same figures.
    await rm(path.join(dir, "report.md"));
    const converge = await carryOver(`${Y + 1}-01-09`, "--year", String(Y));
    expect(converge.code, converge.stderr).toBe(0);
    expect(await readFile(path.join(dir, "report.md"), "utf8")).toContain(`结转日期：${Y + 1}-01-05`);
    expect(await recorded()).toEqual(before);

    // A late bill of the closed year: the figures differ from the record.
    const c = await db.client();
    try {
      await c.query(
        `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
         VALUES ($1, '0000888888', 'late01', $2, '02', 10.00, $3)`,
        [red.billCode, red.place, `${Y}-12-31 23:00:00`],
      );
    } finally {
      await c.end();
    }
    const refused = await carryOver(`${Y + 1}-01-10`, "--year", String(Y));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`recorded on ${Y + 1}-01-05 and is kept as it is`);
    expect(refused.stderr).toContain("--force");
    expect(await recorded()).toEqual(before);
    expect((await stat(html)).mtimeMs).toBe(htmlTime);

    const forced = await carryOver(`${Y + 1}-01-10`, "--year", String(Y), "--force", "--json");
    expect(forced.code, forced.stderr).toBe(0);
    const result = JSON.parse(forced.stdout) as { outcome: string; supersedes: string; keptDir: string };
    expect(result).toMatchObject({ outcome: "superseded", supersedes: `${Y + 1}-01-05` });
    expect(await recorded()).toEqual({ current: before.current, superseded: before.current });
    // The earlier files are kept beside the new ones; the new report says what it replaces.
    const kept = await readFile(path.resolve(repo.root, result.keptDir, "report.md"), "utf8");
    expect(kept).toContain(`结转日期：${Y + 1}-01-05`);
    expect(await readFile(path.join(dir, "report.md"), "utf8")).toContain(`取代 ${Y + 1}-01-05 的结转记录`);
  });
});
