/**
 * `ebill-ops rollback --stack S --to <commit>`: converge a stack's live systems to its declaration
 * as it was at an earlier commit. The way back is planned against the live systems and shown
 * before anything changes; it is applied only on confirmation, through the plan engine's own
 * apply (the same locks, live-hash check, change windows, destructive-change refusal and audit).
 *
 * The repository is not changed: afterwards `stacks/` still declares the newer state, so the next
 * drift check reports the difference until a `git revert` is merged (docs/gitops.md explains both
 * routes; the revert is the normal one, this command is for when the pipeline itself cannot run).
 */
import type { Command } from "commander";
import { materialiseStack } from "../gitops/materialise.ts";
import { renderPlanText } from "../output/text.ts";
import { openStack, scrubbed } from "../app/context.ts";
import { count, makePlan } from "../plan/planner.ts";
import { SOURCES } from "../app/sources.ts";
import { applyGate } from "../plan/windows.ts";
import { now } from "../base/time.ts";
import { confirm } from "../app/prompt.ts";
import { applyShownPlan } from "../app/apply.ts";

interface RollbackFlags {
  stack: string;
  to: string;
  yes?: boolean;
  allowDestroy?: boolean;
  emergency?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("rollback")
    .description("plan, show, then apply the way back to the stack's declaration at an earlier commit")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption("--to <commit>", "the commit whose declaration to return to (id, tag, branch)")
    .option("--yes", "apply without asking (needed without a terminal); without it the plan is only shown")
    .option(
      "--allow-destroy",
      "allow destructive changes on the way back (deleting what the later commits added)",
    )
    .option("--emergency <reason>", "apply to production outside its change windows; the reason is audited")
    .addHelpText(
      "after",
      "\nExit status: 0 rolled back (or already there), 2 the way back shown but not applied, 1 error or refused.\n" +
        "The repository is not changed: merge a 'git revert' too, or the nightly drift check reports the difference.",
    )
    .action(async (options: RollbackFlags) => {
      const at = await materialiseStack(options.stack, options.to);
      try {
        const ctx = await openStack(at.file);
        const commit = at.commit;
        await scrubbed(ctx, async () => {
          ctx.out(
            `Rollback of stack ${ctx.env.name} to ${commit.sha.slice(0, 12)} "${commit.subject}" (${at.relative} as it was then).\n` +
              "The way back, planned against the live systems:\n\n",
          );
          const plan = ctx.redact(await makePlan(ctx.env, SOURCES, ctx.notice));
          ctx.out(renderPlanText(plan, ctx.paint));
          if (plan.changes.length === 0) {
            ctx.out(
              `Nothing to do: the live systems already match the declaration of ${commit.sha.slice(0, 12)}.\n`,
            );
            setExit(0);
            return;
          }
          const when = now();
          const gate = applyGate(ctx.env, when, options.emergency);
          const destructiveBlocked = !options.allowDestroy && plan.changes.some((c) => c.destructive);
          if (!options.yes) {
            if (!process.stdin.isTTY || !gate.allowed || destructiveBlocked) {
              ctx.out(
                "\nNothing was changed. " +
                  (!gate.allowed
                    ? `${gate.reason}\n`
                    : destructiveBlocked
                      ? "The way back has destructive changes: review them, then rerun with --allow-destroy --yes.\n"
                      : "Review the plan above, then rerun with --yes to apply it.\n"),
              );
              setExit(2);
              return;
            }
            if (
              !(await confirm(
                `Roll back ${count(plan.changes.length, "change")} on stack ${ctx.env.name}? [y/N] `,
              ))
            ) {
              ctx.out("Cancelled; nothing was changed.\n");
              setExit(2);
              return;
            }
          }
          const record = await applyShownPlan(ctx, plan, {
            allowDestroy: options.allowDestroy,
            emergency: options.emergency,
            // The audit names the commit whose declaration was applied (materialised clean from git).
            revision: { commit: commit.sha, dirty: false },
          });
          ctx.out(
            `Rolled back stack ${ctx.env.name} to ${commit.sha.slice(0, 12)}: ${count(plan.changes.length, "change")} applied (plan ${record.planHash.slice(0, 12)}).\n` +
              `stacks/ still declares the newer state: merge 'git revert' of the later commits, or the drift check will report it.\n`,
          );
          setExit(0);
        });
      } finally {
        await at.dispose();
      }
    });
}
