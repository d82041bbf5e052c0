/**
 * The one pull-request comment that shows the plan of every stack. It carries a hidden marker so
 * the workflow finds and edits it on each push instead of adding another. GitHub refuses a comment
 * over 65,536 characters; the body stays under MARKDOWN_BUDGET by shortening per-stack detail,
 * never the list of destructive changes at the top.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { type Change, parsePlan, type Plan } from "../plan/types.ts";
import { hasDestructive } from "../plan/planner.ts";
import { changeLine, renderPlanWithin } from "../output/markdown.ts";
import { inline, MARKDOWN_BUDGET } from "../output/md.ts";
import { type YearBanner } from "../rollover/banner.ts";
import { renderYearBannerMarkdown } from "../output/year-banner.ts";

export const COMMENT_MARKER = "<!-- ebill-ops:plan-comment -->";

export type StackOutcome =
  | { stack: string; status: "planned"; plan: Plan }
  | { stack: string; status: "failed"; exitCode: number }
  /** Not planned with the stack's secrets: the pull request changes where they would be sent. */
  | { stack: string; status: "withheld"; reason: string }
  | { stack: string; status: "missing" };

export interface CommentOptions {
  /** Short commit the plans were made at. */
  commit?: string;
  /** Link to the workflow run: its log and the plan artifacts. */
  runUrl?: string;
  budget?: number;
  /**
   * The year-end banners of the stacks (from 1 December: next year not declared). Shown at the
   * top; they inform the reviewer and never fail the pull request.
   */
  yearBanners?: readonly YearBanner[];
  /** Each stack's data-fix plans (`fix plan --markdown`), shown after the summary. */
  fixes?: readonly FixPlans[];
}

export interface FixPlans {
  stack: string;
  markdown: string;
}

/** Room for all data-fix plans together; each fix's rows are already capped by its renderer. */
const FIXES_BUDGET = 20_000;

/** The data-fix plans the plan jobs saved as `<stack>.fixes.md` (empty files: nothing to show). */
export async function readFixPlans(dir: string): Promise<FixPlans[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith(".fixes.md"))
    .sort();
  const plans: FixPlans[] = [];
  for (const name of names) {
    const markdown = (await readFile(path.join(dir, name), "utf8")).trim();
    if (markdown) plans.push({ stack: name.slice(0, -".fixes.md".length), markdown });
  }
  return plans;
}

function fixesSection(fixes: readonly FixPlans[]): string[] {
  if (fixes.length === 0) return [];
  const lines = ["### Data fixes (数据调整)", ""];
  let used = 0;
  for (const f of fixes) {
    const room = FIXES_BUDGET - used;
    const text =
      f.markdown.length > room
        ? f.markdown.slice(0, Math.max(0, room - 80)) + "\n\n… (cut: see the job summary)"
        : f.markdown;
    lines.push(
      `<details open><summary><b>${f.stack}</b>: data fixes</summary>`,
      "",
      text,
      "",
      "</details>",
      "",
    );
    used += text.length;
  }
  return lines;
}

/**
 * Reads what the plan jobs saved: `<stack>.json` (the plan) and `<stack>.exit` (the exit status
 * of `plan`), or `<stack>.withheld` (why it was not planned with its secrets). Stacks in
 * `expected` with none of them are reported as missing, not silently dropped.
 */
export async function readPlanDir(dir: string, expected: readonly string[] = []): Promise<StackOutcome[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stacks = new Set(expected);
  for (const name of names) {
    const m = /^(.+)\.(json|exit|withheld)$/.exec(name);
    if (m) stacks.add(m[1]!);
  }
  const outcomes: StackOutcome[] = [];
  for (const stack of [...stacks].sort()) {
    const exitText = names.includes(`${stack}.exit`)
      ? (await readFile(path.join(dir, `${stack}.exit`), "utf8")).trim()
      : undefined;
    const exitCode = exitText === undefined ? undefined : Number(exitText);
    if (names.includes(`${stack}.withheld`)) {
      const reason = (await readFile(path.join(dir, `${stack}.withheld`), "utf8")).trim();
      outcomes.push({ stack, status: "withheld", reason });
    } else if (names.includes(`${stack}.json`) && exitCode !== 1) {
      const file = path.join(dir, `${stack}.json`);
      const plan = readPlan(await readFile(file, "utf8"), file);
      outcomes.push({ stack, status: "planned", plan });
    } else if (exitCode !== undefined) {
      outcomes.push({ stack, status: "failed", exitCode });
    } else {
      outcomes.push({ stack, status: "missing" });
    }
  }
  return outcomes;
}

/** A plan job's saved plan; the same schema as `apply --plan` reads. */
function readPlan(text: string, file: string): Plan {
  const parsed = parsePlan(text);
  if (parsed.ok) return parsed.plan;
  throw new Error(
    parsed.json
      ? `${file}: not a plan (${parsed.problem}); expected the output of 'plan --out'`
      : `${file}: not JSON (${parsed.problem}); expected the output of 'plan --out'`,
  );
}

interface Destructive {
  stack: string;
  change: Change;
}

export function buildPlanComment(outcomes: readonly StackOutcome[], options: CommentOptions = {}): string {
  const budget = options.budget ?? MARKDOWN_BUDGET;
  const planned = outcomes.filter((o) => o.status === "planned");
  const destructive: Destructive[] = planned.flatMap((o) =>
    o.plan.changes.filter((c) => c.destructive).map((change) => ({ stack: o.stack, change })),
  );
  const problems = outcomes.filter((o) => o.status === "failed" || o.status === "missing");
  const withheld = outcomes.filter((o) => o.status === "withheld");

  const head: string[] = [
    COMMENT_MARKER,
    `## ebill-ops plan${options.commit ? ` at \`${options.commit}\`` : ""}`,
    "",
  ];
  for (const banner of options.yearBanners ?? []) head.push(renderYearBannerMarkdown(banner));
  if (problems.length > 0) {
    head.push("> [!WARNING]", "> Some stacks could not be planned; do not merge until they are:");
    for (const p of problems)
      head.push(
        `> - \`${p.stack}\`: ${p.status === "failed" ? `plan failed (exit ${p.exitCode}), see the job log` : "no plan was recorded (job cancelled or crashed)"}`,
      );
    head.push("");
  }
  if (withheld.length > 0) {
    head.push(
      "> [!IMPORTANT]",
      "> Not planned: this pull request changes where these stacks' secrets would be sent, and a pull request never gets them for a new destination. Review the destinations below; once merged, the next pull request plans against them (docs/trust-model.md).",
    );
    for (const w of withheld)
      for (const line of w.reason.split("\n").filter((l) => l.startsWith("- ")))
        head.push(`> - \`${w.stack}\`: ${inline(line.slice(2), 300)}`);
    head.push("");
  }
  const partial = planned.filter((o) => (o.plan.skipped ?? []).length > 0);
  if (partial.length > 0) {
    head.push(
      "> [!NOTE]",
      "> Parts not planned (their changes are not in this comment and will not be applied):",
    );
    for (const o of partial)
      for (const s of o.plan.skipped ?? [])
        head.push(`> - \`${o.stack}\`: ${inline(s.source, 40)}: ${inline(s.reason, 300)}`);
    head.push("");
  }
  const footer = [
    "",
    "---",
    `<sub>Updated on every push${options.runUrl ? ` by [this run](${options.runUrl})` : ""}. ` +
      "The plans as JSON are the run's `plan-<stack>` artifacts; on merge each stack is planned again and applied only if that plan equals the one shown here.</sub>",
  ].join("\n");

  head.push(...fixesSection(options.fixes ?? []));
  const summary = summaryTable(outcomes);
  // The destructive list is mandatory; it only shortens when it alone would break GitHub's limit.
  const fixedLength = head.join("\n").length + summary.length + footer.length + 200;
  head.push(...destructiveSection(destructive, budget - fixedLength));
  head.push(summary, "", "");

  let body = head.join("\n");
  const withChanges = planned
    .filter((o) => o.plan.changes.length > 0)
    .sort(
      (a, b) =>
        Number(hasDestructive(b.plan)) - Number(hasDestructive(a.plan)) || a.stack.localeCompare(b.stack),
    );
  // Later stacks get what earlier ones left; each is promised at least its one-line fallback.
  const reserve = (from: number) => (withChanges.length - from - 1) * 300;
  withChanges.forEach((o, i) => {
    const open = `<details${withChanges.length === 1 ? " open" : ""}><summary><b>${o.stack}</b>: ${countText(o.plan)}</summary>\n\n`;
    const close = "\n\n</details>\n";
    const room = budget - body.length - footer.length - reserve(i) - open.length - close.length;
    const detail = renderPlanWithin(o.plan, room, `the artifact \`plan-${o.stack}\``);
    if (detail) body += open + detail + close;
  });
  return body + footer + "\n";
}

function countText(plan: Plan): string {
  const s = plan.summary;
  const n = plan.changes.length;
  const destructive = plan.changes.filter((c) => c.destructive).length;
  return (
    `${n} change${n === 1 ? "" : "s"} (${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.replace} to replace)` +
    (destructive ? `, ⚠️ ${destructive} destructive` : "")
  );
}

function destructiveSection(items: readonly Destructive[], room: number): string[] {
  if (items.length === 0) return [];
  const lines = [
    "> [!CAUTION]",
    `> **${items.length} destructive change${items.length === 1 ? "" : "s"}**: data is lost or something in use stops. ` +
      "Apply refuses them unless the stack's apply is approved with `--allow-destroy`; rows in use are disabled, not deleted.",
    ">",
  ];
  let used = lines.join("\n").length;
  for (let i = 0; i < items.length; i++) {
    const line = `> - \`${items[i]!.stack}\`: ${changeLine(items[i]!.change)}`;
    const tail = `> - … and ${items.length - i} more destructive changes: too many for one comment, see the plan artifacts`;
    if (used + line.length + 1 + tail.length + 1 > room) {
      lines.push(tail);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  lines.push("");
  return lines;
}

function summaryTable(outcomes: readonly StackOutcome[]): string {
  const rows = outcomes.map((o) => {
    if (o.status === "failed") return `| \`${o.stack}\` | ❌ plan failed (exit ${o.exitCode}) | | | | | |`;
    if (o.status === "missing") return `| \`${o.stack}\` | ❌ no plan recorded | | | | | |`;
    if (o.status === "withheld")
      return `| \`${o.stack}\` | 🔒 not planned: new secret destinations | | | | | |`;
    const s = o.plan.summary;
    const d = o.plan.changes.filter((c) => c.destructive).length;
    const result = o.plan.changes.length === 0 ? "no changes" : `${o.plan.changes.length} changes`;
    return `| \`${o.stack}\` | ${result} | ${s.create} | ${s.update} | ${s.delete} | ${s.replace} | ${d ? `⚠️ ${d}` : "0"} |`;
  });
  return [
    "| stack | plan | create | update | delete | replace | destructive |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

/** A pull-request comment as GitHub lists it (the parts we look at). */
export interface CommentRecord {
  id: number;
  body?: string | null;
  user?: { login?: string; type?: string } | null;
}

/**
 * The comment to edit: our bot's earlier one starting with the marker (a person quoting it does
 * not count). The oldest wins, so the comment keeps its place in the conversation.
 */
export function findPlanComment(comments: readonly CommentRecord[]): number | null {
  const ours = comments
    .filter((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(COMMENT_MARKER))
    .sort((a, b) => a.id - b.id);
  return ours[0]?.id ?? null;
}
