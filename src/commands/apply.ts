import type { Command } from "commander";
import { renderPlanText } from "../output/text.ts";
import { openStack, scrubbed } from "../app/context.ts";
import { count, makePlan } from "../plan/planner.ts";
import { SOURCES } from "../app/sources.ts";
import { applyGate } from "../plan/windows.ts";
import { now } from "../base/time.ts";
import { gitRevision } from "../app/git.ts";
import { confirm } from "../app/prompt.ts";
import { readSavedPlan } from "../app/saved-plan.ts";
import { applyShownPlan } from "../app/apply.ts";

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
      "the reviewed plan from 'plan --out': the plan is made again and applied only if it equals this one (same changes, stack, commit, live state); the file's own changes are never executed",
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
        // A saved plan is evidence of what was reviewed, not instructions: the plan is always made
        // afresh here, and with --plan it goes on only if it equals the saved one (applyPlan).
        const reviewed = options.plan
          ? { plan: ctx.redact(await readSavedPlan(options.plan)), file: options.plan }
          : undefined;
        if (reviewed && reviewed.plan.stack !== ctx.env.name)
          throw new Error(
            `the plan ${options.plan} is for stack '${reviewed.plan.stack}', not '${ctx.env.name}' (${ctx.file}); nothing was changed.`,
          );
        // The plan shown below names skipped sources; git is asked while the live systems are read.
        const [made, revision] = await Promise.all([makePlan(ctx.env, SOURCES), gitRevision(ctx.file)]);
        const plan = ctx.redact(made);
        plan.revision = revision;
        ctx.out(renderPlanText(plan, ctx.paint));
        // An empty plan against a reviewed plan with changes goes on, to be refused (and audited).
        if (plan.changes.length === 0 && (reviewed?.plan.changes.length ?? 0) === 0) {
          ctx.out("Nothing to apply.\n");
          setExit(0);
          return;
        }
        // Ask only for something that can go through; a refusal is recorded by applyPlan below.
        const gate = applyGate(ctx.env, now(), options.emergency);
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
          revision,
          reviewed,
        });
        ctx.out(
          `Applied ${count(plan.changes.length, "change")} to stack ${ctx.env.name}` +
            ` (plan ${record.planHash.slice(0, 12)}, by ${record.actor}${record.commit ? ` at ${record.commit.slice(0, 12)}${record.dirty ? " with uncommitted changes" : ""}` : ""}).\n`,
        );
        setExit(0);
      });
    });
}
