/**
 * The health-check library's contract (day-2 operations): one library of checks, several views
 * over it (`inspect` runs them all for the quarterly report, `monitor` the quick subset every 15
 * minutes, `diagnose` the ones along an incident's chain, `rollover check` the year-end ones).
 *
 * A check is a small named function with a stable id. It never measures anything itself: a
 * collector gathers the facts of one kind in one go (one Ansible run over every host, a constant
 * number of database round trips, one probe per interface), and each check judges those facts
 * against its declared thresholds. That keeps the cost of a view independent of the number of
 * checks, and makes every check a pure function with table tests.
 */

/** `unknown` means it could not be measured: a view never shows it as ok. */
export type CheckStatus = "ok" | "warn" | "fail" | "unknown";

/** Where a check looks; the report groups by it. */
export type CheckArea = "host" | "database" | "application" | "business" | "interface" | "year-end";

/** A limit as declared in the stack (maintenance.thresholds) or defaulted by the model. */
export interface Threshold {
  warn?: number | string;
  fail?: number | string;
}

export interface CheckResult {
  /** Stable id (`host.disk.used`, `db.tablespace.days-until-full`): thresholds, history and alerts key on it. */
  id: string;
  /** What the result is about: a host, a mount (`sbx-app:/data`), a tablespace, a point, an interface. */
  target: string;
  status: CheckStatus;
  /** The measured value; null when nothing could be measured. */
  value: number | string | boolean | null;
  unit?: string;
  threshold?: Threshold;
  /** What was seen, in words a person can verify (a command's output, a count, a time). */
  evidence: string;
  /** What to do when the status is not ok; for `unknown`, why it could not be measured. */
  advice?: string;
}

/** What every check may read besides its facts. */
export interface CheckContext {
  /** "Now" from the one clock (src/base/time.ts), so checks are testable on any date. */
  now: Date;
}

/**
 * How a result is graded where a person reads it (the inspection report, the monitor's alerts):
 * 高 a check that fails, 中 one that warns, 低 one that could not be measured (never "no risk").
 * `ok` carries no risk.
 */
export type Risk = "高" | "中" | "低";

/** A result with what a view needs to show it: its check's area and title, and its risk. */
export interface Finding extends CheckResult {
  area: CheckArea;
  title: { zh: string; en: string };
  risk: Risk | null;
}

/** Facts a collector could or could not gather; when not, every check that needs them is `unknown`, with this reason. */
export type Collected<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A check judges facts in a context. The library's checks are `Check<HealthFacts, HealthContext>`
 * (src/checks/facts.ts: one part per collector; src/checks/judge.ts: the stack and its thresholds);
 * a later collector adds its part to HealthFacts, and its checks join CHECKS (src/checks/library.ts).
 */
export interface Check<Facts, Context extends CheckContext = CheckContext> {
  id: string;
  area: CheckArea;
  /** Shown in reports: Chinese for the hospital, English beside it. */
  title: { zh: string; en: string };
  /** In the quick subset that `monitor` runs (nothing slow, such as a package scan). */
  quick: boolean;
  evaluate(facts: Facts, context: Context): CheckResult[];
}
