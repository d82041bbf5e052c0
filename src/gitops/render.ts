/**
 * Markdown for one stack's plan inside the pull-request comment, with a size budget. Destructive
 * changes are also listed by the caller at the top, so shortening here never hides one.
 */
import type { Change, Plan } from "../plan/types.ts";
import { changeFacts, kindLabel, objectName } from "../output/format.ts";
import { renderPlanMarkdown } from "../output/markdown.ts";

function shorten(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** Text inside a code span: it cannot close the span or break the line. */
export function code(text: string, max = 120): string {
  return "`" + shorten(text, max).replace(/`/g, "'").replace(/\r?\n/g, " ") + "`";
}

/** Plain markdown text from values: no HTML, links, tables or emphasis. */
export function inline(text: string, max = 200): string {
  return shorten(text, max)
    .replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, " ");
}

/** A table cell. */
export function cell(text: string, max = 60): string {
  return inline(text, max);
}

/**
 * One line naming a change; used for the destructive list that is always shown in full:
 * `update 开票点 \`invoicingPoints\` \`002\` 住院收费处 — used by 1,204 issued bills; disabled instead of deleted: …`.
 */
export function changeLine(change: Change): string {
  const zh = kindLabel(change.kind).slice(0, -change.kind.length);
  const name = objectName(change);
  const details = [...changeFacts(change), ...(change.note ? [change.note] : [])];
  return (
    `${change.action} ${inline(zh, 20)}${code(change.kind, 60)} ${code(change.id, 80)}${name ? ` ${inline(name, 100)}` : ""}` +
    (details.length > 0 ? ` — ${inline(details.join("; "))}` : "")
  );
}

export function countsByKind(changes: readonly Change[]): string {
  const byKind = new Map<string, Record<Change["action"], number>>();
  for (const c of changes) {
    const counts = byKind.get(c.kind) ?? { create: 0, update: 0, delete: 0, replace: 0 };
    counts[c.action]++;
    byKind.set(c.kind, counts);
  }
  const rows = [...byKind].map(
    ([kind, n]) => `| ${cell(kind)} | ${n.create} | ${n.update} | ${n.delete} | ${n.replace} |`,
  );
  return ["| kind | create | update | delete | replace |", "|---|---|---|---|---|", ...rows].join("\n");
}

/**
 * Renders one plan within `budget` characters: the plan engine's markdown (the same as
 * `plan --markdown`, which shortens itself to a budget), else counts per kind, else one line.
 */
export function renderPlanWithin(plan: Plan, budget: number, stackArtifact?: string): string {
  const artifact = stackArtifact ?? "the plan artifact";
  const candidates = [
    () => renderPlanMarkdown(plan, { budget: Math.max(0, budget - 50), artifact }),
    () =>
      `${countsByKind(plan.changes)}\n\n_The full list (${plan.changes.length} changes) is too long for a comment; it is in ${artifact}._`,
    () => `_${plan.changes.length} changes; too many to show here, see ${artifact}._`,
  ];
  for (const make of candidates) {
    const text = make();
    if (text.length <= budget) return text;
  }
  return "";
}
