/**
 * An inspection (巡检) as data: what findings.json holds and the report is rendered from. Built from
 * one full health-check run; the figures the charts and trends need (disks, tablespaces, bills per
 * day, stock) are kept beside the findings, so the next quarter's report can compare with them.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Environment } from "../../model/environment.ts";
import { localDate } from "../../base/time.ts";
import { stockLines } from "../business-checks.ts";
import { dfPercent } from "../host-checks.ts";
import type { PreviousSizes } from "../facts.ts";
import { sectionError } from "../facts.ts";
import type { Quarter } from "../quarter.ts";
import type { HealthRun } from "../run.ts";
import type { CheckStatus, Finding, Risk } from "../types.ts";

export const INSPECTION_VERSION = 1;

export interface Metrics {
  databaseSizeBytes: number | null;
  tablespaces: { name: string; sizeBytes: number | null }[];
  disks: { host: string; mount: string; usedPercent: number; sizeBytes: number }[];
  diskLimit: { warn: number; fail: number };
  /** Bills per day over the quarter, days with bills only. */
  billsPerDay: { day: string; count: number }[];
  billsInQuarter: number | null;
  stock: { place: string; billCode: string; daysLeft: number | null; unused: number; perDay: number }[];
  stockLimit: { warn: number; fail: number };
}

export interface Inspection {
  version: typeof INSPECTION_VERSION;
  stack: string;
  hospital: string;
  kind: string;
  quarter: { id: string; zh: string; from: string; to: string };
  /** The tool's clock when it ran (ISO), and the hospital's local date. */
  inspectedAt: string;
  localDate: string;
  summary: {
    results: number;
    checks: number;
    status: Record<CheckStatus, number>;
    risks: Record<Risk, number>;
  };
  findings: Finding[];
  metrics: Metrics;
  /** The inspection compared with, when the repository holds an earlier one. */
  previous: { quarter: string; inspectedAt: string } | null;
}

/** An earlier inspection of the same stack, as read back from the repository. */
export interface PastInspection {
  quarter: string;
  inspectedAt: string;
  metrics: Metrics;
}

const RISK_ORDER: Risk[] = ["高", "中", "低"];

export function summarise(findings: readonly Finding[]): Inspection["summary"] {
  const status: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  const risks: Record<Risk, number> = { 高: 0, 中: 0, 低: 0 };
  for (const f of findings) {
    status[f.status]++;
    if (f.risk) risks[f.risk]++;
  }
  return { results: findings.length, checks: new Set(findings.map((f) => f.id)).size, status, risks };
}

/** Findings with a risk, 高 first, in the library's order within a grade. */
export function risksOf(findings: readonly Finding[]): Finding[] {
  return RISK_ORDER.flatMap((risk) => findings.filter((f) => f.risk === risk));
}

export function metricsOf(run: HealthRun, env: Environment): Metrics {
  const { hosts, database } = run.facts;
  const disks: Metrics["disks"] = [];
  if (hosts.ok)
    for (const h of hosts.value.hosts) {
      const mounts = h.health?.mounts;
      if (!mounts || sectionError(mounts)) continue;
      for (const m of mounts as Exclude<typeof mounts, { error: string }>)
        disks.push({
          host: h.name,
          mount: m.mount,
          usedPercent: dfPercent(m.usedBytes, m.availableBytes),
          sizeBytes: m.sizeBytes,
        });
    }
  const business = database.ok && database.value.business.ok ? database.value.business.value : null;
  const year = localDate(run.at, env.maintenance.timezone).year;
  const stock = business
    ? stockLines(business, year).map((l) => ({
        place: l.place,
        billCode: l.billCode,
        unused: l.unused,
        perDay: Math.round(l.perDay * 10) / 10,
        daysLeft: l.perDay > 0 ? Math.round((l.unused / l.perDay) * 10) / 10 : null,
      }))
    : [];
  const daily = business?.daily ?? [];
  return {
    databaseSizeBytes: database.ok ? database.value.sizeBytes : null,
    tablespaces: database.ok
      ? database.value.tablespaces.map((t) => ({ name: t.name, sizeBytes: t.sizeBytes }))
      : [],
    disks,
    diskLimit: env.maintenance.thresholds.diskUsedPercent,
    billsPerDay: daily,
    billsInQuarter: business?.daily ? daily.reduce((n, d) => n + d.count, 0) : null,
    stock,
    stockLimit: env.maintenance.thresholds.stockDaysLeft,
  };
}

export function buildInspection(
  run: HealthRun,
  env: Environment,
  quarter: Quarter,
  previous: PastInspection | undefined,
): Inspection {
  const d = localDate(run.at, env.maintenance.timezone);
  return {
    version: INSPECTION_VERSION,
    stack: env.name,
    hospital: env.hospital.name,
    kind: env.kind,
    quarter: { id: quarter.id, zh: quarter.zh, from: quarter.from, to: quarter.to },
    inspectedAt: run.at.toISOString(),
    localDate: `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`,
    summary: summarise(run.findings),
    findings: run.findings,
    metrics: metricsOf(run, env),
    previous: previous ? { quarter: previous.quarter, inspectedAt: previous.inspectedAt } : null,
  };
}

/**
 * The stack's earlier inspections in the repository (`<dir>/<YYYY>Q<n>/findings.json`), oldest
 * first. A folder without a readable findings.json of this format is skipped: it cannot be
 * compared with.
 */
export async function readHistory(stackDir: string): Promise<PastInspection[]> {
  const entries = await readdir(stackDir, { withFileTypes: true }).catch(() => []);
  const found: PastInspection[] = [];
  for (const e of entries
    .filter((e) => e.isDirectory() && /^\d{4}Q[1-4]$/.test(e.name))
    .sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      const json = JSON.parse(
        await readFile(path.join(stackDir, e.name, "findings.json"), "utf8"),
      ) as Partial<Inspection>;
      if (json.version !== INSPECTION_VERSION || !json.metrics || !json.inspectedAt) continue;
      found.push({ quarter: e.name, inspectedAt: json.inspectedAt, metrics: json.metrics });
    } catch {
      continue;
    }
  }
  return found;
}

/** The latest inspection before `quarter`. */
export const previousOf = (history: readonly PastInspection[], quarter: string): PastInspection | undefined =>
  history.filter((h) => h.quarter < quarter).at(-1);

/** What the tablespace growth check compares with. */
export function previousSizes(past: PastInspection | undefined): PreviousSizes | undefined {
  return past
    ? { at: past.inspectedAt, quarter: past.quarter, tablespaces: past.metrics.tablespaces }
    : undefined;
}
