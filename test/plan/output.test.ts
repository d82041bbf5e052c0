import { describe, expect, it } from "vitest";
import { driftReport, renderDriftMarkdown, renderDriftText } from "../../src/output/drift.ts";
import { COLOR, PLAIN, useColor } from "../../src/output/format.ts";
import { renderPlanMarkdown } from "../../src/output/markdown.ts";
import { redactDeep, redactText } from "../../src/config/redact.ts";
import { secretUses } from "../../src/config/secrets.ts";
import { renderPlanText } from "../../src/output/text.ts";
import { changeLine } from "../../src/output/markdown.ts";
import { type Change, type Plan, PLAN_VERSION, summarize } from "../../src/plan/types.ts";
import { MARKDOWN_BUDGET } from "../../src/output/md.ts";

function plan(changes: Change[]): Plan {
  return {
    version: PLAN_VERSION,
    stack: "sandbox",
    liveHash: "ab".repeat(32),
    sourceHashes: { database: "cd".repeat(32) },
    changes,
    summary: summarize(changes),
  };
}

const rename: Change = {
  kind: "invoicingPoints",
  id: "001",
  action: "update",
  destructive: false,
  before: { name: "门诊收费处(改)", enabled: true },
  after: { name: "门诊收费处", enabled: true },
  source: "database",
};
const create: Change = {
  kind: "codeMappings",
  id: "his/place/001",
  action: "create",
  destructive: false,
  before: null,
  after: { remote: "MZ01" },
  source: "database",
};
const extra: Change = {
  kind: "paymentChannels",
  id: "99",
  action: "delete",
  destructive: true,
  before: { name: "手工渠道", kind: "other" },
  after: null,
  note: "disabled instead of deleted: 12 bills reference it",
  source: "database",
};

describe("text plan", () => {
  it("shows a host file's text as indented -/+ lines, not on one line", () => {
    const newFile: Change = {
      kind: "host.baseline",
      id: "sbx-app/etc/ssh/sshd_config.d/50-ebill-hardening.conf",
      action: "create",
      destructive: false,
      before: null,
      after: { content: "# Ansible managed\nPermitRootLogin no\n" },
      source: "hosts",
    };
    const edit: Change = {
      kind: "host.baseline",
      id: "sbx-app/etc/login.defs",
      action: "update",
      destructive: false,
      before: { lines: ["PASS_MAX_DAYS\t99999"] },
      after: { lines: ["PASS_MAX_DAYS\t90"] },
      source: "hosts",
    };
    const text = renderPlanText(plan([newFile, edit]));
    expect(text).toContain(
      "+   host.baseline sbx-app/etc/ssh/sshd_config.d/50-ebill-hardening.conf\n" +
        "        content:\n          + # Ansible managed\n          + PermitRootLogin no\n",
    );
    expect(text).toContain("      lines:\n          - PASS_MAX_DAYS\t99999\n          + PASS_MAX_DAYS\t90\n");
  });

  it("marks create, update with before -> after, delete, and destructive", () => {
    const text = renderPlanText(plan([create, rename, extra]));
    expect(text).toContain("1 to create, 1 to update, 1 to delete, 0 to replace");
    expect(text).toMatch(/\+\s+接口对照 codeMappings his\/place\/001\s+remote='MZ01'/);
    expect(text).toContain("~   开票点 invoicingPoints 001 门诊收费处\n");
    expect(text).toContain("name: '门诊收费处(改)' -> '门诊收费处'");
    expect(text).not.toContain("enabled:"); // unchanged fields are not listed
    expect(text).toContain("-   缴费渠道 paymentChannels 99 手工渠道 (destructive)");
    expect(text).toContain("note: disabled instead of deleted");
    expect(text).toContain("apply refuses it without --allow-destroy");
    expect(text).not.toContain("\u001b[");
  });

  it("shows a replace as -/+", () => {
    const replace = { ...rename, action: "replace" as const, destructive: true };
    expect(renderPlanText(plan([replace]))).toContain(
      "-/+ 开票点 invoicingPoints 001 门诊收费处 (destructive)",
    );
  });

  it("says plainly when nothing changes, and names skipped sources", () => {
    const p = { ...plan([]), skipped: [{ source: "hosts", reason: "ansible-playbook is not installed" }] };
    const text = renderPlanText(p);
    expect(text).toContain("No changes");
    expect(text).toContain("notice: hosts not planned: ansible-playbook is not installed");
  });

  it("colours only when asked", () => {
    expect(renderPlanText(plan([create]), COLOR)).toContain("\u001b[32m");
    expect(renderPlanText(plan([create]), PLAIN)).not.toContain("\u001b[");
  });

  it("no colour without a terminal or with NO_COLOR", () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      expect(useColor({ isTTY: true })).toBe(true);
      expect(useColor({ isTTY: false })).toBe(false);
      process.env.NO_COLOR = "1";
      expect(useColor({ isTTY: true })).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});

describe("markdown plan (pull-request comment)", () => {
  const many = (n: number, destructive: boolean): Change[] =>
    Array.from({ length: n }, (_, i) => ({
      kind: destructive ? "operators" : "billStock",
      id: `x${String(i).padStart(6, "0")}`,
      action: destructive ? ("delete" as const) : ("create" as const),
      destructive,
      before: destructive ? { name: "操作员" + i } : null,
      after: destructive
        ? null
        : { billCode: "46060126", first: "0000000001", last: "0000050000", place: "001" },
      source: "database",
    }));

  it("lists a small plan in full, destructive changes first", () => {
    const md = renderPlanMarkdown(plan([create, rename, extra]));
    expect(md).toContain("### ebill-ops plan: `sandbox`");
    expect(md.indexOf("destructive change")).toBeLessThan(md.indexOf("Changes by kind"));
    expect(md).toContain("name: '门诊收费处(改)' -> '门诊收费处'");
    expect(md).toContain("```diff");
  });

  it("stays under 60,000 characters for 50,000 changes and keeps every destructive one", () => {
    const destructive = many(200, true);
    const md = renderPlanMarkdown(plan([...many(50_000, false), ...destructive, rename]));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    for (const c of destructive) expect(md).toContain(`operators ${c.id}`);
    expect(md).toContain("**票据号段 billStock**: 50,000 create — too many to list here");
    expect(md).toContain("name: '门诊收费处(改)' -> '门诊收费处'"); // small kinds still in full
  });

  it("says so, and points to the JSON artifact, when destructive changes alone exceed the budget", () => {
    const md = renderPlanMarkdown(plan(many(5_000, true)), { artifact: "plan.json" });
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    expect(md).toMatch(/[\d,]+ more destructive changes not shown/);
    expect(md).toContain("plan.json");
  });

  it("a value cannot close the code block or inject markup", () => {
    const hostile = { ...rename, after: { name: "x```\n<script>alert(1)</script>" } };
    const md = renderPlanMarkdown(plan([hostile]));
    expect(md.match(/```/g)!.length % 2).toBe(0);
    expect(md.split("```diff")[1]!.split("```")[0]).toContain("<script>"); // only inside the fenced block
  });
});

describe("what a reviewer reads beside the codes (names, kinds in Chinese, bills, sizes)", () => {
  const disable: Change = {
    kind: "invoicingPoints",
    id: "001",
    action: "update",
    destructive: true,
    before: { code: "001", name: "门诊收费处", enabled: true, billCodes: ["46060126"] },
    after: { code: "001", name: "门诊收费处", enabled: false, billCodes: ["46060126"] },
    note: "disables it: issued bills use it",
    bills: 2500,
    source: "database",
  };
  const newRange: Change = {
    kind: "billStock",
    id: "46060127/2027-01/0000000001",
    action: "create",
    destructive: false,
    before: null,
    after: { billCode: "46060127", batch: "2027-01", first: "0000000001", last: "0000001000", place: "001" },
    source: "database",
  };
  const longer: Change = {
    kind: "billStock",
    id: "46060126/2026-01/0000000001",
    action: "update",
    destructive: false,
    before: { billCode: "46060126", batch: "2026-01", first: "0000000001", last: "0000050000" },
    after: { billCode: "46060126", batch: "2026-01", first: "0000000001", last: "0000060000" },
    source: "database",
  };
  const p = plan([disable, newRange, longer]);

  it("in the text plan", () => {
    const text = renderPlanText(p);
    expect(text).toContain("~   开票点 invoicingPoints 001 门诊收费处 (destructive)\n");
    expect(text).toContain("      used by 2,500 issued bills\n");
    expect(text).toContain("+   票据号段 billStock 46060127/2027-01/0000000001");
    expect(text).toContain("      1,000 numbers, 0000000001–0000001000\n");
    expect(text).toContain("      size: 50,000 -> 60,000 numbers\n");
  });

  it("in the markdown plan and the pull-request comment's destructive list", () => {
    const md = renderPlanMarkdown(p);
    expect(md).toContain("~   开票点 invoicingPoints 001 门诊收费处 (destructive)");
    expect(md).toContain("used by 2,500 issued bills");
    expect(md).toContain("<b>票据号段 billStock</b>");
    expect(changeLine(disable)).toBe(
      "update 开票点 `invoicingPoints` `001` 门诊收费处 — used by 2,500 issued bills; disables it: issued bills use it",
    );
  });

  it("in drift", () => {
    const report = driftReport(p);
    expect(report.differences[0]).toMatchObject({ name: "门诊收费处", bills: 2500 });
    expect(renderDriftText(report)).toContain(
      "drifted: 开票点 invoicingPoints 001 门诊收费处 — enabled: declared false, live true (used by 2,500 issued bills)",
    );
    expect(renderDriftMarkdown(report)).toContain("开票点 invoicingPoints 001 门诊收费处");
  });
});

describe("drift wording", () => {
  const report = driftReport(plan([rename, extra, create]));

  it("names the field and both values", () => {
    const text = renderDriftText(report);
    expect(text).toContain(
      "drifted: 开票点 invoicingPoints 001 门诊收费处 — name: declared '门诊收费处', live '门诊收费处(改)'",
    );
    expect(text).toContain("exists live but not declared: 缴费渠道 paymentChannels 99 手工渠道");
    expect(text).toContain("declared but missing live: 接口对照 codeMappings his/place/001");
  });

  it("is structured in JSON", () => {
    expect(report.drifted).toBe(true);
    expect(report.differences[0]).toEqual({
      kind: "invoicingPoints",
      id: "001",
      name: "门诊收费处",
      state: "drifted",
      fields: [{ field: "name", declared: "门诊收费处", live: "门诊收费处(改)" }],
    });
  });

  it("no drift reads as such", () => {
    expect(renderDriftText(driftReport(plan([])))).toContain("No drift");
    expect(renderDriftMarkdown(driftReport(plan([])))).toContain("No drift");
  });
});

describe("secrets are redacted", () => {
  const secrets = new Map([
    ["FISCAL_APP_KEY", "k3y-Very-Secret"],
    ["EBILL_DB_PASSWORD", "pw-0123456789"],
  ]);
  const leaky: Change = {
    ...rename,
    before: { url: "http://x/?key=k3y-Very-Secret" },
    after: { url: "http://x/?key=pw-0123456789" },
    note: "connected as ebill:pw-0123456789@127.0.0.1",
  };

  it("finds every secret reference in a declaration", () => {
    expect(secretUses({ a: { secret: "A" }, b: [{ c: { secret: "B" } }], d: "secret" })).toEqual([
      { name: "A", paths: ["a"] },
      { name: "B", paths: ["b[0].c"] },
    ]);
  });

  it("from text, markdown, JSON and drift renderings", () => {
    const p = redactDeep(plan([leaky]), secrets);
    const outputs = [
      renderPlanText(p),
      renderPlanMarkdown(p),
      JSON.stringify(p),
      renderDriftText(driftReport(p)),
      redactText(renderPlanText(plan([leaky])), secrets),
    ];
    for (const out of outputs) {
      expect(out).not.toContain("k3y-Very-Secret");
      expect(out).not.toContain("pw-0123456789");
    }
    expect(outputs[0]).toContain("[redacted FISCAL_APP_KEY]");
  });
});
