/**
 * Sizing next year's stock without reading the database, for `rollover prepare` where the
 * hospital's database cannot (or must not) be reached: a development machine, the repository's own
 * year-end for the Lingshui stacks (the network rule in docs/year-end.md). Two explicit sources:
 *
 * - `--issued-per-day RATES`: bills per day, `850` for every invoicing point and code, `001=850` for
 *   one point, `002/46060226=130` for one point and last year's code; comma-separated or repeated,
 *   the most specific rate wins;
 * - `--from-carry-over PATH`: the numbers each point used in a closed year, from the carry-over
 *   the year-end wrote (`carry-over/<stack>/<year>/` or its `carry-over.json`), over that year's days.
 *
 * The written year file says that its sizes are estimates and where they came from.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Environment } from "../model/environment.ts";
import { codeForYear, daysInYear, yearPart, type PointUsage } from "./derive.ts";

export type SizingBasis =
  | { kind: "database" }
  | { kind: "issued-per-day"; rates: string }
  | { kind: "carry-over"; file: string; year: number };

export interface OfflineSizing {
  /** Last year's issuing as derive expects it: numbers used per point and last year's code. */
  usage: PointUsage[];
  /** Days the usage covers. */
  days: number;
  basis: SizingBasis;
}

export interface OfflineOptions {
  /** `--issued-per-day`, each value possibly comma-separated. */
  issuedPerDay?: readonly string[];
  /** `--from-carry-over`: a carry-over folder or its carry-over.json. */
  fromCarryOver?: string;
}

export interface RateRule {
  place?: string;
  billCode?: string;
  perDay: number;
  /** As given, for the file's header. */
  text: string;
}

/** `850`, `001=850`, `002/46060226=130`; throws naming the part that is wrong. */
export function parseIssuedPerDay(values: readonly string[]): RateRule[] {
  const rules: RateRule[] = [];
  for (const part of values.flatMap((v) => v.split(",")).map((p) => p.trim())) {
    if (!part) continue;
    const m = /^(?:([0-9A-Za-z]{1,20})(?:\/(\d{8}))?=)?(\d+(?:\.\d+)?)$/.exec(part);
    const perDay = m ? Number(m[3]) : NaN;
    if (!m || !Number.isFinite(perDay) || perDay > 1_000_000)
      throw new Error(
        `--issued-per-day '${part}' is not a rate; give bills per day as N (every point), POINT=N, or POINT/BILLCODE=N with last year's bill code, e.g. 001=850,002/46060226=130`,
      );
    rules.push({ place: m[1], billCode: m[2], perDay, text: part });
  }
  if (rules.length === 0) throw new Error("--issued-per-day needs at least one rate, e.g. 850 or 001=850");
  return rules;
}

/** The point-and-code pairs of `year - 1` that next year's stock is sized for. */
function lastYearPairs(env: Environment, year: number): { place: string; billCode: string }[] {
  const previous = yearPart(env, year - 1);
  const enabled = new Set((env.invoicingPoints ?? []).filter((p) => p.enabled !== false).map((p) => p.code));
  const enabledCodes = new Set(previous.billTypes.filter((b) => b.enabled !== false).map((b) => b.code));
  return Object.entries(previous.placeBillCodes)
    .filter(([place]) => enabled.has(place))
    .flatMap(([place, codes]) =>
      codes.filter((c) => enabledCodes.has(c)).map((billCode) => ({ place, billCode })),
    );
}

export function usageFromRates(env: Environment, year: number, values: readonly string[]): OfflineSizing {
  const rules = parseIssuedPerDay(values);
  const days = daysInYear(year - 1);
  const pairs = lastYearPairs(env, year);
  const known = new Set(pairs.map((p) => p.place));
  const knownCodes = new Set(pairs.map((p) => p.billCode));
  for (const r of rules) {
    if (r.place && !known.has(r.place))
      throw new Error(
        `--issued-per-day '${r.text}': no enabled invoicing point '${r.place}' issues a ${year - 1} bill code in ${env.name} (points: ${[...known].join(", ")})`,
      );
    if (r.billCode && !knownCodes.has(r.billCode))
      throw new Error(
        `--issued-per-day '${r.text}': '${r.billCode}' is not a ${year - 1} bill code of ${env.name} (codes: ${[...knownCodes].join(", ")})`,
      );
  }
  const rateFor = (place: string, billCode: string) =>
    rules.find((r) => r.place === place && r.billCode === billCode) ??
    rules.find((r) => r.place === place && !r.billCode) ??
    rules.find((r) => !r.place);
  const usage = pairs.map(({ place, billCode }) => {
    const rule = rateFor(place, billCode);
    if (!rule)
      throw new Error(
        `--issued-per-day gives no rate for invoicing point ${place} and bill code ${billCode}; add ${place}=N, ${place}/${billCode}=N, or a plain N for every point`,
      );
    return { place, billCode, issued: rule.perDay * days };
  });
  return { usage, days, basis: { kind: "issued-per-day", rates: rules.map((r) => r.text).join(",") } };
}

interface CarryOverFile {
  year: number;
  lines: { place: string; billCode: string; used: number }[];
}

function parseCarryOver(text: string, file: string): CarryOverFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${file}: not JSON (${(error as Error).message}); expected the carry-over.json that 'rollover carry-over' writes`,
    );
  }
  const v = value as Partial<CarryOverFile> | null;
  const lineOk = (l: unknown, i: number) => {
    const x = l as Partial<CarryOverFile["lines"][number]> | null;
    if (!x || typeof x.place !== "string" || typeof x.billCode !== "string" || typeof x.used !== "number")
      throw new Error(
        `${file}: lines[${i}] needs place, billCode and used; expected the carry-over.json that 'rollover carry-over' writes`,
      );
  };
  if (!v || typeof v !== "object" || !Number.isInteger(v.year) || !Array.isArray(v.lines))
    throw new Error(
      `${file}: needs 'year' and 'lines'; expected the carry-over.json that 'rollover carry-over' writes`,
    );
  v.lines.forEach(lineOk);
  return v as CarryOverFile;
}

/**
 * Numbers used per point in a closed year, mapped onto last year's codes (same region, category
 * and type; only the year digits differ), over that year's length.
 */
export async function usageFromCarryOver(
  env: Environment,
  year: number,
  given: string,
): Promise<OfflineSizing> {
  const info = await stat(given).catch(() => null);
  if (!info)
    throw new Error(
      `--from-carry-over ${given}: no such file or folder; give carry-over/<stack>/<year>/ or its carry-over.json`,
    );
  const file = info.isDirectory() ? path.join(given, "carry-over.json") : given;
  const text = await readFile(file, "utf8").catch(() => {
    throw new Error(
      `--from-carry-over: cannot read ${file}; 'rollover carry-over' writes it into carry-over/<stack>/<year>/`,
    );
  });
  const report = parseCarryOver(text, file);
  if (report.year >= year)
    throw new Error(
      `${file} is the carry-over of ${report.year}; sizing ${year} needs a closed year before it`,
    );
  const pairs = lastYearPairs(env, year);
  const usage = pairs.map(({ place, billCode }) => ({
    place,
    billCode,
    issued: report.lines
      .filter((l) => l.place === place && codeForYear(l.billCode, year - 1) === billCode)
      .reduce((sum, l) => sum + l.used, 0),
  }));
  return { usage, days: daysInYear(report.year), basis: { kind: "carry-over", file, year: report.year } };
}

/** The offline sizing asked for, or null to read last year's issuing from the database. */
export async function offlineSizing(
  env: Environment,
  year: number,
  options: OfflineOptions,
): Promise<OfflineSizing | null> {
  const rates = options.issuedPerDay ?? [];
  if (rates.length > 0 && options.fromCarryOver)
    throw new Error("choose one of --issued-per-day and --from-carry-over");
  if (rates.length > 0) return usageFromRates(env, year, rates);
  if (options.fromCarryOver) return usageFromCarryOver(env, year, options.fromCarryOver);
  return null;
}

/** Comma-joined items in lines of at most `width` characters. */
function wrap(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + item.length <= width) lines[last] += `,${item}`;
    else lines.push(item);
  }
  return lines;
}

/** The header lines of a year file that say where its stock sizes came from. */
export function basisComment(basis: SizingBasis, year: number, relative: (file: string) => string): string[] {
  switch (basis.kind) {
    case "database":
      return [`// Stock sized from ${year - 1}'s issuing read from the database.`];
    case "issued-per-day":
      return [
        "// STOCK SIZES ARE ESTIMATES: the database was not read. They come from issuing rates (bills per",
        `// day) given with --issued-per-day, not from bills issued in ${year - 1}:`,
        ...wrap(
          basis.rates.split(",").map((r) => (r.includes("=") ? r : `${r} for every point and code`)),
          90,
        ).map((line) => `//   ${line}`),
      ];
    case "carry-over":
      return [
        `// STOCK SIZES ARE ESTIMATES: the database was not read. They come from the numbers used in ${basis.year}`,
        `// per invoicing point, from ${relative(basis.file)} (--from-carry-over), not from ${year - 1}'s issuing.`,
      ];
  }
}
