/**
 * Bookkeeping of drift issues: one open issue per drifted stack, found again by a hidden marker,
 * updated while the drift lasts and closed when it is gone. The decision is a pure function of
 * the drift report and the open issues, so it is tested here and the workflow only carries out the
 * printed action with the GitHub API.
 */
import { sha256 } from "../base/canonical.ts";
import { type DriftReport, driftReport, renderDriftMarkdown, uncheckedSources } from "../output/drift.ts";
import { Plan } from "../plan/types.ts";
import { MARKDOWN_BUDGET } from "../output/md.ts";
import { type YearBanner } from "../rollover/banner.ts";
import { renderYearBannerMarkdown } from "../output/year-banner.ts";

export const DRIFT_LABEL = "drift";

/** What the workflow records of each open issue (a subset of GitHub's issue object). */
export interface IssueRecord {
  number: number;
  title?: string;
  body?: string | null;
  state?: string;
  /** GitHub lists pull requests as issues too; they are never ours. */
  pull_request?: unknown;
}

interface Common {
  stack: string;
  /** Extra open issues of the same stack (two runs raced); the workflow closes them. */
  closeDuplicates: number[];
}

export type DriftAction =
  | (Common & { action: "none"; reason: string })
  | (Common & { action: "open"; title: string; body: string; labels: string[] })
  | (Common & {
      action: "update";
      number: number;
      title: string;
      body: string;
      /** Added only when the drift itself changed, so watchers are not notified every night. */
      comment: string | null;
    })
  | (Common & { action: "close"; number: number; comment: string });

export function markerPrefix(stack: string): string {
  // The trailing space keeps `lingshui` from matching `lingshui-prod`.
  return `<!-- ebill-ops:drift stack=${stack} `;
}

export function marker(stack: string, fingerprint: string): string {
  return `${markerPrefix(stack)}fingerprint=${fingerprint} -->`;
}

/** `drift --json` writes a DriftReport; a saved plan of an unchanged stack is accepted too. */
export function toDriftReport(value: unknown, file: string): DriftReport {
  const v = value as Partial<DriftReport> | null;
  if (v && typeof v === "object" && typeof v.stack === "string" && Array.isArray(v.differences))
    return v as DriftReport;
  const plan = Plan.safeParse(value);
  if (plan.success) return driftReport(plan.data);
  throw new Error(
    `${file}: not a drift report (needs 'stack' and 'differences'); expected the output of 'drift --json'`,
  );
}

/** Identifies the drift itself (not when it was seen), to tell "still the same" from "changed". */
export function fingerprint(report: DriftReport): string {
  const canonical = report.differences
    .map((d) => JSON.stringify([d.kind, d.id, d.state, d.fields.map((f) => [f.field, f.declared, f.live])]))
    .sort()
    .join("\n");
  return sha256(canonical).slice(0, 16);
}

function fingerprintOf(body: string | null | undefined, stack: string): string | null {
  const at = (body ?? "").indexOf(markerPrefix(stack));
  if (at < 0) return null;
  return /fingerprint=([0-9a-f]+)/.exec(body!.slice(at, at + 200))?.[1] ?? null;
}

export interface DriftContext {
  /** When the check ran (ISO); shown in the issue. */
  checkedAt: string;
  runUrl?: string;
  commit?: string;
  budget?: number;
  /** The stack's year-end banner, shown above the drift (it does not open or keep an issue by itself). */
  yearBanner?: YearBanner | null;
}

export function driftTitle(stack: string): string {
  return `Drift: stack ${stack} differs from its declaration`;
}

export function driftBody(report: DriftReport, context: DriftContext): string {
  const budget = context.budget ?? MARKDOWN_BUDGET;
  const n = report.differences.length;
  const head = [
    marker(report.stack, fingerprint(report)),
    ...(context.yearBanner ? [renderYearBannerMarkdown(context.yearBanner)] : []),
    `The live systems of **${report.stack}** no longer match the declaration in \`stacks/\`` +
      `${context.commit ? ` at \`${context.commit}\`` : ""}: ${n} object${n === 1 ? "" : "s"} differ. ` +
      `Last checked ${context.checkedAt}${context.runUrl ? ` ([run](${context.runUrl}))` : ""}.`,
    "",
    "Either put the declaration back (re-run the apply of this stack, or `ebill-ops apply --stack " +
      report.stack +
      "` with approval), or keep the hand change by declaring it in a pull request. " +
      "This issue is updated by every scheduled check and closed when no drift is left.",
    "",
    "",
  ].join("\n");
  return head + renderDriftMarkdown(report, budget - head.length);
}

function isOurs(issue: IssueRecord, stack: string): boolean {
  if (issue.pull_request) return false;
  if (issue.state && issue.state !== "open") return false;
  return (issue.body ?? "").includes(markerPrefix(stack));
}

/**
 * Decides what to do about `stack` given its drift report and the open issues labelled `drift`.
 * Issues of other stacks are ignored; extra issues of this stack are closed as duplicates of the
 * oldest.
 */
export function decideDriftIssue(
  stack: string,
  report: DriftReport,
  issues: readonly IssueRecord[],
  context: DriftContext,
): DriftAction {
  if (report.stack !== stack)
    throw new Error(`the drift report is for stack '${report.stack}', not '${stack}'; pass the right file`);
  const ours = issues.filter((i) => isOurs(i, stack)).sort((a, b) => a.number - b.number);
  const [existing, ...duplicates] = ours;
  const closeDuplicates = duplicates.map((d) => d.number);
  const drifted = report.differences.length > 0;

  if (!drifted && !existing)
    return { action: "none", stack, reason: "no drift and no open issue", closeDuplicates };
  const unchecked = uncheckedSources(report);
  if (!drifted && existing && unchecked.length > 0)
    // The drift it reports may be in what was not checked: it is closed only when it is seen gone.
    return {
      action: "none",
      stack,
      reason: `issue #${existing.number} stays open: ${unchecked.join(", ")} not checked this time; it is closed once every part is checked and none drifts`,
      closeDuplicates,
    };
  if (!drifted && existing) {
    return {
      action: "close",
      stack,
      number: existing.number,
      comment:
        `No drift left on ${context.checkedAt}${context.runUrl ? ` ([run](${context.runUrl}))` : ""}: ` +
        "the live systems match the declaration again. Closing.",
      closeDuplicates,
    };
  }
  const body = driftBody(report, context);
  if (!existing)
    return { action: "open", stack, title: driftTitle(stack), body, labels: [DRIFT_LABEL], closeDuplicates };
  const changed = fingerprintOf(existing.body, stack) !== fingerprint(report);
  const n = report.differences.length;
  return {
    action: "update",
    stack,
    number: existing.number,
    title: driftTitle(stack),
    body,
    comment: changed
      ? `The drift changed on ${context.checkedAt}: now ${n} object${n === 1 ? "" : "s"} differ (see the description).`
      : null,
    closeDuplicates,
  };
}
