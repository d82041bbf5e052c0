/**
 * The inspection report from hand-written facts: quarters, risks in order with advice, trends
 * against an earlier inspection read back from the folder, charts that render without data, and
 * files formatted so the repository's `prettier --check` passes. No database, no hosts.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as prettier from "prettier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateChecks } from "../../src/checks/library.ts";
import { defaultQuarter, parseQuarter } from "../../src/checks/quarter.ts";
import { limitBars } from "../../src/checks/report/charts.ts";
import { writeInspection } from "../../src/checks/report/files.ts";
import {
  buildInspection,
  previousOf,
  readHistory,
  type PastInspection,
} from "../../src/checks/report/inspection.ts";
import {
  highRisksMarkdown,
  inspectionHtml,
  inspectionMarkdown,
  trends,
} from "../../src/checks/report/report.ts";
import type { HealthRun } from "../../src/checks/run.ts";
import { context, fixtureEnv, healthyApp, healthyFacts, NOW } from "./fixture.ts";

function run(at = NOW, broken = false): HealthRun {
  const env = fixtureEnv();
  const facts = healthyFacts();
  if (broken && facts.hosts.ok) {
    facts.hosts.value.hosts[0]!.health = healthyApp({
      services: [{ name: "ebill-app", active: false, how: "systemctl is-active", detail: "inactive" }],
    });
    if (facts.database.ok && facts.database.value.business.ok)
      facts.database.value.business.value.daily = [{ day: "2026-04-02", count: 30 }];
  }
  if (facts.database.ok && facts.database.value.business.ok && !broken)
    facts.database.value.business.value.daily = [
      { day: "2026-04-01", count: 12 },
      { day: "2026-05-20", count: 7 },
    ];
  return {
    at,
    quick: false,
    facts,
    findings: evaluateChecks(facts, context(env, at), { quick: false }),
    seconds: { hosts: 1, database: 1, interfaces: 1, total: 1 },
  };
}

describe("quarters", () => {
  it("parse 2026Q4 and refuse anything else; by default the quarter yesterday belonged to", () => {
    expect(parseQuarter("2026Q4")).toMatchObject({
      from: "2026-10-01",
      to: "2026-12-31",
      zh: "2026年第4季度",
    });
    expect(parseQuarter("2024Q1").to).toBe("2024-03-31");
    expect(() => parseQuarter("2026Q5")).toThrow(/not a quarter such as 2026Q4/);
    // 1 January 2027, 09:00 in Hainan: the quarter that just ended.
    expect(defaultQuarter(new Date("2027-01-01T01:00:00Z"), "Asia/Shanghai").id).toBe("2026Q4");
    expect(defaultQuarter(new Date("2026-11-29T12:00:00+08:00"), "Asia/Shanghai").id).toBe("2026Q4");
  });
});

describe("the report", () => {
  const env = fixtureEnv();
  const q2 = parseQuarter("2026Q2");

  it("summary, then risks 高 before 中 before 低, each with advice; the issue lists the 高 ones", () => {
    const inspection = buildInspection(run(NOW, true), env, q2, undefined);
    const md = inspectionMarkdown(inspection, undefined);
    expect(md).toMatch(/^# 沙箱演示医院 医疗电子票据系统巡检报告（2026年第2季度）/);
    expect(md).toContain("发现高风险 1 项，须尽快处理");
    const risks = md.slice(md.indexOf("## 二、风险与建议"), md.indexOf("## 三、分项检查"));
    const grades = [...risks.matchAll(/^\| (高|中|低) \|/gm)].map((m) => m[1]);
    expect(grades[0]).toBe("高");
    expect(grades).toEqual([...grades].sort((a, b) => "高中低".indexOf(a!) - "高中低".indexOf(b!)));
    expect(risks).toContain("启动 ebill-app 并查看其日志");
    expect(md).toContain(`仓库中没有 sandbox 更早的巡检记录`);
    const issue = highRisksMarkdown(inspection);
    expect(issue).toContain("1 项高风险");
    expect(issue).toContain("`host.service.active`");
    expect(highRisksMarkdown(buildInspection(run(), env, q2, undefined))).toBe("");
  });

  it("trends against the previous inspection: disk, tablespaces, database and the quarter's bills", () => {
    const earlier = buildInspection(
      run(new Date("2026-04-01T10:00:00+08:00")),
      env,
      parseQuarter("2026Q1"),
      undefined,
    );
    const past: PastInspection = {
      quarter: "2026Q1",
      inspectedAt: earlier.inspectedAt,
      metrics: { ...earlier.metrics, databaseSizeBytes: 40e6, billsInQuarter: 10 },
    };
    const now = buildInspection(run(), env, q2, past);
    const rows = trends(now, past);
    expect(rows.map((r) => r.what)).toEqual([
      "数据库大小",
      "表空间 ebill_2026",
      "磁盘 sbx-app:/ 使用率",
      "磁盘 sbx-db:/ 使用率",
      "季度开票量",
    ]);
    expect(rows[0]!.change).toBe("+25.0%");
    expect(rows.at(-1)).toMatchObject({ before: "10 张（2026Q1）", change: "+90.0%" });
    expect(inspectionMarkdown(now, past)).toContain("| 数据库大小 | 38.1 MiB | 47.7 MiB | +25.0% |");
  });

  it("charts render as sized SVG, also without data, with the limits drawn", () => {
    const html = inspectionHtml(buildInspection(run(), env, q2, undefined), []);
    for (const id of ["chart-tablespaces", "chart-bills", "chart-disks", "chart-stock"])
      expect(html).toMatch(
        new RegExp(
          `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="chart" width="\\d+" height="\\d+"`,
        ),
      );
    // Self-contained: nothing to run, nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script|<link|<img|\b(src|href)=/);
    const empty = limitBars({
      id: "x",
      title: "磁盘使用率",
      bars: [],
      limit: { warn: 80, fail: 90 },
      unit: "%",
      emptyWhy: "未读到服务器",
    });
    expect(empty).toMatch(/width="720" height="60"/);
    expect(empty).toContain("未读到服务器");
    const bars = limitBars({
      id: "d",
      title: "t",
      bars: [{ label: "a:/", value: 95 }],
      limit: { warn: 80, fail: 90 },
      unit: "%",
      scaleMax: 100,
      emptyWhy: "-",
    });
    expect(bars).toContain('fill="#c62828"'); // a bar past the fail limit is red
    expect(bars).toContain("故障 90");
  });
});

describe("the files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ebill-inspections-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("are formatted as the repository formats them, and read back as the history of the next quarter", async () => {
    const env = fixtureEnv();
    const q1 = parseQuarter("2026Q1");
    const first = buildInspection(run(new Date("2026-04-01T10:00:00+08:00")), env, q1, undefined);
    const files = await writeInspection(path.join(dir, "sandbox", q1.id), first, []);
    expect(files.map((f) => path.basename(f))).toEqual(["report.md", "report.html", "findings.json"]);
    for (const f of files) {
      const config = (await prettier.resolveConfig(f)) ?? {};
      expect(await prettier.check(await readFile(f, "utf8"), { ...config, filepath: f }), f).toBe(true);
    }
    const history = await readHistory(path.join(dir, "sandbox"));
    expect(history.map((h) => h.quarter)).toEqual(["2026Q1"]);
    expect(previousOf(history, "2026Q2")?.inspectedAt).toBe(first.inspectedAt);
    expect(previousOf(history, "2026Q1")).toBeUndefined();
  });
});
