/**
 * The year-end banner (年结提示): what the calendar asks of a stack today, for every report a person
 * reads (validate, the pull-request plan comment, drift; monitor and inspections later).
 *
 * It informs and never blocks: a missing next year is an error only in `rollover check` (exit 2),
 * the job whose purpose it is. A stack's validity does not change with the date, so a pull request
 * that fixes a printer on 22 December still passes and applies (docs/year-end.md says why).
 *
 *   from 1 December      next year not declared          warning   (> [!WARNING])
 *   from 20 December     next year still not declared    urgent    (> [!CAUTION])
 *   the year has begun   this year not declared          urgent    (bills of this year cannot be issued)
 *   the year has begun   hospital.fiscalYear still old   notice    (> [!NOTE]; after the carry-over)
 */
import type { Environment } from "../model/environment.ts";
import { missingForYear } from "../config/rules/year-readiness.ts";
import { isoDay, localDate, now } from "../base/time.ts";

/** From this day of December next year's declaration is asked for, and from the second it is urgent. */
const NEXT_YEAR_WARN_FROM = { month: 12, day: 1 };
const NEXT_YEAR_URGENT_FROM = { month: 12, day: 20 };

export type YearBannerLevel = "notice" | "warning" | "urgent";

export interface YearBanner {
  stack: string;
  level: YearBannerLevel;
  /** The fiscal year at stake. */
  year: number;
  /** Today in the stack's time zone, YYYY-MM-DD. */
  today: string;
  timeZone: string;
  /** One line, Chinese and English. */
  headline: string;
  /** What is missing, `path: message` (empty for a notice). */
  missing: string[];
  /** What to do next. */
  advice: string[];
}

const LEVEL_ORDER: Record<YearBannerLevel, number> = { notice: 0, warning: 1, urgent: 2 };

function daysUntilNewYear(d: { year: number; month: number; day: number }): number {
  return Math.round((Date.UTC(d.year + 1, 0, 1) - Date.UTC(d.year, d.month - 1, d.day)) / 86_400_000);
}

const prepareCommand = (stack: string, year: number) =>
  `ebill-ops rollover prepare --stack ${stack} --year ${year}`;
const checkCommand = (stack: string, year: number) =>
  `ebill-ops rollover check --stack ${stack} --year ${year}`;

/** The banner of `env` at `at` (default: the clock), or null when the calendar asks nothing. */
export function yearBanner(env: Environment, at: Date = now()): YearBanner | null {
  const timeZone = env.maintenance.timezone;
  const d = localDate(at, timeZone);
  const today = isoDay(d);
  const fiscalYear = env.hospital.fiscalYear;
  const base = { stack: env.name, today, timeZone };
  const list = (year: number) => missingForYear(env, year, "error").map((f) => `${f.path}: ${f.message}`);
  const behind =
    d.year > fiscalYear
      ? [
          `hospital.fiscalYear is ${fiscalYear}: once ${fiscalYear} is carried over ('ebill-ops rollover carry-over --stack ${env.name} --year ${fiscalYear}'), set it to ${d.year} by pull request`,
        ]
      : [];

  // The year has begun and the stack does not declare it: the first bill of the year fails.
  if (d.year > fiscalYear) {
    const missing = list(d.year);
    if (missing.length > 0)
      return {
        ...base,
        level: "urgent",
        year: d.year,
        headline: `年结 ${d.year}：本年度未声明，无法开具 ${d.year} 年票据 / it is ${today} and stack ${env.name} does not declare ${d.year}: bills of ${d.year} cannot be issued`,
        missing,
        advice: [
          `run '${prepareCommand(env.name, d.year)}', review and merge it, then '${checkCommand(env.name, d.year)}'`,
          ...behind,
        ],
      };
  }

  if (d.month === NEXT_YEAR_WARN_FROM.month && d.day >= NEXT_YEAR_WARN_FROM.day && d.year >= fiscalYear) {
    const next = d.year + 1;
    const missing = list(next);
    if (missing.length > 0) {
      const urgent = d.day >= NEXT_YEAR_URGENT_FROM.day;
      const days = daysUntilNewYear(d);
      const deadline = `${d.year}-12-${NEXT_YEAR_URGENT_FROM.day}`;
      return {
        ...base,
        level: urgent ? "urgent" : "warning",
        year: next,
        headline: urgent
          ? `年结 ${next}：下一年度仍未声明，距 1 月 1 日还有 ${days} 天 / stack ${env.name} still does not declare ${next}, ${days} day${days === 1 ? "" : "s"} before 1 January (due ${deadline})`
          : `年结 ${next}：请在 ${deadline} 前声明下一年度 / stack ${env.name} does not declare ${next} yet; declare it by ${deadline}`,
        missing,
        advice: [
          `run '${prepareCommand(env.name, next)}', replace example codes, review and merge before the freeze on 31 December`,
          `'${checkCommand(env.name, next)}' names every item that is not live yet`,
          ...behind,
        ],
      };
    }
  }

  if (behind.length > 0)
    return {
      ...base,
      level: "notice",
      year: d.year,
      headline: `年结 ${d.year}：请更新在用年度 / stack ${env.name} still names ${fiscalYear} as the fiscal year in operation`,
      missing: [],
      advice: behind,
    };
  return null;
}

/** The most serious first, then by stack, so several stacks' banners read as one list. */
export function sortBanners(banners: readonly (YearBanner | null)[]): YearBanner[] {
  return banners
    .filter((b): b is YearBanner => b !== null)
    .sort((a, b) => LEVEL_ORDER[b.level] - LEVEL_ORDER[a.level] || a.stack.localeCompare(b.stack));
}
