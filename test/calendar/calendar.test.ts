/**
 * The calendar never breaks the project (issue 9): what the repository generates and lists does
 * not depend on the date; a stack that follows the calendar (the sandbox's layout) declares the
 * current year and composes with the next year `rollover prepare` writes for it; prepare sizes
 * stock offline, without a connection, and says so in the file.
 *
 * Dates are given to child processes with EBILL_OPS_TODAY (a .ts stack is evaluated once per
 * process); `npm run test:calendar` also runs this file under libfaketime at four dates.
 */
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALENDAR_FIXTURE_STACK } from "../harness/fixture-stacks.ts";
import { cli, tempRepo, type TempRepo } from "../rollover/helpers.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { output } from "../../src/base/exec.ts";

async function printed(script: string, args: string[], today: string): Promise<unknown> {
  const stdout = await output(
    process.execPath,
    ["--import", "tsx", path.join(REPO_ROOT, "test/calendar", script), ...args],
    { cwd: REPO_ROOT, env: { ...process.env, EBILL_OPS_TODAY: today } },
  );
  return JSON.parse(stdout);
}

describe("one clock: generated files and the stack list never depend on the date", () => {
  it("generate and 'gitops stacks' give the committed files and the same list at New Year and in December", async () => {
    const days = ["2026-12-21", "2027-01-02"];
    const outputs = (await Promise.all(days.map((d) => printed("print-generated.ts", [], d)))) as {
      files: Record<string, string>;
      stacks: { stack: string; kind: string }[];
    }[];
    expect(outputs[1]).toEqual(outputs[0]);
    const { files, stacks } = outputs[0]!;
    for (const [rel, content] of Object.entries(files))
      expect(content, `${rel} differs from the committed copy`).toBe(
        await readFile(path.join(REPO_ROOT, rel), "utf8"),
      );
    expect(stacks.every((s) => s.kind !== "unknown")).toBe(true);
  });
});

describe("a stack that follows the calendar (test/fixtures/stacks/calendar.ts)", () => {
  let repo: TempRepo;
  let stack: string;
  beforeAll(async () => {
    repo = await tempRepo();
    stack = path.join(repo.root, "stacks/calendar.ts");
  });
  afterAll(() => repo?.remove());

  it("declares the year of the clock, in the hospital's time zone", async () => {
    const [december, newYear] = await Promise.all([
      printed("print-stack.ts", [CALENDAR_FIXTURE_STACK], "2026-12-31T15:59:00Z"), // 23:59 in Hainan
      printed("print-stack.ts", [CALENDAR_FIXTURE_STACK], "2026-12-31T16:00:00Z"), // 00:00 on 1 January
    ]);
    expect(december).toEqual({ fiscalYear: 2026, years: [2026] });
    expect(newYear).toEqual({ fiscalYear: 2027, years: [2027] });
  });

  it("rollover prepare in December writes next year beside its template; the file wins after New Year", async () => {
    const december = { EBILL_OPS_TODAY: "2026-12-21" };
    const before = await cli(["validate", "--stack", stack], december);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/URGENT: 年结 2027/);

    const prepared = await cli(
      ["rollover", "prepare", "--stack", stack, "--year", "2027", "--issued-per-day", "8", "--json"],
      december,
    );
    expect(prepared.code, prepared.stderr).toBe(0);
    const stackText = await readFile(stack, "utf8");
    expect(stackText).toContain('import year2027 from "./calendar/year-2027.ts";');
    expect(stackText).toContain("calendarYears(year, calendarYear, [year2027])");
    const yearText = await readFile(path.join(repo.root, "stacks/calendar/year-2027.ts"), "utf8");
    expect(yearText).toContain("derived from 2026 as declared in year.ts");
    expect(yearText).toContain("STOCK SIZES ARE ESTIMATES");

    const [after, inDecember, inJanuary] = await Promise.all([
      cli(["validate", "--stack", stack], december),
      printed("print-stack.ts", [stack], "2026-12-21"),
      printed("print-stack.ts", [stack], "2027-01-02"),
    ]);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toMatch(/年结/);
    expect(inDecember).toEqual({ fiscalYear: 2026, years: [2026, 2027] });
    // In 2027 the prepared file declares 2027 (not the template a second time).
    expect(inJanuary).toEqual({ fiscalYear: 2027, years: [2027] });
  });
});

describe("rollover prepare sizes stock offline, without a connection", () => {
  let repo: TempRepo;
  let listener: net.Server;
  let connections = 0;
  let env: Record<string, string>;
  beforeAll(async () => {
    repo = await tempRepo();
    // The fixture's database port follows EBILL_SANDBOX_PG_PORT: point it at a listener that
    // counts every connection attempt, so "no connection" is observed, not assumed.
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as net.AddressInfo).port;
    env = { EBILL_OPS_TODAY: "2026-12-21", EBILL_SANDBOX_PG_PORT: String(port) };
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
    await repo?.remove();
  });

  it("--from-carry-over: a closed year's used numbers per point over its days; the file says so", async () => {
    const carryOver = path.join(repo.root, "carry-over-2025.json");
    await writeFile(
      carryOver,
      JSON.stringify({
        stack: "sandbox",
        year: 2025,
        lines: [
          { place: "001", billCode: "46060125", used: 3650 }, // 10 a day
          { place: "002", billCode: "46060225", used: 730 }, // 2 a day
          { place: "00000", billCode: "46060125", used: 7300 }, // 20 a day
        ],
      }),
    );
    const result = await cli(
      [
        "rollover",
        "prepare",
        "--stack",
        repo.stack,
        "--year",
        "2027",
        "--from-carry-over",
        carryOver,
        "--json",
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.basis).toMatchObject({ kind: "carry-over", year: 2025 });
    // 10/day x 365 x 1.3 = 4,745 -> 4,800; 2/day -> 949 -> the minimum 1,000; 20/day -> 9,490 -> 9,500.
    expect(report.sizing.map((s: { place: string; issueRange: number }) => [s.place, s.issueRange])).toEqual([
      ["001", 4800],
      ["002", 1000],
      ["00000", 9500],
    ]);
    const text = await readFile(path.join(repo.root, "stacks/sandbox/year-2027.ts"), "utf8");
    expect(text).toContain("STOCK SIZES ARE ESTIMATES: the database was not read");
    expect(text).toContain("numbers used in 2025");
    expect(text).toContain("../../carry-over-2025.json");
    expect(text).toContain('last: "0000004800", place: "001"');
    expect(connections).toBe(0);
  });

  it("refuses what it cannot use, naming the option and what to give", async () => {
    const args = ["rollover", "prepare", "--stack", repo.stack, "--year", "2028"];
    const [badRate, both, missingRate] = await Promise.all([
      cli([...args, "--issued-per-day", "001=lots"], env),
      cli([...args, "--issued-per-day", "5", "--from-carry-over", "x"], env),
      cli([...args.slice(0, -1), "2027", "--force", "--issued-per-day", "001=5"], env),
    ]);
    expect(badRate.code).toBe(1);
    expect(badRate.stderr).toMatch(/--issued-per-day '001=lots' is not a rate.*POINT=N/);
    expect(both.stderr).toMatch(/choose one of --issued-per-day and --from-carry-over/);
    expect(missingRate.stderr).toMatch(/no rate for invoicing point 002 and bill code 46060226/);
    expect(connections).toBe(0);
  });
});
