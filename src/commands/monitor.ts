/**
 * `ebill-ops monitor --stack S [--notify]`: the quick health checks, for a 15-minute schedule; with
 * --notify, one message per webhook on a change of state. See docs/inspection.md.
 */
import type { Command } from "commander";
import { monitor } from "../checks/monitor/monitor.ts";
import { defaultStateFile } from "../checks/monitor/state.ts";
import { openForChecks, scrubbedErrors } from "../checks/open.ts";
import { STATUS_NAMES } from "../checks/report/report.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("monitor")
    .description(
      "the quick health checks (no package scan, no log scan) for a 15-minute schedule; --notify sends one message per webhook when a check changes state",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option(
      "--notify",
      "compare with the last run and send the changes to the stack's webhooks (maintenance.notifications)",
    )
    .option(
      "--state <file>",
      "where the last run's state is kept (default $EBILL_OPS_STATE_DIR or ~/.local/state/ebill-ops, monitor/<stack>.json)",
    )
    .option("--json", "print {findings, events, deliveries} as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 every check ok (or not measurable), 2 a check warns or fails, 1 error (also: a message could not be delivered; it is sent again with the next run).",
    )
    .action(async (options: { stack: string; notify?: boolean; state?: string; json?: boolean }) => {
      const stack = await openForChecks(options.stack, { notifications: Boolean(options.notify) });
      await scrubbedErrors(stack, async () => {
        const stateFile = options.state ?? defaultStateFile(stack.env.name);
        const result = await monitor(stack.env, { notify: Boolean(options.notify), stateFile });
        const problems = result.run.findings.filter((f) => f.status !== "ok");
        if (options.json)
          stack.out(
            JSON.stringify(
              stack.redact({
                stack: stack.env.name,
                at: result.run.at.toISOString(),
                seconds: result.run.seconds,
                findings: result.run.findings,
                events: result.events,
                deliveries: result.deliveries,
              }),
              null,
              2,
            ) + "\n",
          );
        else {
          for (const f of problems)
            stack.out(
              `${STATUS_NAMES[f.status].padEnd(4)} ${f.id} ${f.target}: ${f.evidence}${f.advice ? ` -> ${f.advice}` : ""}\n`,
            );
          const bad = problems.filter((f) => f.status !== "unknown").length;
          stack.out(
            `${result.run.findings.length} results, ${bad} warn or fail, ${problems.length - bad} not measurable (${result.run.seconds.total.toFixed(1)} s)\n`,
          );
          if (options.notify)
            stack.out(
              result.events.length === 0
                ? "no change since the last run: nothing sent\n"
                : `${result.events.length} change(s): ${result.events.map((e) => `${e.id} ${e.target} ${e.from}->${e.to}`).join(", ")}\n`,
            );
        }
        for (const d of result.deliveries)
          stack.notice(
            d.error
              ? `NOT delivered to ${d.webhook} (kept for the next run): ${d.error}`
              : `sent ${d.events} change(s) to ${d.webhook}`,
          );
        const failedDelivery = result.deliveries.some((d) => d.error);
        setExit(
          failedDelivery ? 1 : problems.some((f) => f.status === "warn" || f.status === "fail") ? 2 : 0,
        );
      });
    });
}
