/** The plan as a person reads it in a terminal or a CI log. */
import type { Change, Plan } from "../plan/types.ts";
import {
  changedFields,
  formatValue,
  inlineFields,
  type Paint,
  paintFor,
  PLAIN,
  summaryLine,
  SYMBOL,
} from "./format.ts";

/** The lines of one change: a header line, then changed fields for an update or replace. */
export function changeLines(change: Change, paint: Paint = PLAIN): string[] {
  const color = paintFor(change.action, paint);
  const marker = change.destructive ? " " + paint.red(paint.bold("(destructive)")) : "";
  const head = `${color(SYMBOL[change.action].padEnd(3))} ${change.kind} ${paint.bold(change.id)}${marker}`;
  const lines: string[] = [];
  if (change.action === "create") lines.push(`${head}  ${paint.dim(inlineFields(change.after, change.id))}`);
  else if (change.action === "delete") lines.push(head);
  else {
    lines.push(head);
    for (const f of changedFields(change))
      lines.push(`      ${f.field}: ${formatValue(f.before)} -> ${color(formatValue(f.after))}`);
  }
  if (change.note) lines.push(`      ${paint.dim(`note: ${change.note}`)}`);
  return lines;
}

export function renderPlanText(plan: Plan, paint: Paint = PLAIN): string {
  const out: string[] = [];
  for (const s of plan.skipped ?? []) out.push(paint.yellow(`notice: ${s.source} not planned: ${s.reason}`));
  if (plan.changes.length === 0) {
    out.push(`No changes: the live state of stack ${plan.stack} matches its declaration.`);
    return out.join("\n") + "\n";
  }
  out.push(paint.bold(`Plan for stack ${plan.stack}: ${summaryLine(plan)}.`));
  let source: string | undefined;
  for (const change of plan.changes) {
    if (change.source !== source) {
      source = change.source;
      out.push("", paint.bold(`${source ?? "changes"}:`));
    }
    out.push(...changeLines(change, paint).map((l) => "  " + l));
  }
  const destructive = plan.changes.filter((c) => c.destructive).length;
  out.push("");
  if (destructive > 0)
    out.push(
      paint.red(
        `${destructive} destructive change${destructive === 1 ? "" : "s"}: apply refuses ${destructive === 1 ? "it" : "them"} without --allow-destroy.`,
      ),
    );
  out.push(`live state ${plan.liveHash.slice(0, 12)}`);
  return out.join("\n") + "\n";
}
