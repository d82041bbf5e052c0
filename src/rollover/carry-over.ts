/**
 * Carry-over (结转) of a closing year: per invoicing point and bill code, the numbers used, their
 * amounts, red-flushes, and the unused ranges to write off (核销) or return; next year's exchange
 * stock (旧票回收). Pure: live stock and usage are passed in. The finance office's report of it is
 * rendered by src/output/carry-over.ts.
 */
import type { Environment } from "../model/environment.ts";
import type { LiveStock, LiveView } from "./live-view.ts";
import type { UsageRow, UsedRun } from "./year-facts.ts";
import { yy } from "./derive.ts";
import { formatRange, normalize, pad10, rangeSize, subtract, total, type NumberRange } from "./ranges.ts";

export interface CarryOverLine {
  place: string;
  placeName: string;
  billCode: string;
  billName: string;
  /** Numbers consumed, voided and red-flush bills included (each takes a number). */
  used: number;
  voided: number;
  /** Red-flush (冲红) bills issued under the code. */
  redFlushed: number;
  /** Amount of the bills that stand (not voided, not red), in fen (分). */
  issuedFen: number;
  /** Amount of the red bills, in fen: zero or negative. */
  redFlushFen: number;
  /** issuedFen + redFlushFen. */
  netFen: number;
  firstUsed: string | null;
  lastUsed: string | null;
  /** Numbers distributed to the point under the code (all purposes). */
  distributed: number;
  unused: { first: string; last: string; count: number }[];
  unusedCount: number;
  /** Used numbers that lie outside every range distributed to the point: to explain to finance. */
  outsideStock: string[];
}

/** Next year's stock set aside for exchanging old bills (旧票回收), as distributed in the database. */
export interface ExchangeStock {
  place: string;
  placeName: string;
  billCode: string;
  batch: string;
  first: string;
  last: string;
  count: number;
}

export type StackKind = "production" | "test" | "sandbox";

export interface CarryOver {
  stack: string;
  stackKind: StackKind;
  hospital: string;
  /** 单位编码 */
  agencyCode: string;
  /** 区划 (6 digits) */
  regionCode: string;
  year: number;
  /** The business date of the carry-over (hospital time). */
  date: string;
  lines: CarryOverLine[];
  totals: {
    used: number;
    voided: number;
    redFlushed: number;
    issuedFen: number;
    redFlushFen: number;
    netFen: number;
    distributed: number;
    unused: number;
  };
  nextYearExchange: ExchangeStock[];
  /** Set when this carry-over replaced an earlier record of the year (`--force`): its date. */
  supersedes?: string;
}

export interface CarryOverInput {
  stack: string;
  stackKind: StackKind;
  hospital: { name: string; agencyCode: string; regionCode: string };
  year: number;
  date: string;
  live: LiveView;
  usage: readonly UsageRow[];
  runs: readonly UsedRun[];
}

const pointName = (live: LiveView, code: string) =>
  live.invoicingPoints.find((p) => p.code === code)?.name ?? "";

/** One point and code: what was distributed, used (and how), and what is left to write off. */
function lineOf(input: CarryOverInput, place: string, billCode: string): CarryOverLine {
  const stock: NumberRange[] = normalize(
    input.live.stock
      .filter((s) => s.place === place && s.billCode === billCode)
      .map((s) => ({ first: s.first, last: s.last })),
  );
  const runs = input.runs
    .filter((r) => r.place === place && r.billCode === billCode)
    .map((r) => ({ first: r.first, last: r.last }));
  const usage = input.usage.find((u) => u.place === place && u.billCode === billCode);
  const unused = subtract(stock, runs);
  const issuedFen = usage?.issuedFen ?? 0;
  const redFlushFen = usage?.redFlushFen ?? 0;
  return {
    place,
    placeName: pointName(input.live, place),
    billCode,
    billName: input.live.billTypes.find((b) => b.code === billCode)?.name ?? "",
    used: usage?.count ?? 0,
    voided: usage?.voided ?? 0,
    redFlushed: usage?.redFlushed ?? 0,
    issuedFen,
    redFlushFen,
    netFen: issuedFen + redFlushFen,
    firstUsed: usage ? pad10(usage.first) : null,
    lastUsed: usage ? pad10(usage.last) : null,
    distributed: total(stock),
    unused: unused.map((r) => ({ first: pad10(r.first), last: pad10(r.last), count: rangeSize(r) })),
    unusedCount: total(unused),
    outsideStock: subtract(runs, stock).map(formatRange),
  };
}

/** Next year's ranges set aside for exchanging old bills, as distributed in the database. */
function exchangeStockOf(input: CarryOverInput): ExchangeStock[] {
  const nextSuffix = yy(input.year + 1);
  return input.live.stock
    .filter((s) => s.billCode.slice(6) === nextSuffix && s.purpose === "exchange")
    .sort((a, b) => cmp(a.place, b.place) || cmp(a.billCode, b.billCode) || a.first - b.first)
    .map((s) => ({
      place: s.place,
      placeName: pointName(input.live, s.place),
      billCode: s.billCode,
      batch: s.batch,
      first: pad10(s.first),
      last: pad10(s.last),
      count: rangeSize(s),
    }));
}

export function computeCarryOver(input: CarryOverInput): CarryOver {
  const suffix = yy(input.year);
  const ofYear = (s: LiveStock) => s.billCode.slice(6) === suffix;
  const keys = new Map<string, { place: string; billCode: string }>();
  for (const s of input.live.stock.filter(ofYear)) keys.set(`${s.place}/${s.billCode}`, s);
  for (const u of input.usage) keys.set(`${u.place}/${u.billCode}`, u);
  const lines = [...keys.values()]
    .sort((a, b) => (a.place === b.place ? cmp(a.billCode, b.billCode) : cmp(a.place, b.place)))
    .map(({ place, billCode }) => lineOf(input, place, billCode));
  const sum = (f: (l: CarryOverLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  return {
    stack: input.stack,
    stackKind: input.stackKind,
    hospital: input.hospital.name,
    agencyCode: input.hospital.agencyCode,
    regionCode: input.hospital.regionCode,
    year: input.year,
    date: input.date,
    lines,
    totals: {
      used: sum((l) => l.used),
      voided: sum((l) => l.voided),
      redFlushed: sum((l) => l.redFlushed),
      issuedFen: sum((l) => l.issuedFen),
      redFlushFen: sum((l) => l.redFlushFen),
      netFen: sum((l) => l.netFen),
      distributed: sum((l) => l.distributed),
      unused: sum((l) => l.unusedCount),
    },
    nextYearExchange: exchangeStockOf(input),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The year's basic information as it was live: the local copy the contract asks for. */
export function basicInfo(env: Environment, c: CarryOver, live: LiveView) {
  const codes = new Set(live.billTypes.filter((b) => b.code.slice(6) === yy(c.year)).map((b) => b.code));
  return {
    stack: env.name,
    hospital: env.hospital,
    year: c.year,
    date: c.date,
    invoicingPoints: live.invoicingPoints,
    paymentChannels: live.paymentChannels,
    codeMappings: live.mappings,
    billTypes: live.billTypes.filter((b) => codes.has(b.code)),
    printTemplates: live.templates.filter((t) => codes.has(t.billCode)),
    billStock: live.stock
      .filter((s) => codes.has(s.billCode))
      .map((s) => ({
        ...s,
        first: String(s.first).padStart(10, "0"),
        last: String(s.last).padStart(10, "0"),
      })),
  };
}
