/** The plan as a person reads it in a terminal or a CI log. */
import type { Change, Plan } from "../plan/types.ts";
import {
  changeFacts,
  changedFields,
  formatValue,
  kindLabel,
  objectName,
  inlineFields,
  type Paint,
  paintFor,
  PLAIN,
  summaryLine,
  SYMBOL,
} from "./format.ts";

/**
 * A file's text (a multi-line string, or the `lines` a host change adds or removes) is shown as
 * indented -/+ lines, the way a reviewer reads a diff, not squeezed onto one line.
 */
function textBlock(field: string, value: unknown): string[] | null {
  if (typeof value === "string" && value.includes("\n")) return value.replace(/\n$/, "").split("\n");
  if (field === "lines" && Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  return null;
}

function blockLines(field: string, before: unknown, after: unknown, paint: Paint): string[] | null {
  const removed = before === undefined || before === null ? [] : textBlock(field, before);
  const added = after === undefined || after === null ? [] : textBlock(field, after);
  if (!removed || !added || removed.length + added.length === 0) return null;
  return [
    `      ${field}:`,
    ...removed.map((l) => `        ${paint.red("- " + l)}`),
    ...added.map((l) => `        ${paint.green("+ " + l)}`),
  ];
}

/** The lines of one change: a header line, then changed fields for an update or replace. */
export function changeLines(change: Change, paint: Paint = PLAIN): string[] {
  const color = paintFor(change.action, paint);
  const marker = change.destructive ? " " + paint.red(paint.bold("(destructive)")) : "";
  const name = objectName(change);
  const head = `${color(SYMBOL[change.action].padEnd(3))} ${kindLabel(change.kind)} ${paint.bold(change.id)}${name ? ` ${name}` : ""}${marker}`;
  const lines: string[] = [];
  if (change.action === "create") {
    const after = change.after ?? {};
    const blocks = Object.keys(after).filter((k) => textBlock(k, after[k]));
    // The name is on the head line already.
    const named = name !== undefined ? (change.kind === "codeMappings" ? "remoteName" : "name") : null;
    const rest = Object.fromEntries(
      Object.entries(after).filter(([k]) => !blocks.includes(k) && k !== named),
    );
    const fields = inlineFields(rest, change.id);
    lines.push(fields ? `${head}  ${paint.dim(fields)}` : head);
    for (const k of blocks) lines.push(...blockLines(k, undefined, after[k], paint)!);
  } else if (change.action === "delete") lines.push(head);
  else {
    lines.push(head);
    for (const f of changedFields(change))
      lines.push(
        ...(blockLines(f.field, f.before, f.after, paint) ?? [
          `      ${f.field}: ${formatValue(f.before)} -> ${color(formatValue(f.after))}`,
        ]),
      );
  }
  for (const fact of changeFacts(change)) lines.push(`      ${fact}`);
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
