import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { withClient } from "../db/connect.ts";
import {
  diagnose,
  formatDiagnosis,
  hasFailures,
  INCIDENT_CLASSES,
  type IncidentClass,
} from "../incidents/diagnose.ts";
import { sinceOf } from "../incidents/window.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("diagnose")
    .description(
      "find the cause of an incident (issuing 开票, archiving 归档, printing 打印, push 推送, stock 库存) from the service's interface log and bill states: the cause first, with its evidence and fix. Exit 2 when failures were found",
    )
    .argument("<class>", INCIDENT_CLASSES.join("|"))
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option(
      "--since <when>",
      "window start: a duration (30m, 2h, 1d) or a local time (YYYY-MM-DD HH:MM)",
      "2h",
    )
    .option("--bus-no <busNo>", "only this HIS business number")
    .option("--place <code>", "only this invoicing point (its code, or the HIS's code for it)")
    .option("--json", "print the diagnosis as JSON")
    .addHelpText("after", "\nSee docs/incidents.md (a runbook per incident class).")
    .action(
      async (
        incident: string,
        options: { stack: string; since: string; busNo?: string; place?: string; json?: boolean },
      ) => {
        if (!(INCIDENT_CLASSES as readonly string[]).includes(incident))
          throw new Error(`unknown incident class '${incident}'; use one of ${INCIDENT_CLASSES.join(", ")}`);
        const ctx = await openStack(options.stack);
        const since = sinceOf(options.since, ctx.env);
        await scrubbed(ctx, async () => {
          const d = await withClient(ctx.env, (db) =>
            diagnose(
              db,
              incident as IncidentClass,
              { env: ctx.env, stackFile: ctx.file, stack: options.stack },
              { since, busNo: options.busNo, place: options.place },
            ),
          );
          ctx.out((options.json ? JSON.stringify(d, null, 2) : formatDiagnosis(d)) + "\n");
          setExit(hasFailures(d) ? 2 : 0);
        });
      },
    );
}
