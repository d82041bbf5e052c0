import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { interfaceTargets, networkScope, probe, type ProbeResult } from "../probe/probe.ts";
import { serviceTarget, signatureTarget } from "../probe/service-target.ts";

const CAP_MS = 30_000;

function line(p: ProbeResult): string {
  const cert = p.certificateValidTo ? `, certificate valid to ${p.certificateValidTo}` : "";
  return `${p.name.padEnd(17)} ${p.verdict.padEnd(13)} layer ${p.layer.padEnd(8)} ${String(p.ms).padStart(5)} ms  ${p.url}\n    ${p.evidence}${cert} (${p.via})`;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("probe")
    .description(
      "one signed, read-only status call to the hospital-side e-bill service, and reachability, latency and TLS of the HIS, fiscal platform, push and signature server; each with the failing layer (policy, dns, tcp, tls, http, sign, business). Exit 2 when any is not verified",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--json", "print the results as JSON")
    .addHelpText("after", "\nSee docs/incidents.md.")
    .action(async (options: { stack: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const scope = networkScope(ctx.env);
        const targets = [
          serviceTarget(ctx.env, CAP_MS),
          ...interfaceTargets(ctx.env, CAP_MS),
          signatureTarget(ctx.env, CAP_MS),
        ];
        const results = await Promise.all(targets.map((t) => probe(t, scope)));
        if (options.json) ctx.out(JSON.stringify(results, null, 2) + "\n");
        else for (const r of results) ctx.out(line(r) + "\n");
        setExit(results.every((r) => r.verdict === "verified") ? 0 : 2);
      });
    });
}
