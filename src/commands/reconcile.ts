import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { withClient } from "../db/connect.ts";
import { csvLedger, sandboxLedger } from "../incidents/his-ledger.ts";
import { checkDay, differences, formatReconciliation, reconcile } from "../incidents/reconcile.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("reconcile")
    .description(
      "对账: the HIS's businesses of a day against the bills, totals per invoicing point and channel, then every missing, extra, duplicate, mismatched bill and red-flush without original. Exit 0 balanced, 2 differences",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption("--date <day>", "the business day, YYYY-MM-DD")
    .option(
      "--his-csv <file>",
      "the HIS's export (busNo,busDate,placeCode,payChannelCode,amount[,originalBusNo]); default: the sandbox HIS's ledger",
    )
    .option("--json", "print the reconciliation as JSON")
    .option("--markdown", "print it as markdown (for a ticket or a pull request)")
    .addHelpText("after", "\nSee docs/incidents.md.")
    .action(
      async (options: {
        stack: string;
        date: string;
        hisCsv?: string;
        json?: boolean;
        markdown?: boolean;
      }) => {
        checkDay(options.date);
        const ctx = await openStack(options.stack);
        if (!options.hisCsv && ctx.env.kind !== "sandbox")
          throw new Error(
            `stack ${ctx.env.name} is not a sandbox: give the HIS's side with --his-csv FILE (see docs/incidents.md for its columns)`,
          );
        await scrubbed(ctx, async () => {
          const r = await withClient(ctx.env, (db) =>
            reconcile(
              db,
              ctx.env,
              options.hisCsv ? csvLedger(options.hisCsv) : sandboxLedger(db),
              options.date,
            ),
          );
          ctx.out(
            (options.json ? JSON.stringify(r, null, 2) : formatReconciliation(r, Boolean(options.markdown))) +
              "\n",
          );
          setExit(differences(r) === 0 ? 0 : 2);
        });
      },
    );
}
