/**
 * The plan as a pull-request comment. GitHub refuses comments over 65,536 characters, so the
 * comment stays under MARKDOWN_BUDGET however large the plan: destructive changes are always
 * listed first and in full (as far as they fit at all), then each kind in full detail while room
 * remains, the others as counts. The JSON plan artifact always has everything.
 */
import type { Change, Plan } from "../plan/types.ts";
import { count } from "../plan/planner.ts";
import { kindLabel, summaryLine } from "./format.ts";
import { changeLines } from "./text.ts";

export const MARKDOWN_BUDGET = 60_000;

/** Text inside a fenced block cannot close the fence. */
function fenceSafe(line: string): string {
  return line.replace(/`{3,}/g, (m) => m.split("").join("\u200b"));
}

/** Text in ordinary markdown: no HTML, tables or emphasis from values. */
function inline(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\n/g, " ");
}

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
