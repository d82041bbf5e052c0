import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { patchRollout } from "../hosts/patch.ts";
import { renderPatchReport } from "../output/patch.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("patch")
    .description(
      "roll out pending security updates to a stack's hosts in batches (maintenance.patch): health checks, update, reboot when required, health checks; stops at the first failing host",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--check", "only report the pending security updates; change nothing")
    .option("--json", "print the per-host report as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 every host done (or checked), 1 the rollout stopped or could not run.",
    )
    .action(async (options: { stack: string; check?: boolean; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const report = await patchRollout(ctx.env, { check: Boolean(options.check), notice: ctx.notice });
        ctx.out(options.json ? JSON.stringify(report, null, 2) + "\n" : renderPatchReport(report));
        setExit(report.ok ? 0 : 1);
      });
    });
}
