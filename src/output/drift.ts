/**
 * Drift: the plan of an unchanged stack, worded as what differs between the declaration and the
 * live system (a hand edit in the database, a file changed on a server).
 */
import type { Plan, Skipped } from "../plan/types.ts";
import { changedFields, formatValue, kindLabel, objectName, type Paint, PLAIN, thousands } from "./format.ts";
import { fenceSafe, MARKDOWN_BUDGET } from "./md.ts";

export type DriftState = "drifted" | "undeclared" | "missing";

export interface Difference {
  kind: string;
  id: string;
  /** The object's name (declared, else live), shown beside its code. */
  name?: string;
  state: DriftState;
  fields: { field: string; declared: unknown; live: unknown }[];
  note?: string;
  /** Issued bills that use the object, when putting the declaration back would disable or remove it. */
  bills?: number;
}

export interface DriftReport {
  stack: string;
  drifted: boolean;
  liveHash: string;
  differences: Difference[];
  skipped?: Skipped[];
}

export function driftReport(plan: Plan): DriftReport {
  const differences = plan.changes.map((c): Difference => {
    const state: DriftState =
      c.action === "create" ? "missing" : c.action === "delete" ? "undeclared" : "drifted";
    const fields =
      state === "drifted"
        ? changedFields(c).map((f) => ({ field: f.field, declared: f.after, live: f.before }))
        : [];
    const name = objectName(c);
    return {
      kind: c.kind,
      id: c.id,
      ...(name ? { name } : {}),
      state,
      fields,
      ...(c.note ? { note: c.note } : {}),
      ...(c.bills !== undefined ? { bills: c.bills } : {}),
    };
  });
  return {
    stack: plan.stack,
    drifted: differences.length > 0,
    liveHash: plan.liveHash,
    differences,
    ...(plan.skipped ? { skipped: plan.skipped } : {}),
  };
}

/** The sources that could have drifted but were not checked (unreachable, ...): "no drift" does not cover them. */
export function uncheckedSources(report: DriftReport): string[] {
  return (report.skipped ?? []).filter((s) => !s.notApplicable).map((s) => s.source);
}

/** The sentence for a report without differences: it covers only what was checked. */
function noDriftSentence(report: DriftReport): string {
  const unchecked = uncheckedSources(report);
  if (unchecked.length === 0)
    return `No drift: the live state of stack ${report.stack} matches its declaration.`;
  return (
    `No drift in what was checked of stack ${report.stack}; NOT checked: ${unchecked.join(", ")} ` +
    `(see above), so it is not known whether ${unchecked.length === 1 ? "it matches" : "they match"} the declaration.`
  );
}

/** One line per drifted field, or per object that exists on one side only. */
export function driftLines(report: DriftReport, paint: Paint = PLAIN): string[] {
  const lines: string[] = [];
  for (const d of report.differences) {
    const what = `${kindLabel(d.kind)} ${d.id}${d.name ? ` ${d.name}` : ""}`;
    const used =
      d.bills !== undefined ? ` (used by ${thousands(d.bills)} issued bill${d.bills === 1 ? "" : "s"})` : "";
    if (d.state === "drifted")
      for (const f of d.fields)
        lines.push(
          `${paint.yellow("drifted:")} ${what} — ${f.field}: declared ${formatValue(f.declared)}, live ${formatValue(f.live)}${used}`,
        );
    else if (d.state === "undeclared")
      lines.push(`${paint.red("exists live but not declared:")} ${what}${used}`);
    else lines.push(`${paint.green("declared but missing live:")} ${what}`);
  }
  return lines;
}

export function renderDriftText(report: DriftReport, paint: Paint = PLAIN): string {
  const out: string[] = [];
  for (const s of report.skipped ?? [])
    out.push(paint.yellow(`notice: ${s.source} not checked: ${s.reason}`));
  if (!report.drifted) {
    out.push(noDriftSentence(report));
    return out.join("\n") + "\n";
  }
  out.push(
    paint.bold(
      `Drift in stack ${report.stack}: ${report.differences.length} object(s) differ from the declaration.`,
    ),
  );
  out.push(...driftLines(report, paint).map((l) => "  " + l));
  out.push(
    "",
    `To put the declaration back: 'ebill-ops apply --stack ${report.stack}'. To keep the live change: declare it in the stack and open a pull request.`,
  );
  return out.join("\n") + "\n";
}

export function renderDriftMarkdown(report: DriftReport, budget = MARKDOWN_BUDGET): string {
  const out: string[] = [`### ebill-ops drift: \`${report.stack}\``, ""];
  for (const s of report.skipped ?? []) out.push(`> **Not checked: ${s.source}** — ${s.reason}`, "");
  if (!report.drifted) return [...out, noDriftSentence(report), ""].join("\n") + "\n";
  out.push(`**${report.differences.length} object(s) differ from the declaration.**`, "", "```diff");
  let used = out.join("\n").length + 200;
  const lines = driftLines(report);
  let shown = 0;
  for (const line of lines) {
    const safe = "! " + fenceSafe(line);
    if (used + safe.length + 1 > budget) break;
    out.push(safe);
    used += safe.length + 1;
    shown++;
  }
  out.push("```", "");
  if (shown < lines.length)
    out.push(
      `${lines.length - shown} more lines not shown (comment limit); run \`ebill-ops drift --stack ${report.stack} --json\`.`,
      "",
    );
  return out.join("\n");
}
