/**
 * Next year's declaration derived from this year's: pure functions, no files, no database.
 *
 * The year is the last two digits of every bill code, so next year needs its own bill types,
 * templates and stock; storage follows the same one-tablespace-per-year pattern.
 */
import { PARTITIONED_TABLES, type Environment } from "../model/environment.ts";
import type { YearDeclaration } from "../model/compose.ts";
import { pad10 } from "./ranges.ts";

/** Bills issued by one invoicing point under one bill code in a year, as read from the database. */
export interface PointUsage {
  place: string;
  billCode: string;
  /** Numbers consumed (voided bills included: a voided number cannot be issued again). */
  issued: number;
}

/** Smallest range handed to a point that may issue a code, even if it issued nothing last year. */
export const MIN_ISSUE_RANGE = 1_000;
/**
 * Pre-distributed stock for exchanging old bills (旧票回收) in the new year: a share of the point's
 * issuing range. Exchanges are rare next to normal issuing; the share is a starting point the
 * finance office adjusts in the pull request.
 */
export const EXCHANGE_SHARE = 0.05;
export const MIN_EXCHANGE_RANGE = 500;

export const yy = (year: number): string => String(year % 100).padStart(2, "0");

/** The same bill type in another year: region, category and type kept, year digits changed. */
export function codeForYear(code: string, year: number): string {
  return code.slice(0, 6) + yy(year);
}

/** The parts of a validated environment that belong to one fiscal year. */
export function yearPart(env: Environment, year: number): YearDeclaration {
  const billTypes = (env.billTypes ?? []).filter((b) => b.year === year);
  const codes = new Set(billTypes.map((b) => b.code));
  const placeBillCodes: Record<string, string[]> = {};
  for (const p of env.invoicingPoints ?? []) {
    const mine = p.billCodes.filter((c) => codes.has(c));
    if (mine.length > 0) placeBillCodes[p.code] = mine;
  }
  return {
    year,
    tablespaces: (env.tablespaces ?? []).filter((t) => t.year === year),
    partitions: (env.partitions ?? []).filter((p) => p.year === year),
    billTypes,
    printTemplates: (env.printTemplates ?? []).filter((t) => codes.has(t.billCode)),
    billStock: (env.billStock ?? []).filter((s) => codes.has(s.billCode)),
    placeBillCodes,
  };
}

/** Rounds up to two significant digits (54,321 -> 55,000), never below `min`: ranges a person can read. */
export function roundUpNice(n: number, min: number): number {
  if (n <= min) return min;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / step) * step;
}

/** Days of `year` that have passed on `today` (1 January counts as one day), capped at the year's length. */
export function daysElapsed(year: number, today: { year: number; month: number; day: number }): number {
  const length = daysInYear(year);
  if (today.year > year) return length;
  if (today.year < year) return 0;
  const start = Date.UTC(year, 0, 1);
  const at = Date.UTC(today.year, today.month - 1, today.day);
  return Math.min(length, Math.floor((at - start) / 86_400_000) + 1);
}

export function daysInYear(year: number): number {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 366 : 365;
}

/** Bills per day a point issued under a code in `year`, from the usage read on `today`. */
export function dailyRate(issued: number, days: number): number {
  return days > 0 ? issued / days : 0;
}

export interface SizingLine {
  place: string;
  previousCode: string;
  billCode: string;
  issuedLastYear: number;
  days: number;
  perDay: number;
  issueRange: number;
  exchangeRange: number;
}

export interface DerivedYear {
  declaration: YearDeclaration;
  /** How each point's stock was sized, for the command's output and the pull request text. */
  sizing: SizingLine[];
}

/** A text of year Y-1 in year Y: every "2026" becomes "2027". */
const renameYear = (text: string, year: number) => text.split(String(year - 1)).join(String(year));

/** The year's tablespace(s) and one partition per bill table, named and placed like last year's. */
function deriveStorage(previous: YearDeclaration, year: number) {
  const from = String(year - 1);
  const tablespaces = previous.tablespaces.map((t) => {
    const name = t.name.includes(from) ? renameYear(t.name, year) : `ebill_${year}`;
    const location = t.location.includes(from)
      ? renameYear(t.location, year)
      : `${t.location.replace(/\/+$/, "")}/${name}`;
    return { name, year, location };
  });
  const tablespaceFor = (old: string) =>
    tablespaces[previous.tablespaces.findIndex((t) => t.name === old)]?.name ?? tablespaces[0]?.name;
  const partitions = PARTITIONED_TABLES.flatMap((table) => {
    const old = previous.partitions.find((p) => p.table === table);
    const tablespace = old ? tablespaceFor(old.tablespace) : tablespaces[0]?.name;
    return tablespace ? [{ table, year, tablespace }] : [];
  });
  return { tablespaces, partitions };
}

/** Last year's enabled bill types under this year's codes, with their print templates. */
function deriveBillTypes(previous: YearDeclaration, year: number) {
  const from = String(year - 1);
  const billTypes = previous.billTypes
    .filter((b) => b.enabled !== false)
    .map((b) => ({
      code: codeForYear(b.code, year),
      name: renameYear(b.name, year),
      kind: b.kind,
      year,
      ...(b.example ? { example: true } : {}),
    }));
  const newCodes = new Set(billTypes.map((b) => b.code));
  const printTemplates = previous.printTemplates
    .filter((t) => newCodes.has(codeForYear(t.billCode, year)))
    .map((t) => ({
      billCode: codeForYear(t.billCode, year),
      name: renameYear(t.name, year),
      version: t.version.includes(from) ? renameYear(t.version, year) : t.version,
      paper: t.paper,
    }));
  return { billTypes, printTemplates, newCodes };
}

/** Each enabled point issues this year the codes it issued last year. */
function derivePlaceCodes(env: Environment, previous: YearDeclaration, year: number, newCodes: Set<string>) {
  const placeBillCodes: Record<string, string[]> = {};
  for (const p of (env.invoicingPoints ?? []).filter((x) => x.enabled !== false)) {
    const codes = (previous.placeBillCodes[p.code] ?? [])
      .map((c) => codeForYear(c, year))
      .filter((c) => newCodes.has(c));
    if (codes.length > 0) placeBillCodes[p.code] = codes;
  }
  return placeBillCodes;
}

/** The stock each point needs of each code: last year's daily rate x 365 x the safety margin. */
function sizeStock(
  env: Environment,
  placeBillCodes: Record<string, string[]>,
  usage: readonly PointUsage[],
  days: number,
  year: number,
): SizingLine[] {
  const margin = env.maintenance.stockSafetyMargin;
  return Object.entries(placeBillCodes).flatMap(([place, codes]) =>
    codes.map((billCode) => {
      const previousCode = codeForYear(billCode, year - 1);
      const issuedLastYear = usage
        .filter((u) => u.place === place && u.billCode === previousCode)
        .reduce((sum, u) => sum + u.issued, 0);
      const perDay = dailyRate(issuedLastYear, days);
      const issueRange = roundUpNice(Math.ceil(perDay * 365 * margin), MIN_ISSUE_RANGE);
      const exchangeRange = roundUpNice(Math.ceil(issueRange * EXCHANGE_SHARE), MIN_EXCHANGE_RANGE);
      return { place, previousCode, billCode, issuedLastYear, days, perDay, issueRange, exchangeRange };
    }),
  );
}

/**
 * The stock ranges of the sizing, numbered per code after the highest number any declaration
 * already hands out for it (other years' files never use the code, but a hand-made range might).
 * Issuing ranges first, then the exchange ranges, so each purpose is one readable block per code.
 */
function numberStock(env: Environment, sizing: readonly SizingLine[], newCodes: Set<string>, year: number) {
  const next = new Map<string, number>();
  for (const s of env.billStock ?? [])
    if (newCodes.has(s.billCode))
      next.set(s.billCode, Math.max(next.get(s.billCode) ?? 1, Number(s.last) + 1));
  const take = (code: string, size: number) => {
    const first = next.get(code) ?? 1;
    next.set(code, first + size);
    return { first: pad10(first), last: pad10(first + size - 1) };
  };
  const batch = `${year}-01`;
  return [
    ...sizing.map((s) => ({
      billCode: s.billCode,
      batch,
      ...take(s.billCode, s.issueRange),
      place: s.place,
    })),
    ...sizing.map((s) => ({
      billCode: s.billCode,
      batch,
      ...take(s.billCode, s.exchangeRange),
      place: s.place,
      purpose: "exchange" as const,
    })),
  ];
}

/**
 * Year `year` from year `year - 1` of `env`. `usage` is last year's issuing per point and code,
 * `days` the days of last year it covers. Stock numbering of each new code continues after the
 * highest number any declaration already hands out for it (normally none: a new code starts at
 * 0000000001).
 */
export function deriveYear(
  env: Environment,
  year: number,
  usage: readonly PointUsage[],
  days: number,
): DerivedYear {
  const previous = yearPart(env, year - 1);
  const { tablespaces, partitions } = deriveStorage(previous, year);
  const { billTypes, printTemplates, newCodes } = deriveBillTypes(previous, year);
  const placeBillCodes = derivePlaceCodes(env, previous, year, newCodes);
  const sizing = sizeStock(env, placeBillCodes, usage, days, year);
  const billStock = numberStock(env, sizing, newCodes, year);
  return {
    declaration: { year, tablespaces, partitions, billTypes, printTemplates, billStock, placeBillCodes },
    sizing,
  };
}
