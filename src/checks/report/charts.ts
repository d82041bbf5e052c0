/**
 * The inspection report's charts as inline SVG: plain markup, no script, no font or file to load,
 * so report.html stays one self-contained file that prints the same everywhere. Each chart has a
 * fixed size (width/height attributes and a viewBox) and a <title> for screen readers; without
 * data it still renders, saying why it is empty.
 */
import { REPORT_FONT_STACK } from "../../base/browser.ts";
import { escapeHtml as esc } from "../../base/html.ts";

export const COLORS = {
  ok: "#2e7d32",
  warn: "#ed6c02",
  fail: "#c62828",
  grid: "#ddd",
  axis: "#555",
  bar: "#1565c0",
};
const WIDTH = 720;

function svg(id: string, title: string, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="chart" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-title" ` +
    `font-family='${REPORT_FONT_STACK.replace(/"/g, "")}' font-size="11">` +
    `<title id="${id}-title">${esc(title)}</title>${body}</svg>`
  );
}

const text = (x: number, y: number, s: string, attrs = "") =>
  `<text x="${round(x)}" y="${round(y)}"${attrs ? ` ${attrs}` : ""}>${esc(s)}</text>`;
const round = (n: number) => Math.round(n * 10) / 10;

function empty(id: string, title: string, why: string): string {
  return svg(
    id,
    title,
    60,
    `<rect x="0.5" y="0.5" width="${WIDTH - 1}" height="59" fill="#fafafa" stroke="${COLORS.grid}"/>` +
      text(WIDTH / 2, 35, `${title}：${why}`, `text-anchor="middle" fill="${COLORS.axis}"`),
  );
}

/** A scale's top: the next "nice" number at or above max (1, 2, 5 x 10^n). */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export interface Bar {
  label: string;
  value: number | null;
  /** Shown at the bar's end instead of the value (e.g. "不减少"). */
  note?: string;
}

/**
 * Horizontal bars against two limits (dashed lines at warn and fail), for disk use per host and
 * stock days left per point. `lowerIsWorse`: a bar at or below a limit takes its colour.
 */
export function limitBars(options: {
  id: string;
  title: string;
  bars: Bar[];
  limit: { warn: number; fail: number };
  lowerIsWorse?: boolean;
  unit: string;
  /** Where the scale ends; longer bars are cut and keep their value as a label. */
  scaleMax?: number;
  emptyWhy: string;
}): string {
  const { id, title, bars, limit } = options;
  if (bars.length === 0) return empty(id, title, options.emptyWhy);
  const left = 190;
  const right = 70;
  const rowHeight = 22;
  const top = 28;
  const height = top + bars.length * rowHeight + 30;
  const max = options.scaleMax ?? niceMax(Math.max(limit.warn, limit.fail, ...bars.map((b) => b.value ?? 0)));
  const x = (v: number) => left + (Math.min(v, max) / max) * (WIDTH - left - right);
  const colour = (v: number) => {
    const bad = (at: number) => (options.lowerIsWorse ? v <= at : v >= at);
    return bad(limit.fail) ? COLORS.fail : bad(limit.warn) ? COLORS.warn : COLORS.ok;
  };
  const rows = bars
    .map((b, i) => {
      const y = top + i * rowHeight;
      const label = text(left - 8, y + 14, b.label, `text-anchor="end"`);
      if (b.value === null)
        return label + text(left + 4, y + 14, b.note ?? "无数据", `fill="${COLORS.axis}"`);
      // A bar longer than the scale ends at its edge and keeps its value as the label.
      const end = x(b.value);
      return (
        label +
        `<rect class="bar" x="${left}" y="${y + 4}" width="${round(Math.max(1, end - left))}" height="${rowHeight - 8}" fill="${colour(b.value)}"/>` +
        text(end + 4, y + 14, b.note ?? `${round(b.value)} ${options.unit}`)
      );
    })
    .join("");
  const line = (v: number, colourOf: string, name: string) =>
    v <= max
      ? `<line x1="${round(x(v))}" x2="${round(x(v))}" y1="${top - 4}" y2="${top + bars.length * rowHeight}" stroke="${colourOf}" stroke-dasharray="4 3"/>` +
        text(x(v), top - 8, `${name} ${v}`, `text-anchor="middle" fill="${colourOf}"`)
      : "";
  const axis =
    `<line x1="${left}" x2="${WIDTH - right}" y1="${top + bars.length * rowHeight}" y2="${top + bars.length * rowHeight}" stroke="${COLORS.axis}"/>` +
    [0, max / 2, max]
      .map((v) =>
        text(
          x(v),
          top + bars.length * rowHeight + 14,
          `${round(v)} ${options.unit}`,
          `text-anchor="middle" fill="${COLORS.axis}"`,
        ),
      )
      .join("");
  return svg(
    id,
    title,
    height,
    rows + line(limit.warn, COLORS.warn, "警告") + line(limit.fail, COLORS.fail, "故障") + axis,
  );
}

/** Bars per day over a period (bills per day over the quarter); days without bills are zero. */
export function dailyBars(options: {
  id: string;
  title: string;
  from: string;
  to: string;
  days: { day: string; count: number }[];
  emptyWhy: string;
}): string {
  const { id, title } = options;
  const all: { day: string; count: number }[] = [];
  const counts = new Map(options.days.map((d) => [d.day, d.count]));
  for (
    let t = Date.parse(`${options.from}T00:00:00Z`);
    t <= Date.parse(`${options.to}T00:00:00Z`);
    t += 86_400_000
  ) {
    const day = new Date(t).toISOString().slice(0, 10);
    all.push({ day, count: counts.get(day) ?? 0 });
  }
  if (options.days.length === 0 || all.length === 0) return empty(id, title, options.emptyWhy);
  const left = 50;
  const height = 220;
  const top = 16;
  const bottom = height - 40;
  const max = niceMax(Math.max(...all.map((d) => d.count)));
  const step = (WIDTH - left - 10) / all.length;
  const y = (v: number) => bottom - (v / max) * (bottom - top);
  const bars = all
    .map((d, i) =>
      d.count > 0
        ? `<rect class="bar" x="${round(left + i * step + 0.5)}" y="${round(y(d.count))}" width="${round(Math.max(1, step - 1))}" height="${round(bottom - y(d.count))}" fill="${COLORS.bar}"><title>${d.day}：${d.count} 张</title></rect>`
        : "",
    )
    .join("");
  const grid = [0, max / 2, max]
    .map(
      (v) =>
        `<line x1="${left}" x2="${WIDTH - 10}" y1="${round(y(v))}" y2="${round(y(v))}" stroke="${COLORS.grid}"/>` +
        text(left - 6, y(v) + 4, `${round(v)}`, `text-anchor="end" fill="${COLORS.axis}"`),
    )
    .join("");
  // A label at the first day of each month.
  const months = all
    .map((d, i) =>
      d.day.endsWith("-01") || i === 0
        ? text(left + i * step, bottom + 16, d.day.slice(5), `fill="${COLORS.axis}"`)
        : "",
    )
    .join("");
  const total = all.reduce((n, d) => n + d.count, 0);
  return svg(
    id,
    title,
    height,
    grid +
      bars +
      months +
      text(
        WIDTH - 10,
        height - 6,
        `合计 ${total} 张，日均 ${round(total / all.length)} 张`,
        `text-anchor="end" fill="${COLORS.axis}"`,
      ),
  );
}

export interface Series {
  name: string;
  points: { at: string; value: number }[];
}

/** Lines over time (tablespace sizes at each inspection), one colour per series, with a legend. */
export function lines(options: {
  id: string;
  title: string;
  series: Series[];
  format: (v: number) => string;
  emptyWhy: string;
}): string {
  const { id, title } = options;
  const series = options.series.filter((s) => s.points.length > 0);
  if (series.length === 0) return empty(id, title, options.emptyWhy);
  const palette = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#558b2f", "#ad1457"];
  const left = 80;
  const right = 20;
  const top = 16;
  const height = 240;
  const bottom = height - 60;
  const times = series.flatMap((s) => s.points.map((p) => Date.parse(p.at)));
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t0 === t1) {
    t0 -= 15 * 86_400_000;
    t1 += 15 * 86_400_000;
  }
  const max = niceMax(Math.max(...series.flatMap((s) => s.points.map((p) => p.value))));
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (WIDTH - left - right);
  const y = (v: number) => bottom - (v / max) * (bottom - top);
  const grid = [0, max / 2, max]
    .map(
      (v) =>
        `<line x1="${left}" x2="${WIDTH - right}" y1="${round(y(v))}" y2="${round(y(v))}" stroke="${COLORS.grid}"/>` +
        text(left - 6, y(v) + 4, options.format(v), `text-anchor="end" fill="${COLORS.axis}"`),
    )
    .join("");
  const dates = [t0, t1]
    .map((t, i) =>
      text(
        x(t),
        bottom + 16,
        new Date(t).toISOString().slice(0, 10),
        `text-anchor="${i === 0 ? "start" : "end"}" fill="${COLORS.axis}"`,
      ),
    )
    .join("");
  const drawn = series
    .map((s, i) => {
      const colour = palette[i % palette.length]!;
      const pts = s.points.map((p) => `${round(x(Date.parse(p.at)))},${round(y(p.value))}`);
      const legend =
        `<rect x="${left + i * 150}" y="${height - 24}" width="12" height="12" fill="${colour}"/>` +
        text(left + i * 150 + 16, height - 14, s.name);
      return (
        (pts.length > 1
          ? `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(" ")}"/>`
          : "") +
        s.points
          .map(
            (p) =>
              `<circle cx="${round(x(Date.parse(p.at)))}" cy="${round(y(p.value))}" r="3" fill="${colour}"><title>${esc(s.name)} ${p.at.slice(0, 10)}：${esc(options.format(p.value))}</title></circle>`,
          )
          .join("") +
        legend
      );
    })
    .join("");
  return svg(id, title, height, grid + dates + drawn);
}
