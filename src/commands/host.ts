import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { rebuildHost, type RebuildReport } from "../upgrade/rebuild.ts";

function render(r: RebuildReport): string {
  const lines = [
    `${r.host}: rebuilt from the declaration and backup ${r.backupId}: ${r.ok ? "ok" : "NOT ok"}`,
  ];
  lines.push(`  converged: ${r.converged} changes`);
  for (const x of r.restored) lines.push(`  restored: ${x}`);
  for (const x of r.health) lines.push(`  health: ${x}`);
  lines.push(r.drift.length ? `  drift: ${r.drift.join("; ")}` : "  drift: none");
  return lines.join("\n") + "\n";
}

export function register(program: Command, setExit: (code: number) => void): void {
  const host = program.command("host").description("operations on one host of a stack");
  host
    .command("rebuild")
    .description(
      "a reinstalled or replaced host: its declared host key checked (never trusted on first use), converged, its data restored from the latest verified backup, then health and drift checks",
    )
    .argument("<host>", "the host's name in the stack")
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 rebuilt and clean, 2 rebuilt but health or drift differ, 1 refused or error.",
    )
    .action(async (name: string, options: { stack: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const report = await rebuildHost(ctx.env, name, (line) => process.stderr.write(line + "\n"));
        ctx.out(options.json ? JSON.stringify(report, null, 2) + "\n" : render(report));
        setExit(report.ok ? 0 : 2);
      });
    });
}
