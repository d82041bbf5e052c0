import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { count } from "../plan/planner.ts";
import { AUDIT } from "../app/sources.ts";
import { localDate } from "../base/time.ts";
import { readTaskHistory } from "../app/task-session.ts";

/** `2026-11-26 15:04` in the hospital's time zone: what the people there read on their clocks. */
function localTime(iso: string, timeZone: string): string {
  const d = localDate(new Date(iso), timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}`;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("history")
    .description("list the applies of a stack, newest first (by the real time), from its audit records")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--json", "print the audit records as JSON")
    .option(
      "--tasks",
      "the day-2 tasks instead (unlock, password reset, fix apply and undo, retries) with their reasons",
    )
    .option("--limit <n>", "how many records (default 20)", "20")
    .action(async (options: { stack: string; json?: boolean; limit: string; tasks?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new Error(`--limit '${options.limit}' is not a positive whole number`);
      const ctx = await openStack(options.stack);
      if (options.tasks) {
        await scrubbed(ctx, async () => {
          const tasks = ctx.redact(await readTaskHistory(ctx, limit));
          const tz = ctx.env.maintenance.timezone;
          if (options.json) ctx.out(JSON.stringify(tasks, null, 2) + "\n");
          else if (tasks.length === 0) ctx.out(`No tasks recorded for stack ${ctx.env.name} yet.\n`);
          else
            for (const t of tasks)
              ctx.out(
                `${localTime(t.at, tz)}  ${t.task.padEnd(22)}  ${t.subject}  by ${t.actor}${t.commit ? ` at ${t.commit.slice(0, 10)}` : ""}\n` +
                  `    reason: ${t.reason}\n` +
                  (t.emergency ? `    emergency: ${t.emergency}\n` : ""),
              );
          setExit(0);
        });
        return;
      }
      await scrubbed(ctx, async () => {
        const records = ctx.redact(await AUDIT.list(ctx.env, limit));
        if (options.json) {
          ctx.out(JSON.stringify(records, null, 2) + "\n");
        } else if (records.length === 0) {
          ctx.out(`No applies recorded for stack ${ctx.env.name} yet.\n`);
        } else {
          const { paint } = ctx;
          const tz = ctx.env.maintenance.timezone;
          ctx.out(paint.dim(`times in ${tz}`) + "\n");
          for (const r of records) {
            const result =
              r.result === "ok"
                ? paint.green("ok     ")
                : r.result === "started"
                  ? paint.yellow("STARTED")
                  : paint.red("FAILED ");
            const commit = r.commit ? r.commit.slice(0, 10) + (r.dirty ? "+" : "") : "(no git)  ";
            ctx.out(
              `${localTime(r.at, tz)}  ${result}  ${commit}  ${r.actor.padEnd(12)}  ${count(r.changes.length, "change").padEnd(12)}  plan ${r.planHash.slice(0, 12)}\n`,
            );
            if (r.rehearsedAt)
              ctx.out(`    rehearsed as ${localTime(r.rehearsedAt, tz)} (EBILL_OPS_TODAY)\n`);
            if (r.dirty)
              ctx.out(
                `    applied from uncommitted changes (diff sha256 ${r.diffHash?.slice(0, 12) ?? "?"})\n`,
              );
            if (r.emergency) ctx.out(`    emergency: ${r.emergency}\n`);
            if (r.error && r.result === "started")
              ctx.out(`    ${paint.yellow("interrupted or still running:")} ${r.error.split("\n")[0]}\n`);
            else if (r.error) ctx.out(`    ${paint.red("error:")} ${r.error.split("\n")[0]}\n`);
          }
        }
        setExit(0);
      });
    });
}
