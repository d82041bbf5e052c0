/**
 * Year-end readiness (`rollover check`), item by item: what the declaration says for year Y and what
 * the live systems hold. Each item comes from one of the small named checks in readiness-checks.ts
 * (the health-check contract of src/checks/types.ts); this module runs them and words their results
 * as the report's items. Pure: the live view, usage, probes and disk figures are passed in.
 */
import type { CheckResult } from "../checks/types.ts";
import type { Environment } from "../model/environment.ts";
import type { LiveView } from "./live-view.ts";
import type { DiskSpace, ProbeResult } from "../probe/probe.ts";
import { READINESS_CHECKS } from "./readiness-checks.ts";
import type { UsageRow, UsedRun } from "./year-facts.ts";

export type ItemStatus = "ok" | "missing" | "unknown";

export type ReadinessArea =
  "storage" | "bill-types" | "templates" | "stock" | "interfaces" | "mappings" | "declaration";

export interface ReadinessItem {
  /** Stable identity, e.g. `partition/bill/2027` or `stock/001/46060127`. */
  id: string;
  area: ReadinessArea;
  status: ItemStatus;
  /** What is checked, in a sentence. */
  title: string;
  /** What was found and, when not ok, what to do. */
  detail: string;
}

export interface ReadinessReport {
  stack: string;
  year: number;
  today: string;
  ready: boolean;
  items: ReadinessItem[];
}

/** Free space per declared tablespace location; null = could not be measured, with the reason. */
export type DiskFigures = Record<string, { space: DiskSpace | null; reason?: string }>;

export interface ReadinessInput {
  env: Environment;
  stack: string;
  year: number;
  today: string;
  /** Null when the database could not be read; every live item then says so. */
  live: LiveView | null;
  liveError?: string;
  /** Last year's issuing per point and code (for the stock of the first days). */
  lastYearUsage: UsageRow[];
  lastYearDays: number;
  /** Runs of numbers already used under year Y's codes (after 1 January), per point and code. */
  thisYearRuns: UsedRun[];
  /** Days of Y the stock must last. */
  stockDays: number;
  /** The interfaces the first bill of the year goes through, probed (see probe.ts). */
  probes: ProbeResult[];
  disk: DiskFigures;
}

const STATUS: Record<CheckResult["status"], ItemStatus> = {
  ok: "ok",
  warn: "missing",
  fail: "missing",
  unknown: "unknown",
};

export function evaluateReadiness(input: ReadinessInput): ReadinessReport {
  const context = { now: new Date(`${input.today}T12:00:00Z`) };
  const items = READINESS_CHECKS.flatMap((check) =>
    check.evaluate(input, context).map((r): ReadinessItem => ({
      id: check.item(r.target),
      area: check.readinessArea,
      status: STATUS[r.status],
      title: check.itemTitle(r.target, input),
      detail: r.advice ? `${r.evidence}; ${r.advice}` : r.evidence,
    })),
  );
  return {
    stack: input.stack,
    year: input.year,
    today: input.today,
    ready: items.every((i) => i.status !== "missing"),
    items,
  };
}
