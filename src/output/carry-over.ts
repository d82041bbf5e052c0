/**
 * The finance office's (财务科) write-off report of a carry-over (结转核销报告): Chinese, markdown
 * and a self-contained HTML page (printed to PDF by base/browser.ts), with a totals row and lines to
 * sign. Both show the same figures.
 */
import type { CarryOver, CarryOverLine, StackKind } from "../rollover/carry-over.ts";
import { yy } from "../rollover/derive.ts";
import { REPORT_FONT_STACK } from "../base/browser.ts";
import { escapeHtml as esc } from "../base/html.ts";

// ---------------------------------------------------------------------------------------------
// What the reports say (shared by markdown and HTML, so both show the same figures)

const n = (v: number) => v.toLocaleString("en-US");

/** Fen as yuan with thousands separators: 123456 -> "1,234.56", -500 -> "-5.00". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(Math.round(fen));
  return `${sign}${n(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, "0")}`;
}

const ENVIRONMENT: Record<StackKind, string> = {
  production: "生产环境",
  test: "测试环境",
  sandbox: "沙箱演示环境",
};

const title = (c: CarryOver) => `${c.hospital} ${c.year}年度票据结转核销报告`;

/** The heading facts, label and value, in the order the finance office reads them. */
function facts(c: CarryOver): [string, string][] {
  return [
    ["单位名称", c.hospital],
    ["单位编码", c.agencyCode],
    ["区划", c.regionCode],
    ["环境", `${ENVIRONMENT[c.stackKind]}（${c.stack}）`],
    ["结转年度", `${c.year}年（票据代码末两位 ${yy(c.year)}）`],
    ["结转日期", c.date + (c.supersedes ? `（取代 ${c.supersedes} 的结转记录）` : "")],
  ];
}

const USAGE_HEAD = [
  "开票点",
  "票据代码",
  "票据名称",
  "起始号码",
  "终止号码",
  "已用张数",
  "其中作废",
  "冲红张数",
  "开票金额（元）",
  "冲红金额（元）",
  "净额（元）",
  "下发张数",
  "未用张数",
];
/** Columns of USAGE_HEAD that are figures (right-aligned). */
const USAGE_NUMERIC = [5, 6, 7, 8, 9, 10, 11, 12];

function usageRows(c: CarryOver): string[][] {
  return c.lines.map((l) => [
    `${l.place} ${l.placeName}`,
    l.billCode,
    l.billName,
    l.firstUsed ?? "—",
    l.lastUsed ?? "—",
    n(l.used),
    n(l.voided),
    n(l.redFlushed),
    yuan(l.issuedFen),
    yuan(l.redFlushFen),
    yuan(l.netFen),
    n(l.distributed),
    n(l.unusedCount),
  ]);
}

function totalsRow(c: CarryOver): string[] {
  const t = c.totals;
  return [
    "合计",
    "",
    "",
    "",
    "",
    n(t.used),
    n(t.voided),
    n(t.redFlushed),
    yuan(t.issuedFen),
    yuan(t.redFlushFen),
    yuan(t.netFen),
    n(t.distributed),
    n(t.unused),
  ];
}

const unusedText = (l: CarryOverLine) =>
  l.unused.length === 0 ? "无" : l.unused.map((r) => `${r.first}–${r.last}（${n(r.count)}张）`).join("；");

const EXCHANGE_HEAD = ["开票点", "票据代码", "批次", "起始号码", "终止号码", "张数"];

function exchangeRows(c: CarryOver): string[][] {
  return c.nextYearExchange.map((e) => [
    `${e.place} ${e.placeName}`,
    e.billCode,
    e.batch,
    e.first,
    e.last,
    n(e.count),
  ]);
}

const noExchange = (c: CarryOver) =>
  `${c.year + 1}年尚未下发旧票回收号段（运行 rollover prepare，审核合并后 apply）。`;

const summary = (c: CarryOver) => {
  const t = c.totals;
  return (
    `已用 ${n(t.used)} 张（其中作废 ${n(t.voided)} 张，冲红 ${n(t.redFlushed)} 张），` +
    `开票金额 ${yuan(t.issuedFen)} 元，冲红金额 ${yuan(t.redFlushFen)} 元，净额 ${yuan(t.netFen)} 元；` +
    `下发 ${n(t.distributed)} 张，未用 ${n(t.unused)} 张`
  );
};

const NOTES = [
  "已用张数包含作废和冲红票据：作废票据的号码不能再次使用，核销时一并计入；冲红票据是新开的红字票据，占用号码，金额为负。",
  "开票金额为未作废的正常票据金额之和；冲红金额为红字票据金额之和；净额 = 开票金额 + 冲红金额。作废票据不计金额。",
  "未用号段按开票点、票据代码列出，供向财政部门办理核销或退回。",
  "本年度基础信息（开票点、缴费渠道、接口对照、票据种类、打印模板、票据号段）已另存本地备查（basic-info.json）。",
  "字体：本报告优先使用 Windows 常见字体（微软雅黑、宋体），其次为 Noto CJK。在 Linux（如 Debian）上打印或生成 PDF 前须安装 fonts-noto-cjk，否则中文显示为方框。",
];

const SIGNATURES = ["经办人", "审核人", "负责人"];

// ---------------------------------------------------------------------------------------------
// Markdown

/** The finance office's report, in Chinese, as markdown. */
export function carryOverMarkdown(c: CarryOver): string {
  const md = (s: string) =>
    s
      .replace(/\\/g, "\\\\")
      .replace(/\|/g, "\\|")
      .replace(/[<>]/g, (ch) => (ch === "<" ? "&lt;" : "&gt;"));
  const table = (head: string[], rows: string[][], numeric: number[] = []) => [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (numeric.includes(i) ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(md).join(" | ")} |`),
  ];
  const outside = c.lines.filter((l) => l.outsideStock.length > 0);
  const out = [
    `# ${md(title(c))}`,
    "",
    ...facts(c).map(([label, value]) => `- ${label}：${md(value)}`),
    `- 合计：${summary(c)}`,
    "",
    "## 一、各开票点票据使用及金额",
    "",
    ...table(USAGE_HEAD, [...usageRows(c), totalsRow(c).map((v) => (v ? `**${v}**` : v))], USAGE_NUMERIC),
    "",
    "## 二、未用号段（待核销或退回）",
    "",
    ...table(
      ["开票点", "票据代码", "未用号段"],
      c.lines.map((l) => [`${l.place} ${l.placeName}`, l.billCode, unusedText(l)]),
    ),
    "",
    `## 三、${c.year + 1}年旧票回收（换开）号段`,
    "",
    ...(c.nextYearExchange.length > 0 ? table(EXCHANGE_HEAD, exchangeRows(c), [5]) : [noExchange(c)]),
    "",
  ];
  if (outside.length > 0)
    out.push(
      "## 需说明：号码不在下发号段内",
      "",
      ...outside.map((l) => `- ${md(l.place)} ${l.billCode}：${l.outsideStock.join("、")}`),
      "",
    );
  out.push(
    "## 说明",
    "",
    ...NOTES.map((note) => `- ${note}`),
    "",
    "## 签字",
    "",
    ...SIGNATURES.map((who) => `- ${who}：＿＿＿＿＿＿＿＿`),
    "- 日期：＿＿＿＿年＿＿月＿＿日",
    "",
  );
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// HTML (printed to PDF by the headless browser, src/base/browser.ts)

const STYLE = `
@page { size: A4 landscape; margin: 12mm; }
body { font-family: ${REPORT_FONT_STACK}; font-size: 12px; color: #111; margin: 1.5em; }
@media print { body { margin: 0; } }
h1 { font-size: 20px; text-align: center; margin: 0 0 12px; }
h2 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
table.wide { width: 100%; }
th, td { border: 1px solid #666; padding: 3px 6px; text-align: left; }
th { background: #eee; font-weight: bold; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #f4f4f4; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.facts td { border: none; padding: 1px 12px 1px 0; }
.signatures { display: flex; gap: 48px; margin-top: 36px; font-size: 14px; }
.signatures span { white-space: nowrap; }
.notes { font-size: 11px; color: #333; }
`;

/** The same report as one self-contained HTML page (inline style, no scripts, every value escaped). */
export function carryOverHtml(c: CarryOver): string {
  const cells = (values: string[], numeric: number[] = []) =>
    values.map((v, i) => `<td${numeric.includes(i) ? ' class="n"' : ""}>${esc(v)}</td>`).join("");
  const table = (id: string, head: string[], rows: string[][], numeric: number[] = [], totals?: string[]) =>
    `<table id="${id}" class="wide">\n<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>\n<tbody>\n` +
    rows.map((r) => `<tr>${cells(r, numeric)}</tr>`).join("\n") +
    (totals ? `\n<tr class="total">${cells(totals, numeric)}</tr>` : "") +
    "\n</tbody>\n</table>";
  const outside = c.lines.filter((l) => l.outsideStock.length > 0);
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${esc(title(c))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title(c))}</h1>
<table class="facts">
${facts(c)
  .map(([label, value]) => `<tr><td>${esc(label)}：</td><td>${esc(value)}</td></tr>`)
  .join("\n")}
<tr><td>合计：</td><td>${esc(summary(c))}</td></tr>
</table>
<h2>一、各开票点票据使用及金额</h2>
${table("usage", USAGE_HEAD, usageRows(c), USAGE_NUMERIC, totalsRow(c))}
<h2>二、未用号段（待核销或退回）</h2>
${table(
  "unused",
  ["开票点", "票据代码", "未用号段"],
  c.lines.map((l) => [`${l.place} ${l.placeName}`, l.billCode, unusedText(l)]),
)}
<h2>三、${c.year + 1}年旧票回收（换开）号段</h2>
${c.nextYearExchange.length > 0 ? table("exchange", EXCHANGE_HEAD, exchangeRows(c), [5]) : `<p>${esc(noExchange(c))}</p>`}
${
  outside.length > 0
    ? `<h2>需说明：号码不在下发号段内</h2>\n<ul>\n${outside.map((l) => `<li>${esc(`${l.place} ${l.billCode}：${l.outsideStock.join("、")}`)}</li>`).join("\n")}\n</ul>\n`
    : ""
}<h2>说明</h2>
<ul class="notes">
${NOTES.map((note) => `<li>${esc(note)}</li>`).join("\n")}
</ul>
<div class="signatures">
${SIGNATURES.map((who) => `<span>${who}：＿＿＿＿＿＿＿＿</span>`).join("\n")}
<span>日期：＿＿＿＿年＿＿月＿＿日</span>
</div>
</body>
</html>
`;
}
