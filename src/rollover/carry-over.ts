/**
 * Carry-over (结转) of a closing year: per invoicing point and bill code, the numbers used and the
 * unused ranges to write off (核销) or return. Pure: live stock and usage are passed in.
 */
import type { LiveState, LiveStock, UsageRow, UsedRun } from "./live.ts";
import { yy } from "./derive.ts";
import { formatRange, normalize, pad10, subtract, total, type NumberRange } from "./ranges.ts";

export interface CarryOverLine {
  place: string;
  placeName: string;
  billCode: string;
  billName: string;
  /** Numbers consumed, voided ones included (a voided number is used). */
  used: number;
  voided: number;
  firstUsed: string | null;
  lastUsed: string | null;
  /** Numbers distributed to the point under the code (all purposes). */
  distributed: number;
  unused: { first: string; last: string; count: number }[];
  unusedCount: number;
  /** Used numbers that lie outside every range distributed to the point: to explain to finance. */
  outsideStock: string[];
}

export interface CarryOver {
  stack: string;
  hospital: string;
  year: number;
  date: string;
  lines: CarryOverLine[];
  totals: { used: number; voided: number; distributed: number; unused: number };
}

export function computeCarryOver(options: {
  stack: string;
  hospital: string;
  year: number;
  date: string;
  live: LiveState;
  usage: readonly UsageRow[];
  runs: readonly UsedRun[];
}): CarryOver {
  const suffix = yy(options.year);
  const ofYear = (s: LiveStock) => s.billCode.slice(6) === suffix;
  const keys = new Map<string, { place: string; billCode: string }>();
  for (const s of options.live.stock.filter(ofYear)) keys.set(`${s.place}/${s.billCode}`, s);
  for (const u of options.usage) keys.set(`${u.place}/${u.billCode}`, u);

  const lines: CarryOverLine[] = [...keys.values()]
    .sort((a, b) => (a.place === b.place ? cmp(a.billCode, b.billCode) : cmp(a.place, b.place)))
    .map(({ place, billCode }) => {
      const stock: NumberRange[] = normalize(
        options.live.stock
          .filter((s) => s.place === place && s.billCode === billCode)
          .map((s) => ({ first: s.first, last: s.last })),
      );
      const runs = options.runs
        .filter((r) => r.place === place && r.billCode === billCode)
        .map((r) => ({ first: r.first, last: r.last }));
      const usage = options.usage.find((u) => u.place === place && u.billCode === billCode);
      const unused = subtract(stock, runs);
      return {
        place,
        placeName: options.live.invoicingPoints.find((p) => p.code === place)?.name ?? "",
        billCode,
        billName: options.live.billTypes.find((b) => b.code === billCode)?.name ?? "",
        used: usage?.count ?? 0,
        voided: usage?.voided ?? 0,
        firstUsed: usage ? pad10(usage.first) : null,
        lastUsed: usage ? pad10(usage.last) : null,
        distributed: total(stock),
        unused: unused.map((r) => ({
          first: pad10(r.first),
          last: pad10(r.last),
          count: r.last - r.first + 1,
        })),
        unusedCount: total(unused),
        outsideStock: subtract(runs, stock).map(formatRange),
      };
    });
  const sum = (f: (l: CarryOverLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  return {
    stack: options.stack,
    hospital: options.hospital,
    year: options.year,
    date: options.date,
    lines,
    totals: {
      used: sum((l) => l.used),
      voided: sum((l) => l.voided),
      distributed: sum((l) => l.distributed),
      unused: sum((l) => l.unusedCount),
    },
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const n = (v: number) => v.toLocaleString("en-US");

const unusedText = (l: CarryOverLine) =>
  l.unused.length === 0 ? "无" : l.unused.map((r) => `${r.first}–${r.last}（${n(r.count)}张）`).join("；");

/** The finance office's report, in Chinese, as markdown. */
export function carryOverMarkdown(c: CarryOver): string {
  const md = (s: string) =>
    s
      .replace(/\\/g, "\\\\")
      .replace(/\|/g, "\\|")
      .replace(/[<>]/g, (ch) => (ch === "<" ? "&lt;" : "&gt;"));
  const out = [
    `# ${md(c.hospital)} ${c.year}年度票据结转报告`,
    "",
    `- 环境：\`${c.stack}\``,
    `- 结转年度：${c.year}年（票据代码末两位 ${yy(c.year)}）`,
    `- 生成日期：${c.date}`,
    `- 合计：已用 ${n(c.totals.used)} 张（其中作废 ${n(c.totals.voided)} 张），下发 ${n(c.totals.distributed)} 张，未用 ${n(c.totals.unused)} 张`,
    "",
    "## 各开票点票据使用情况",
    "",
    "| 开票点 | 票据代码 | 票据名称 | 已用张数 | 其中作废 | 起始号码 | 终止号码 | 下发张数 | 未用张数 |",
    "|---|---|---|---:|---:|---|---|---:|---:|",
    ...c.lines.map(
      (l) =>
        `| ${md(l.place)} ${md(l.placeName)} | ${l.billCode} | ${md(l.billName)} | ${n(l.used)} | ${n(l.voided)} | ${l.firstUsed ?? "—"} | ${l.lastUsed ?? "—"} | ${n(l.distributed)} | ${n(l.unusedCount)} |`,
    ),
    "",
    "## 未用号段（待核销或退回）",
    "",
    "| 开票点 | 票据代码 | 未用号段 |",
    "|---|---|---|",
    ...c.lines.map((l) => `| ${md(l.place)} ${md(l.placeName)} | ${l.billCode} | ${unusedText(l)} |`),
    "",
  ];
  const outside = c.lines.filter((l) => l.outsideStock.length > 0);
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
    "- 已用张数包含作废票据：作废票据的号码不能再次使用，核销时一并计入。",
    "- 未用号段按开票点、票据代码列出，供向财政部门办理核销或退回。",
    "- 本年度基础信息（开票点、缴费渠道、接口对照、票据种类、打印模板、票据号段）已另存本地备查（basic-info.json）。",
    "",
  );
  return out.join("\n");
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );

/** The same report as one self-contained HTML page (inline style, no scripts, every value escaped). */
export function carryOverHtml(c: CarryOver): string {
  const row = (cells: string[], numeric: number[] = []) =>
    `<tr>${cells.map((v, i) => `<td${numeric.includes(i) ? ' class="n"' : ""}>${esc(v)}</td>`).join("")}</tr>`;
  const title = `${c.hospital} ${c.year}年度票据结转报告`;
  const outside = c.lines.filter((l) => l.outsideStock.length > 0);
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #999;padding:4px 8px;text-align:left}
td.n{text-align:right}
th{background:#eee}
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<ul>
<li>环境：${esc(c.stack)}</li>
<li>结转年度：${c.year}年（票据代码末两位 ${yy(c.year)}）</li>
<li>生成日期：${esc(c.date)}</li>
<li>合计：已用 ${n(c.totals.used)} 张（其中作废 ${n(c.totals.voided)} 张），下发 ${n(c.totals.distributed)} 张，未用 ${n(c.totals.unused)} 张</li>
</ul>
<h2>各开票点票据使用情况</h2>
<table>
<tr><th>开票点</th><th>票据代码</th><th>票据名称</th><th>已用张数</th><th>其中作废</th><th>起始号码</th><th>终止号码</th><th>下发张数</th><th>未用张数</th></tr>
${c.lines
  .map((l) =>
    row(
      [
        `${l.place} ${l.placeName}`,
        l.billCode,
        l.billName,
        n(l.used),
        n(l.voided),
        l.firstUsed ?? "—",
        l.lastUsed ?? "—",
        n(l.distributed),
        n(l.unusedCount),
      ],
      [3, 4, 7, 8],
    ),
  )
  .join("\n")}
</table>
<h2>未用号段（待核销或退回）</h2>
<table>
<tr><th>开票点</th><th>票据代码</th><th>未用号段</th></tr>
${c.lines.map((l) => row([`${l.place} ${l.placeName}`, l.billCode, unusedText(l)])).join("\n")}
</table>
${
  outside.length > 0
    ? `<h2>需说明：号码不在下发号段内</h2>\n<ul>\n${outside.map((l) => `<li>${esc(`${l.place} ${l.billCode}：${l.outsideStock.join("、")}`)}</li>`).join("\n")}\n</ul>\n`
    : ""
}<h2>说明</h2>
<ul>
<li>已用张数包含作废票据：作废票据的号码不能再次使用，核销时一并计入。</li>
<li>未用号段按开票点、票据代码列出，供向财政部门办理核销或退回。</li>
<li>本年度基础信息（开票点、缴费渠道、接口对照、票据种类、打印模板、票据号段）已另存本地备查（basic-info.json）。</li>
</ul>
</body>
</html>
`;
}
