import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { renderPlanMarkdown } from "../output/markdown.ts";
import { renderPlanText } from "../output/text.ts";
import { openStack, scrubbed } from "../app/context.ts";
import { makePlan } from "../plan/planner.ts";
import { SOURCES } from "../app/sources.ts";
import { gitRevision } from "../app/git.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("show what apply would change in the live systems (database, hosts) of a stack")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--json", "print the plan as JSON (the contract of docs/architecture.md)")
    .option("--markdown", "print the plan as a pull-request comment (under 60,000 characters)")
    .option("--out <file>", "also save the JSON plan, for 'apply --plan <file>'")
    .addHelpText(
      "after",
      "\nExit status: 0 no changes, 2 changes, 1 error.\nSources that cannot run here (e.g. hosts without ansible) are skipped with a notice on stderr.",
    )
    .action(async (options: { stack: string; json?: boolean; markdown?: boolean; out?: string }) => {
      if (options.json && options.markdown) throw new Error("choose one of --json and --markdown");
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        // The text rendering names skipped sources itself; the other formats keep stdout machine-readable.
        const textOnStdout = !options.json && !options.markdown;
        // What the plan was made from: `apply --plan` refuses it for another commit or working tree.
        // Git is asked while the live systems are read.
        const [made, revision] = await Promise.all([
          makePlan(ctx.env, SOURCES, textOnStdout ? () => {} : ctx.notice),
          gitRevision(ctx.file),
        ]);
        const plan = ctx.redact(made);
        plan.revision = revision;
        const json = JSON.stringify(plan, null, 2) + "\n";
        if (options.out) {
          await writeFile(options.out, json).catch((error: NodeJS.ErrnoException) => {
            throw new Error(`cannot write the plan to ${options.out}: ${error.code ?? error.message}`);
          });
          ctx.notice(
            `plan saved to ${options.out}; apply exactly it with 'ebill-ops apply --stack ${options.stack} --plan ${options.out}'`,
          );
        }
        if (options.json) ctx.out(json);
        else if (options.markdown)
          ctx.out(renderPlanMarkdown(plan, options.out ? { artifact: `\`${options.out}\`` } : {}));
        else ctx.out(renderPlanText(plan, ctx.paint));
        setExit(plan.changes.length > 0 ? 2 : 0);
      });
    });
}
