import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { resolveSecret } from "../config/secrets.ts";
import { withClient } from "../db/connect.ts";
import { finishRetry, startRetry } from "../incidents/audit.ts";
import { retryDeliveries, type RetryLeg } from "../incidents/retry.ts";
import { sinceOf } from "../incidents/window.ts";
import { networkScope, routeFor } from "../probe/probe.ts";
import { serviceUrl } from "../probe/service-target.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("retry")
    .description(
      "re-drive failed archiving (归档) or push (推送) through the service's API, in batches with progress; bills already done are never sent again, so a second run does nothing. Audited in ebill_ops.task_audit (history --tasks). Exit 2 when bills remain undone",
    )
    .argument("<what>", "archive|push")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption(
      "--since <when>",
      "bills issued since: a duration (2h, 1d) or a local time (YYYY-MM-DD HH:MM)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nSee docs/incidents.md.")
    .action(async (what: string, options: { stack: string; since: string; json?: boolean }) => {
      if (what !== "archive" && what !== "push")
        throw new Error(`retry what? '${what}': use archive or push`);
      const ctx = await openStack(options.stack);
      const since = sinceOf(options.since, ctx.env);
      const url = serviceUrl(ctx.env).url;
      // The network rule, where the call is made: a sandbox's service is the simulator on this machine.
      const route = routeFor(networkScope(ctx.env), url);
      if (route.via !== "direct")
        throw new Error(
          `nothing sent to ${url}: ${route.via === "refused" ? route.reason : "it is inside the sandbox hosts' namespace"}; start the sandbox's service with 'ebill-ops sandbox up'`,
        );
      const service = {
        url,
        appId: ctx.env.interfaces.fiscal.appId,
        appKey: resolveSecret(ctx.env.interfaces.fiscal.appKey),
      };
      await scrubbed(ctx, async () => {
        const result = await withClient(ctx.env, async (db) => {
          const id = await startRetry(db, ctx.env, what as RetryLeg, { since, service: service.url });
          try {
            const r = await retryDeliveries(service, what as RetryLeg, since, (p) =>
              ctx.notice(
                `batch ${p.batches}: ${p.done} done, ${p.failed} still failing, ${p.remaining} left\n`,
              ),
            );
            await finishRetry(db, id, r);
            return r;
          } catch (error) {
            await finishRetry(db, id, { error: error instanceof Error ? error.message : String(error) });
            throw error;
          }
        });
        if (options.json) ctx.out(JSON.stringify(result, null, 2) + "\n");
        else
          ctx.out(
            result.attempted === 0
              ? `nothing to retry: every bill issued since ${since} is ${what === "archive" ? "archived" : "pushed"}\n`
              : `retry ${what} since ${since}: ${result.done} of ${result.attempted} bills done, ${result.remaining} left${result.remaining > 0 ? " (the cause is still there: ebill-ops diagnose " + (what === "archive" ? "archiving" : "push") + ")" : ""}\n`,
          );
        setExit(result.remaining > 0 ? 2 : 0);
      });
    });
}
