/**
 * The quarterly inspection report (巡检报告) for the hospital's information department and its
 * management, in Chinese: a summary, the risks graded 高/中/低 with what to do, then every area's
 * checks, trends against the previous inspection in the repository, and (in report.html) four
 * charts as inline SVG. report.md carries the same text for the pull request.
 */
import { REPORT_FONT_STACK } from "../../base/browser.ts";
import { escapeHtml as esc } from "../../base/html.ts";
import { formatBytes } from "../judge.ts";
import type { CheckArea, CheckStatus, Finding, Risk } from "../types.ts";
import { dailyBars, limitBars, lines, type Series } from "./charts.ts";
import { risksOf, type Inspection, type PastInspection } from "./inspection.ts";

export const AREA_NAMES: Record<CheckArea, string> = {
  host: "服务器",
  database: "数据库",
  application: "应用与中间件",
  business: "业务",
  interface: "接口",
  "year-end": "年结",
};
const AREA_ORDER: CheckArea[] = ["host", "database", "application", "business", "interface", "year-end"];

export const STATUS_NAMES: Record<CheckStatus, string> = {
  ok: "正常",
  warn: "警告",
  fail: "故障",
  unknown: "未能测量",
};
const STATUS_ICONS: Record<CheckStatus, string> = { ok: "✅", warn: "⚠️", fail: "❌", unknown: "❔" };
const RISK_ADVICE_FALLBACK = "查明原因后处理";

const NOTES = [
  "风险等级：故障为高风险，警告为中风险，未能测量为低风险（未能测量不等于正常，须人工确认）。",
  "阈值来自栈的 maintenance.thresholds，未声明的取默认值（见 docs/inspection.md）。",
  "每项检查的编号（如 host.disk.used）在各次巡检和监控告警中保持不变，可据此对照。",
  "本报告由 ebill-ops inspect 生成，不含任何密码或密钥。",
];

export function formatValue(f: Pick<Finding, "value" | "unit">): string {
  if (f.value === null) return "—";
  if (typeof f.value === "boolean") return f.value ? "是" : "否";
  if (f.unit === "B" && typeof f.value === "number") return formatBytes(f.value);
  return `${f.value}${f.unit ? ` ${f.unit}` : ""}`;
}

/** What was found: the value and its evidence, or the evidence alone when nothing was measured. */
export const situation = (f: Pick<Finding, "value" | "unit" | "evidence">) =>
  f.value === null ? f.evidence : `${formatValue(f)}：${f.evidence}`;

export function formatThreshold(f: Pick<Finding, "threshold">): string {
  const t = f.threshold;
  if (!t) return "—";
  return [t.warn !== undefined ? `警告 ${t.warn}` : "", t.fail !== undefined ? `故障 ${t.fail}` : ""]
    .filter(Boolean)
    .join(" / ");
}

function summarySentence(i: Inspection): string {
  const s = i.summary;
  const verdict =
    s.risks.高 > 0
      ? `发现高风险 ${s.risks.高} 项，须尽快处理`
      : s.risks.中 > 0
        ? `无高风险，有中风险 ${s.risks.中} 项，应在本季度内处理`
        : "无中、高风险";
  return (
    `本次巡检共 ${s.checks} 类检查、${s.results} 个检查对象：正常 ${s.status.ok}，警告 ${s.status.warn}，` +
    `故障 ${s.status.fail}，未能测量 ${s.status.unknown}。${verdict}` +
    (s.risks.低 > 0 ? `；另有 ${s.risks.低} 项未能测量（低风险），须人工确认。` : "。")
  );
}

function title(i: Inspection): string {
  return `${i.hospital} 医疗电子票据系统巡检报告（${i.quarter.zh}）`;
}

function facts(i: Inspection): [string, string][] {
  return [
    ["医院", i.hospital],
    ["环境", `${i.stack}（${i.kind}）`],
    ["巡检周期", `${i.quarter.zh}（${i.quarter.from} 至 ${i.quarter.to}）`],
    ["巡检时间", `${i.localDate}（${i.inspectedAt}）`],
    [
      "对比",
      i.previous
        ? `上次巡检 ${i.previous.quarter}（${i.previous.inspectedAt.slice(0, 10)}）`
        : "仓库中没有更早的巡检",
    ],
  ];
}

interface TrendRow {
  what: string;
  before: string;
  now: string;
  change: string;
}

const percentChange = (before: number, now: number) =>
  before === 0
    ? now === 0
      ? "不变"
      : "新增"
    : `${now >= before ? "+" : ""}${(((now - before) / before) * 100).toFixed(1)}%`;

/** Disk, tablespace, database and bill growth against the previous inspection. */
export function trends(i: Inspection, previous: PastInspection | undefined): TrendRow[] {
  if (!previous) return [];
  const rows: TrendRow[] = [];
  const before = previous.metrics;
  const now = i.metrics;
  if (before.databaseSizeBytes !== null && now.databaseSizeBytes !== null)
    rows.push({
      what: "数据库大小",
      before: formatBytes(before.databaseSizeBytes),
      now: formatBytes(now.databaseSizeBytes),
      change: percentChange(before.databaseSizeBytes, now.databaseSizeBytes),
    });
  for (const t of now.tablespaces) {
    const b = before.tablespaces.find((x) => x.name === t.name);
    if (t.sizeBytes === null) continue;
    rows.push({
      what: `表空间 ${t.name}`,
      before: b?.sizeBytes != null ? formatBytes(b.sizeBytes) : "（无）",
      now: formatBytes(t.sizeBytes),
      change: b?.sizeBytes != null ? percentChange(b.sizeBytes, t.sizeBytes) : "新增",
    });
  }
  for (const d of now.disks) {
    const b = before.disks.find((x) => x.host === d.host && x.mount === d.mount);
    rows.push({
      what: `磁盘 ${d.host}:${d.mount} 使用率`,
      before: b ? `${b.usedPercent}%` : "（无）",
      now: `${d.usedPercent}%`,
      change: b
        ? `${d.usedPercent - b.usedPercent >= 0 ? "+" : ""}${d.usedPercent - b.usedPercent} 个百分点`
        : "新增",
    });
  }
  if (before.billsInQuarter !== null && now.billsInQuarter !== null)
    rows.push({
      what: "季度开票量",
      before: `${before.billsInQuarter} 张（${previous.quarter}）`,
      now: `${now.billsInQuarter} 张（${i.quarter.id}${i.localDate < i.quarter.to ? "，截至巡检日" : ""}）`,
      change: percentChange(before.billsInQuarter, now.billsInQuarter),
    });
  return rows;
}

const NO_TREND = (i: Inspection) =>
  `仓库中没有 ${i.stack} 更早的巡检记录（inspections/${i.stack}/），下次巡检起与本次对比。`;

// ---------------------------------------------------------------------------------------------
// Markdown

const md = (s: string) =>
  s
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ")
    .replace(/[<>]/g, (ch) => (ch === "<" ? "&lt;" : "&gt;"));

const mdTable = (head: string[], rows: string[][]) => [
  `| ${head.join(" | ")} |`,
  `| ${head.map(() => "---").join(" | ")} |`,
  ...rows.map((r) => `| ${r.map(md).join(" | ")} |`),
];

export function inspectionMarkdown(i: Inspection, previous: PastInspection | undefined): string {
  const risks = risksOf(i.findings);
  const trendRows = trends(i, previous);
  const out = [
    `# ${md(title(i))}`,
    "",
    ...facts(i).map(([k, v]) => `- ${k}：${md(v)}`),
    "",
    "## 一、总体结论",
    "",
    summarySentence(i),
    "",
    `| 高风险 | 中风险 | 低风险 | 正常 |`,
    `| --- | --- | --- | --- |`,
    `| ${i.summary.risks.高} | ${i.summary.risks.中} | ${i.summary.risks.低} | ${i.summary.status.ok} |`,
    "",
    "## 二、风险与建议",
    "",
    ...(risks.length === 0
      ? ["未发现风险。"]
      : mdTable(
          ["等级", "检查项", "对象", "现状", "建议"],
          risks.map((f) => [
            f.risk!,
            `${f.title.zh}（${f.id}）`,
            f.target,
            situation(f),
            f.advice ?? RISK_ADVICE_FALLBACK,
          ]),
        )),
    "",
    "## 三、分项检查",
    "",
  ];
  for (const area of AREA_ORDER) {
    const inArea = i.findings.filter((f) => f.area === area);
    if (inArea.length === 0) continue;
    out.push(
      `### ${AREA_NAMES[area]}`,
      "",
      ...mdTable(
        ["状态", "检查项", "对象", "测量值", "阈值", "依据"],
        inArea.map((f) => [
          `${STATUS_ICONS[f.status]} ${STATUS_NAMES[f.status]}`,
          `${f.title.zh}（${f.id}）`,
          f.target,
          formatValue(f),
          formatThreshold(f),
          f.status === "unknown" ? `${f.evidence}：${f.advice ?? ""}` : f.evidence,
        ]),
      ),
      "",
    );
  }
  out.push(
    "## 四、趋势（与上次巡检对比）",
    "",
    ...(trendRows.length === 0
      ? [NO_TREND(i)]
      : mdTable(
          ["指标", `上次（${previous!.quarter}）`, "本次", "变化"],
          trendRows.map((r) => [r.what, r.before, r.now, r.change]),
        )),
    "",
    "## 五、图表",
    "",
    "表空间增长、本季度每日开票量、各服务器磁盘使用率与阈值、各开票点库存可用天数：见同目录的 report.html。",
    "",
    "## 说明",
    "",
    ...NOTES.map((n) => `- ${n}`),
    "",
  );
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// HTML

const STYLE = `
@page { size: A4 portrait; margin: 12mm; }
body { font-family: ${REPORT_FONT_STACK}; font-size: 12px; color: #111; margin: 1.5em auto; max-width: 980px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
h1 { font-size: 20px; text-align: center; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; border-bottom: 2px solid #333; padding-bottom: 2px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; width: 100%; }
th, td { border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
table.facts td { border: none; padding: 1px 12px 1px 0; width: auto; }
table.facts { width: auto; }
.counts { display: flex; gap: 12px; margin: 8px 0; }
.counts div { border: 1px solid #999; padding: 6px 14px; text-align: center; min-width: 70px; }
.counts b { display: block; font-size: 20px; }
.s-ok { color: #2e7d32; } .s-warn { color: #ed6c02; } .s-fail { color: #c62828; } .s-unknown { color: #555; }
.r-高 { background: #fde0e0; } .r-中 { background: #fff0d9; } .r-低 { background: #f2f2f2; }
figure { margin: 10px 0 16px; } figcaption { font-weight: bold; margin-bottom: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; }
.notes { font-size: 11px; color: #333; }
`;

function htmlTable(id: string, head: string[], rows: { cells: string[]; cls?: string }[]): string {
  return (
    `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>\n` +
    rows
      .map(
        (r) => `<tr${r.cls ? ` class="${r.cls}"` : ""}>${r.cells.map((c) => `<td>${c}</td>`).join("")}</tr>`,
      )
      .join("\n") +
    `\n</tbody></table>`
  );
}

const statusCell = (s: CheckStatus) => `<span class="s-${s}">${STATUS_NAMES[s]}</span>`;
const MIB = 1024 * 1024;

/** Tablespace sizes at every inspection; a yearly tablespace starts empty on 1 January of its year. */
function tablespaceSeries(i: Inspection, history: readonly PastInspection[]): Series[] {
  return i.metrics.tablespaces
    .filter((t) => t.sizeBytes !== null)
    .map((t) => {
      const year = /_(\d{4})$/.exec(t.name)?.[1];
      const past = history
        .map((h) => ({
          at: h.inspectedAt,
          value: h.metrics.tablespaces.find((x) => x.name === t.name)?.sizeBytes,
        }))
        .filter((p): p is { at: string; value: number } => typeof p.value === "number");
      const start =
        year && (past.length === 0 || past[0]!.at > `${year}-01-01`)
          ? [{ at: `${year}-01-01T00:00:00.000Z`, value: 0 }]
          : [];
      return { name: t.name, points: [...start, ...past, { at: i.inspectedAt, value: t.sizeBytes! }] };
    });
}

/** The four charts, from this inspection and the earlier ones in the repository. */
export function charts(
  i: Inspection,
  history: readonly PastInspection[],
): { id: string; caption: string; svg: string }[] {
  const m = i.metrics;
  const series = tablespaceSeries(i, history);
  // One unit for the axis, so its ticks are round numbers of it.
  const biggest = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value)));
  const [unit, size] = biggest >= 1024 * MIB ? ["GiB", 1024 * MIB] : ["MiB", MIB];
  const scaled = series.map((s) => ({
    ...s,
    points: s.points.map((p) => ({ ...p, value: p.value / size })),
  }));
  const shownTo = i.localDate < i.quarter.to ? i.localDate : i.quarter.to;
  return [
    {
      id: "chart-tablespaces",
      caption: "表空间增长",
      svg: lines({
        id: "chart-tablespaces",
        title: "表空间大小（各次巡检）",
        series: scaled,
        format: (v) => `${Math.round(v * 10) / 10} ${unit}`,
        emptyWhy: "未读到表空间大小",
      }),
    },
    {
      id: "chart-bills",
      caption: `${i.quarter.zh}每日开票量`,
      svg: dailyBars({
        id: "chart-bills",
        title: `${i.quarter.zh}每日开票量`,
        from: i.quarter.from,
        to: shownTo < i.quarter.from ? i.quarter.from : shownTo,
        days: m.billsPerDay,
        emptyWhy: m.billsInQuarter === null ? "未读到票据数据" : "本季度没有开出票据",
      }),
    },
    {
      id: "chart-disks",
      caption: "各服务器磁盘使用率与阈值",
      svg: limitBars({
        id: "chart-disks",
        title: "磁盘使用率",
        bars: m.disks.map((d) => ({ label: `${d.host}:${d.mount}`, value: d.usedPercent })),
        limit: m.diskLimit,
        unit: "%",
        scaleMax: 100,
        emptyWhy: "未读到服务器的磁盘（见服务器一节）",
      }),
    },
    {
      id: "chart-stock",
      caption: "各开票点票据库存可用天数",
      svg: limitBars({
        id: "chart-stock",
        title: "库存可用天数",
        bars: m.stock.map((s) => ({
          label: `${s.place} / ${s.billCode}`,
          value: s.daysLeft,
          ...(s.daysLeft === null ? { note: "近期未开票，库存不减少" } : {}),
        })),
        limit: m.stockLimit,
        lowerIsWorse: true,
        unit: "天",
        scaleMax: Math.max(90, m.stockLimit.warn * 3),
        emptyWhy: "未读到开票点库存",
      }),
    },
  ];
}

export function inspectionHtml(i: Inspection, history: readonly PastInspection[]): string {
  const previous = history.filter((h) => h.quarter < i.quarter.id).at(-1);
  const risks = risksOf(i.findings);
  const trendRows = trends(i, previous);
  const areas = AREA_ORDER.map((area) => {
    const inArea = i.findings.filter((f) => f.area === area);
    if (inArea.length === 0) return "";
    return (
      `<h3>${esc(AREA_NAMES[area])}</h3>\n` +
      htmlTable(
        `area-${area}`,
        ["状态", "检查项", "对象", "测量值", "阈值", "依据"],
        inArea.map((f) => ({
          cls: f.risk ? `r-${f.risk}` : undefined,
          cells: [
            statusCell(f.status),
            `${esc(f.title.zh)}<br><small>${esc(f.id)}</small>`,
            esc(f.target),
            esc(formatValue(f)),
            esc(formatThreshold(f)),
            esc(f.status === "unknown" ? `${f.evidence}：${f.advice ?? ""}` : f.evidence),
          ],
        })),
      )
    );
  }).join("\n");
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${esc(title(i))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title(i))}</h1>
<table class="facts">
${facts(i)
  .map(([k, v]) => `<tr><td>${esc(k)}：</td><td>${esc(v)}</td></tr>`)
  .join("\n")}
</table>
<h2>一、总体结论</h2>
<p id="summary">${esc(summarySentence(i))}</p>
<div class="counts">
<div class="r-高">高风险<b>${i.summary.risks.高}</b></div>
<div class="r-中">中风险<b>${i.summary.risks.中}</b></div>
<div class="r-低">低风险<b>${i.summary.risks.低}</b></div>
<div>正常<b>${i.summary.status.ok}</b></div>
</div>
<h2>二、风险与建议</h2>
${
  risks.length === 0
    ? "<p>未发现风险。</p>"
    : htmlTable(
        "risks",
        ["等级", "检查项", "对象", "现状", "建议"],
        risks.map((f) => ({
          cls: `r-${f.risk as Risk}`,
          cells: [
            esc(f.risk!),
            `${esc(f.title.zh)}<br><small>${esc(f.id)}</small>`,
            esc(f.target),
            esc(situation(f)),
            esc(f.advice ?? RISK_ADVICE_FALLBACK),
          ],
        })),
      )
}
<h2>三、分项检查</h2>
${areas}
<h2>四、趋势（与上次巡检对比）</h2>
${
  trendRows.length === 0
    ? `<p>${esc(NO_TREND(i))}</p>`
    : htmlTable(
        "trends",
        ["指标", `上次（${previous!.quarter}）`, "本次", "变化"],
        trendRows.map((r) => ({ cells: [r.what, r.before, r.now, r.change].map(esc) })),
      )
}
<h2>五、图表</h2>
${charts(i, history)
  .map((c) => `<figure id="figure-${c.id}"><figcaption>${esc(c.caption)}</figcaption>\n${c.svg}\n</figure>`)
  .join("\n")}
<h2>说明</h2>
<ul class="notes">
${NOTES.map((n) => `<li>${esc(n)}</li>`).join("\n")}
</ul>
</body>
</html>
`;
}

/** The 高 risks as a markdown list, for the issue the inspect workflow opens (empty: none). */
export function highRisksMarkdown(i: Inspection): string {
  const high = i.findings.filter((f) => f.risk === "高");
  if (high.length === 0) return "";
  return [
    `### ${md(i.hospital)}（${i.stack}）：${high.length} 项高风险`,
    "",
    ...high.map(
      (f) =>
        `- **${md(f.title.zh)}**（\`${f.id}\`）${md(f.target)}：${md(situation(f))}。建议：${md(f.advice ?? RISK_ADVICE_FALLBACK)}`,
    ),
    "",
  ].join("\n");
}
