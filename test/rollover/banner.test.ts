/**
 * The year-end banner: what the calendar asks of a stack, shown in validate, the plan comment and
 * drift. It informs and never blocks (the stack's validity does not change with the date).
 */
import { describe, expect, it } from "vitest";
import { yearBanner } from "../../src/rollover/banner.ts";
import { buildPlanComment } from "../../src/gitops/comment.ts";
import { decideDriftIssue } from "../../src/gitops/drift-issue.ts";
import type { EnvironmentInput } from "../../src/model/environment.ts";
import type { Plan } from "../../src/plan/types.ts";
import { parsed, sandboxInput } from "../config/fixtures.ts";
import { renderYearBannerMarkdown, renderYearBannerText } from "../../src/output/year-banner.ts";

const at = (iso: string) => new Date(iso);

/** The fixture (fiscal year 2026) with `year` declared too. */
function withYear(input: EnvironmentInput, year: number): EnvironmentInput {
  const yy = String(year % 100);
  input.tablespaces!.push({ name: `ebill_${year}`, year, location: `/var/lib/ebill/tablespaces/${year}` });
  input.partitions!.push(
    { table: "bill", year, tablespace: `ebill_${year}` },
    { table: "bill_detail", year, tablespace: `ebill_${year}` },
  );
  input.billTypes!.push({ code: `460601${yy}`, name: "门诊", kind: "outpatient", year });
  input.printTemplates!.push({
    billCode: `460601${yy}`,
    name: "门诊模板",
    version: `${year}.1`,
    paper: "A5",
  });
  input.billStock!.push({
    billCode: `460601${yy}`,
    batch: `${year}-01`,
    first: "0000000001",
    last: "0000010000",
    place: "001",
  });
  return input;
}

const fixture2026 = () => parsed(sandboxInput());

describe("yearBanner", () => {
  it("says nothing on 30 November", () => {
    expect(yearBanner(fixture2026(), at("2026-11-30T23:59:00+08:00"))).toBeNull();
  });

  it("warns from 1 December (hospital time) that next year is not declared, naming each missing part", () => {
    const banner = yearBanner(fixture2026(), at("2026-11-30T16:00:00Z"))!; // 1 December 00:00 in Hainan
    expect(banner).toMatchObject({ level: "warning", year: 2027, today: "2026-12-01", stack: "sandbox" });
    expect(banner.missing.map((m) => m.split(":")[0])).toEqual([
      "tablespaces",
      "partitions",
      "partitions",
      "billTypes",
    ]);
    expect(banner.advice.join("\n")).toContain("ebill-ops rollover prepare --stack sandbox --year 2027");
  });

  it("escalates from 20 December and counts the days to 1 January", () => {
    expect(yearBanner(fixture2026(), at("2026-12-19T15:59:00Z"))!.level).toBe("warning");
    const banner = yearBanner(fixture2026(), at("2026-12-19T16:30:00Z"))!; // 20 December 00:30 in Hainan
    expect(banner.level).toBe("urgent");
    expect(banner.headline).toContain("12 days before 1 January");
  });

  it("is silent in December once next year is declared", () => {
    expect(yearBanner(parsed(withYear(sandboxInput(), 2027)), at("2026-12-25T12:00:00+08:00"))).toBeNull();
  });

  it("once the year has begun: urgent while it is not declared, a notice to move fiscalYear when it is", () => {
    const missing = yearBanner(fixture2026(), at("2027-01-02T09:00:00+08:00"))!;
    expect(missing).toMatchObject({ level: "urgent", year: 2027 });
    expect(missing.headline).toContain("bills of 2027 cannot be issued");
    const declared = yearBanner(parsed(withYear(sandboxInput(), 2027)), at("2027-06-30T09:00:00+08:00"))!;
    expect(declared).toMatchObject({ level: "notice", year: 2027, missing: [] });
    expect(declared.advice[0]).toMatch(/set it to 2027/);
  });

  it("in December of a year after the fiscal year, asks for the year after today's", () => {
    const banner = yearBanner(parsed(withYear(sandboxInput(), 2027)), at("2027-12-28T09:00:00+08:00"))!;
    expect(banner).toMatchObject({ level: "urgent", year: 2028 });
    expect(banner.advice.join("\n")).toMatch(/hospital.fiscalYear is 2026/);
  });

  it("renders for a terminal and for GitHub, saying it does not block", () => {
    const banner = yearBanner(fixture2026(), at("2026-12-22T10:00:00+08:00"))!;
    const text = renderYearBannerText(banner);
    expect(text.split("\n")[0]).toMatch(/^!! URGENT: 年结 2027/);
    expect(text).toContain("does not fail validation");
    const md = renderYearBannerMarkdown(banner);
    expect(md.split("\n")[0]).toBe("> [!CAUTION]");
    expect(md).toContain("> - missing tablespaces: no tablespace for 2027");
  });
});

describe("the banner in the pull-request comment and the drift issue", () => {
  const banner = yearBanner(fixture2026(), at("2026-12-22T10:00:00+08:00"))!;
  const plan: Plan = {
    version: 1,
    stack: "sandbox",
    liveHash: "x",
    changes: [],
    summary: { create: 0, update: 0, delete: 0, replace: 0 },
  } as unknown as Plan;

  it("the comment shows it at the top, above the plans", () => {
    const body = buildPlanComment([{ stack: "sandbox", status: "planned", plan }], { yearBanners: [banner] });
    const lines = body.split("\n");
    expect(lines[0]).toContain("ebill-ops:plan-comment"); // still found again by its marker
    expect(body.indexOf("> [!CAUTION]")).toBeLessThan(body.indexOf("| stack | plan |"));
    expect(body).toContain("年结 2027");
  });

  it("the drift issue shows it under its marker", () => {
    const report = {
      stack: "sandbox",
      drifted: true,
      differences: [{ kind: "paymentChannels", id: "05", state: "changed", fields: [] }],
    };
    const action = decideDriftIssue("sandbox", report as never, [], {
      checkedAt: "2026-12-22T02:00:00Z",
      yearBanner: banner,
    });
    expect(action.action).toBe("open");
    if (action.action === "open") {
      expect(action.body.startsWith("<!-- ebill-ops:drift stack=sandbox ")).toBe(true);
      expect(action.body).toContain("> [!CAUTION]");
    }
  });
});
