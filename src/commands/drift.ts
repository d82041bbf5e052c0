import type { Command } from "commander";
import { driftReport, renderDriftMarkdown, renderDriftText } from "../output/drift.ts";
import { openStack, scrubbed } from "../app/context.ts";
import { makePlan } from "../plan/planner.ts";
import { SOURCES } from "../app/sources.ts";
import { yearBanner } from "../rollover/banner.ts";
import { renderYearBannerMarkdown, renderYearBannerText } from "../output/year-banner.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("drift")
    .description("compare the live systems of a stack with its declaration, field by field (changes nothing)")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--json", "print {stack, drifted, differences[]} as JSON")
    .option("--markdown", "print the report as markdown (for an issue or a pull-request comment)")
    .addHelpText("after", "\nExit status: 0 no drift, 2 drift, 1 error.")
    .action(async (options: { stack: string; json?: boolean; markdown?: boolean }) => {
      if (options.json && options.markdown) throw new Error("choose one of --json and --markdown");
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const textOnStdout = !options.json && !options.markdown;
        const plan = await makePlan(ctx.env, SOURCES, textOnStdout ? () => {} : ctx.notice);
        const report = ctx.redact(driftReport(plan));
        // The year-end banner informs beside the drift; it never changes the exit status.
        const banner = yearBanner(ctx.env);
        if (options.json) ctx.out(JSON.stringify(report, null, 2) + "\n");
        else if (options.markdown)
          ctx.out((banner ? renderYearBannerMarkdown(banner) + "\n" : "") + renderDriftMarkdown(report));
        else
          ctx.out(
            renderDriftText(report, ctx.paint) +
              (banner ? "\n" + renderYearBannerText(banner, ctx.paint) : ""),
          );
        setExit(report.drifted ? 2 : 0);
      });
    });
}
