/**
 * The list of stacks the pipelines run over. The workflows get it from `ebill-ops gitops stacks`
 * (never a list typed into YAML), so a stack added under stacks/ is planned, applied and watched for
 * drift without anyone editing a workflow.
 */
import path from "node:path";
import { listStackFiles, loadStack } from "../config/load.ts";
import { secretUses } from "../config/secrets.ts";
import type { StackOutcome } from "./comment.ts";
import { STACKS_DIR } from "../base/paths.ts";

export interface StackEntry {
  /** What `--stack` takes: the file name under stacks/ without its extension. */
  stack: string;
  /** Path relative to the repository root, e.g. `stacks/lingshui-prod.ts`. */
  file: string;
  kind: "production" | "test" | "sandbox" | "unknown";
  /** GitHub environment the apply job runs in; production ones carry required reviewers. */
  environment: string;
  /** GitHub environment of the plan and drift jobs: the same secrets, no approval (they change nothing). */
  planEnvironment: string;
  /** Names of the `{secret: NAME}` references the stack needs at run time. */
  secrets: string[];
}

export function applyEnvironmentName(stack: string): string {
  return stack;
}

export function planEnvironmentName(stack: string): string {
  return `${stack}-plan`;
}

/**
 * Every stack under `dir`. An invalid stack is still listed (its plan job then fails loudly and
 * names the problem) and counted as production, so it never slips past an approval. Validity does
 * not depend on the date, so neither does the list (a stack is never `unknown` on 20 December).
 */
export async function listStacks(dir = STACKS_DIR): Promise<StackEntry[]> {
  const entries: StackEntry[] = [];
  for (const file of await listStackFiles(dir)) {
    const stack = path.basename(file).replace(/\.[^.]+$/, "");
    const loaded = await loadStack(file);
    entries.push({
      stack,
      file: path.relative(path.dirname(dir), file),
      kind: loaded.ok ? loaded.env.kind : "unknown",
      environment: applyEnvironmentName(stack),
      planEnvironment: planEnvironmentName(stack),
      secrets: loaded.ok
        ? secretUses(loaded.env)
            .map((u) => u.name)
            .sort()
        : [],
    });
  }
  return entries;
}

/** Stacks whose apply must wait for a reviewer: production ones, and any we could not read. */
export function needsApproval(entry: StackEntry): boolean {
  return entry.kind === "production" || entry.kind === "unknown";
}

export interface ReviewedEntry extends StackEntry {
  /** The reviewed plan has destructive changes (applied only with the allow-destroy label). */
  destructive: boolean;
}

/**
 * The stacks the apply workflow works on after a merge: those whose reviewed plan changes
 * something. A reviewed plan of a stack that no longer exists on main is reported, not applied.
 */
export function selectReviewed(
  entries: readonly StackEntry[],
  outcomes: readonly StackOutcome[],
): { include: ReviewedEntry[]; unknown: string[] } {
  const planned = new Map(
    outcomes.flatMap((o) => (o.status === "planned" ? [[o.stack, o.plan] as const] : [])),
  );
  const include = entries
    .filter((e) => (planned.get(e.stack)?.changes.length ?? 0) > 0)
    .map((e) => ({ ...e, destructive: planned.get(e.stack)!.changes.some((c) => c.destructive) }));
  const known = new Set(entries.map((e) => e.stack));
  const unknown = [...planned.keys()].filter((s) => !known.has(s));
  return { include, unknown };
}

/**
 * The stacks with reviewed data-fix plans (`<stack>.fixes/<name>.json` in the pull request's plan
 * artifacts, saved by `fix plan --out` for the fixes not applied yet), each with those plans' names.
 */
export async function selectReviewedFixes(
  entries: readonly StackEntry[],
  dir: string,
): Promise<(StackEntry & { fixes: string[] })[]> {
  const { readdir } = await import("node:fs/promises");
  const selected: (StackEntry & { fixes: string[] })[] = [];
  for (const entry of entries) {
    const names = await readdir(path.join(dir, `${entry.stack}.fixes`)).catch(() => [] as string[]);
    const fixes = names.filter((n) => n.endsWith(".json")).sort();
    if (fixes.length > 0) selected.push({ ...entry, fixes });
  }
  return selected;
}
