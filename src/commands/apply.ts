import type { Command } from "commander";
import { renderPlanText } from "../output/text.ts";
import { applyShownPlan, confirm, gitCommit, openStack, readSavedPlan, scrubbed } from "../plan/context.ts";
import { count, makePlan } from "../plan/planner.ts";
import { SOURCES } from "../plan/sources.ts";
import { applyGate } from "../plan/windows.ts";
import { now } from "../time.ts";

interface ApplyFlags {
  stack: string;
  plan?: string;
  yes?: boolean;
  allowDestroy?: boolean;
  emergency?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("apply")
    .description("change the live systems of a stack to match its declaration (or exactly a saved plan)")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option(
      "--plan <file>",
      "apply exactly this plan from 'plan --out'; refused if the live state moved since",
    )
    .option("--yes", "do not ask for confirmation (needed without a terminal, e.g. in CI)")
    .option("--allow-destroy", "allow destructive changes (deleting or disabling things, dropping storage)")
    .option(
      "--emergency <reason>",
      "apply to production outside its change windows or inside a freeze; the reason is audited",
    )
    .addHelpText(
      "after",
      "\nExit status: 0 applied (or nothing to do), 1 error or refused (nothing changed).\nEach source applies in one transaction under its own lock; every attempt is recorded (see 'ebill-ops history').",
    )
    .action(async (options: ApplyFlags) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const plan = options.plan
          ? ctx.redact(await readSavedPlan(options.plan))
          : ctx.redact(await makePlan(ctx.env, SOURCES)); // the plan shown below names skipped sources
        if (plan.stack !== ctx.env.name)
          throw new Error(
            `the plan ${options.plan} is for stack '${plan.stack}', not '${ctx.env.name}' (${ctx.file}); nothing was changed.`,
          );
        ctx.out(renderPlanText(plan, ctx.paint));
        if (plan.changes.length === 0) {
          ctx.out("Nothing to apply.\n");
          setExit(0);
          return;
        }
        const at = now();
        // Ask only for something that can go through; a refusal is recorded by applyPlan below.
        const gate = applyGate(ctx.env, at, options.emergency);
        const destructiveBlocked = !options.allowDestroy && plan.changes.some((c) => c.destructive);
        if (gate.allowed && !destructiveBlocked && !options.yes) {
          if (!process.stdin.isTTY)
            throw new Error(
              "apply changes live systems and asks for confirmation, but there is no terminal to ask on; review the plan above and pass --yes. Nothing was changed.",
            );
          if (
            !(await confirm(`Apply ${count(plan.changes.length, "change")} to stack ${ctx.env.name}? [y/N] `))
          ) {
            ctx.out("Cancelled; nothing was changed.\n");
            setExit(1);
            return;
          }
        }
        const record = await applyShownPlan(ctx, plan, {
          allowDestroy: options.allowDestroy,
          emergency: options.emergency,
          commit: gitCommit(ctx.file),
          at,
        });
        ctx.out(
          `Applied ${count(plan.changes.length, "change")} to stack ${ctx.env.name}` +
            ` (plan ${record.planHash.slice(0, 12)}, by ${record.actor}${record.commit ? ` at ${record.commit.slice(0, 12)}` : ""}).\n`,
        );
        setExit(0);
      });
    });
}
