/**
 * A data fix's plan for people: the terminal, the pull-request comment (markdown) and machines
 * (`--json` is the FixPlan itself). Each touched row is named by its primary key; an update shows
 * only the columns it changes.
 */
import type { FixRun, Row, TouchedRow } from "../db/fix-run.ts";
import type { AppliedFix } from "../db/fix-run.ts";
import { code, inline } from "./md.ts";
import type { Paint } from "./format.ts";

export type FixPlan =
  | {
      file: string;
      stack: string;
      hash: string;
      ticket: string;
      reason: string;
      state: "applied";
      applied: AppliedFix;
    }
  | {
      file: string;
      stack: string;
      hash: string;
      ticket: string;
      reason: string;
      state: "pending";
      run: FixRun;
      /** Why apply would refuse it (row count, verification), or null. */
      refusal: string | null;
    };

/** Rows shown in text and markdown; JSON has them all. */
export const ROWS_SHOWN = 50;

const value = (v: unknown) => JSON.stringify(v);

function keyText(key: Row): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

/** The row's change: `place_code "001" -> "002"` for an update, the whole row otherwise. */
export function rowChange(row: TouchedRow): string {
  if (row.op === "UPDATE") {
    const changed = Object.keys(row.after!).filter((c) => value(row.before![c]) !== value(row.after![c]));
    return changed.length === 0
      ? "(written unchanged)"
      : changed.map((c) => `${c} ${value(row.before![c])} -> ${value(row.after![c])}`).join(", ");
  }
  const whole = (row.after ?? row.before)!;
  return Object.entries(whole)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(", ");
}

const SYMBOLS = { INSERT: "+", UPDATE: "~", DELETE: "-" } as const;

function header(plan: FixPlan): string {
  return `Fix ${plan.file} (ticket ${plan.ticket}) on stack ${plan.stack}`;
}

export function renderFixText(plan: FixPlan, paint: Paint): string {
  const lines = [header(plan), `  reason: ${plan.reason}`];
  if (plan.state === "applied") {
    const a = plan.applied;
    lines.push(
      paint.green(
        `Applied already on ${a.appliedAt} by ${a.actor}${a.commit ? ` at ${a.commit.slice(0, 12)}` : ""} (${a.rows} rows of ${a.target}); nothing to do.`,
      ),
    );
    return lines.join("\n") + "\n";
  }
  const { run } = plan;
  lines.push(`  changes ${run.rows} row(s) of ${run.target}; expects ${run.expected}`);
  for (const row of run.touched.slice(0, ROWS_SHOWN))
    lines.push(`  ${SYMBOLS[row.op]} (${keyText(row.key)}): ${rowChange(row)}`);
  if (run.touched.length > ROWS_SHOWN)
    lines.push(`  ... and ${run.touched.length - ROWS_SHOWN} more (--json lists all)`);
  lines.push(
    run.verifyRows.length === 0
      ? "  verify: returns no rows afterwards"
      : paint.red(`  verify: still returns rows afterwards, e.g. ${value(run.verifyRows[0])}`),
  );
  lines.push(
    plan.refusal
      ? paint.red(`apply would refuse: ${plan.refusal}.`)
      : paint.yellow(
          `Would change ${run.rows} row(s); nothing was changed (the statement ran in a transaction that was rolled back).`,
        ),
  );
  return lines.join("\n") + "\n";
}

export function renderFixMarkdown(plan: FixPlan): string {
  const lines = [
    `#### Data fix ${code(plan.file)} (ticket ${inline(plan.ticket, 80)})`,
    "",
    `> ${inline(plan.reason, 500)}`,
    "",
  ];
  if (plan.state === "applied") {
    lines.push(
      `Applied already on ${inline(plan.applied.appliedAt)} by ${inline(plan.applied.actor)}; nothing to do.`,
    );
    return lines.join("\n") + "\n";
  }
  const { run } = plan;
  lines.push(
    plan.refusal
      ? `**Apply would refuse:** ${inline(plan.refusal, 500)}.`
      : `Changes **${run.rows}** row(s) of ${code(run.target)} (expects ${run.expected}); the verification query returns no rows afterwards.`,
    "",
  );
  for (const row of run.touched.slice(0, ROWS_SHOWN))
    lines.push(`- ${SYMBOLS[row.op]} ${code(keyText(row.key))}: ${code(rowChange(row), 400)}`);
  if (run.touched.length > ROWS_SHOWN) lines.push(`- ... and ${run.touched.length - ROWS_SHOWN} more`);
  return lines.join("\n") + "\n";
}

/** A fix that could not be planned (refused by the checks, unreadable), for the pull request. */
export function renderFixRefusedMarkdown(file: string, message: string): string {
  const lines = message.split("\n").filter((l) => l.trim() !== "");
  return (
    [`#### Data fix ${code(file)}: refused`, "", ...lines.map((l) => `> ${inline(l.trim(), 600)}`), ""].join(
      "\n",
    ) + "\n"
  );
}
