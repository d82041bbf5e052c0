/**
 * The plan as a pull-request comment. GitHub refuses comments over 65,536 characters, so the
 * comment stays under MARKDOWN_BUDGET however large the plan: destructive changes are always
 * listed first and in full (as far as they fit at all), then each kind in full detail while room
 * remains, the others as counts. The JSON plan artifact always has everything.
 */
import type { Change, Plan } from "../plan/types.ts";
import { count } from "../plan/planner.ts";
import { changeFacts, kindLabel, objectName, summaryLine } from "./format.ts";
import { cell, code, fenceSafe, inline, MARKDOWN_BUDGET } from "./md.ts";
import { changeLines } from "./text.ts";

function diffBlock(changes: readonly Change[]): string {
  const lines = changes.flatMap((c) => changeLines(c)).map(fenceSafe);
  return "```diff\n" + lines.join("\n") + "\n```\n";
}

function kindCounts(changes: readonly Change[]): string {
  const by = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) by[c.action]++;
  return (Object.keys(by) as (keyof typeof by)[])
    .filter((a) => by[a] > 0)
    .map((a) => `${by[a].toLocaleString("en-US")} ${a}`)
    .join(", ");
}

export function renderPlanMarkdown(
  plan: Plan,
  options: { budget?: number; artifact?: string; title?: string } = {},
): string {
  const budget = options.budget ?? MARKDOWN_BUDGET;
  const artifact = options.artifact ?? "the JSON plan artifact (`ebill-ops plan --json`)";
  const head: string[] = [`### ${options.title ?? "ebill-ops plan"}: \`${plan.stack}\``, ""];
  for (const s of plan.skipped ?? [])
    head.push(`> **Not planned: ${inline(s.source)}** — ${inline(s.reason)}`, "");
  if (plan.changes.length === 0) {
    head.push("No changes: the live state matches the declaration.", "");
    return head.join("\n") + "\n";
  }
  head.push(`**${summaryLine(plan)}** · live state \`${plan.liveHash.slice(0, 12)}\``, "");
  const footer = `\n<sub>Apply exactly this plan with \`ebill-ops apply --stack ${plan.stack} --plan plan.json\`; it is refused if the live state moves first.</sub>\n`;

  let used = head.join("\n").length + footer.length;
  const parts: string[] = [head.join("\n")];

  const destructive = plan.changes.filter((c) => c.destructive);
  if (destructive.length > 0) {
    const title = `#### ⚠️ ${count(destructive.length, "destructive change")} (refused without \`--allow-destroy\`)\n\n`;
    let block = diffBlock(destructive);
    if (used + title.length + block.length > budget) {
      // Even the destructive list does not fit: show what fits and say where the rest is.
      const shown: Change[] = [];
      let room = budget - used - title.length - 600;
      for (const c of destructive) {
        room -= changeLines(c).map(fenceSafe).join("\n").length + 1;
        if (room < 0) break;
        shown.push(c);
      }
      block =
        diffBlock(shown) +
        `\n**${count(destructive.length - shown.length, "more destructive change")} not shown: the comment limit is ${budget.toLocaleString("en-US")} characters. Review the full list in ${artifact} before applying.**\n`;
    }
    parts.push(title + block);
    used += title.length + block.length;
  }

  // Per kind: full detail if it fits, else a count. Smallest kinds get detail first so one huge
  // kind does not hide many small ones.
  const kinds = [...new Set(plan.changes.map((c) => c.kind))];
  const byKind = new Map(kinds.map((k) => [k, plan.changes.filter((c) => c.kind === k)]));
  const brief = new Map(
    kinds.map((k) => [
      k,
      `- **${inline(kindLabel(k))}**: ${kindCounts(byKind.get(k)!)} — too many to list here; see ${artifact}\n`,
    ]),
  );
  const full = new Map(
    kinds.map((k) => {
      const changes = byKind.get(k)!;
      return [
        k,
        `<details open><summary><b>${inline(kindLabel(k))}</b>: ${kindCounts(changes)}</summary>\n\n${diffBlock(changes)}\n</details>\n`,
      ];
    }),
  );
  used += [...brief.values()].reduce((n, s) => n + s.length, 0) + 40;
  const detailed = new Set<string>();
  for (const k of [...kinds].sort((a, b) => full.get(a)!.length - full.get(b)!.length)) {
    const extra = full.get(k)!.length - brief.get(k)!.length;
    if (used + extra <= budget) {
      detailed.add(k);
      used += extra;
    }
  }
  parts.push("#### Changes by kind\n");
  for (const k of kinds) parts.push(detailed.has(k) ? full.get(k)! : brief.get(k)!);
  parts.push(footer);
  return parts.join("\n");
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
    (details.length > 0 ? ` — ${inline(details.join("; "), 200)}` : "")
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
