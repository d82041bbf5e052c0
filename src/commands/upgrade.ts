import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { now } from "../base/time.ts";
import { applyGate } from "../plan/windows.ts";
import { applyUpgrade, planUpgrade, type UpgradePlan, type UpgradeReport } from "../upgrade/rollout.ts";

const STACK = "stack name under stacks/ or path to a stack file";

function renderPlan(plan: UpgradePlan): string {
  const lines = [`upgrade of ${plan.stack} to ${plan.target} (releases/${plan.target}/):`];
  for (const h of plan.hosts)
    lines.push(
      `  ${h.host}: ${h.action === "upgrade" ? `upgrade ${h.from} → ${h.to}` : h.action === "install" ? `install ${h.to}` : `runs ${h.to}, nothing to do`}`,
    );
  lines.push(`  migrations: ${plan.migrations.length ? plan.migrations.join(", ") : "none to run"}`);
  return lines.join("\n") + "\n";
}

function renderReport(r: UpgradeReport): string {
  const lines = [
    `upgrade of ${r.stack} to ${r.target}: ${r.ok ? "done" : "STOPPED"}${r.resumed ? " (resumed)" : ""}; backup ${r.backupId ?? "none needed"}`,
  ];
  for (const h of r.hosts)
    lines.push(`  ${h.host}: ${h.outcome} (${h.from ?? "nothing"} before): ${h.detail}`);
  lines.push(`  migrations: ${r.migrations}`);
  return lines.join("\n") + "\n";
}

export function register(program: Command, setExit: (code: number) => void): void {
  const upgrade = program
    .command("upgrade")
    .description("product upgrade of the app hosts to app.version from releases/<version>/: plan, apply");

  upgrade
    .command("plan")
    .description("per app host, the version it runs and the upgrade to app.version; the migrations to run")
    .requiredOption("--stack <stack>", STACK)
    .option("--json", "print the plan as JSON")
    .addHelpText("after", "\nExit status: 0 every app host runs app.version, 2 upgrades to do, 1 error.")
    .action(async (options: { stack: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const plan = await planUpgrade(ctx.env);
        ctx.out(options.json ? JSON.stringify(plan, null, 2) + "\n" : renderPlan(plan));
        setExit(plan.hosts.some((h) => h.action !== "none") ? 2 : 0);
      });
    });

  upgrade
    .command("apply")
    .description(
      "backup, then one app host at a time: out of the proxy, stop, install, migrations once, start, status call, back in; a failed host is rolled back and the rollout stops",
    )
    .requiredOption("--stack <stack>", STACK)
    .option("--emergency <reason>", "outside the change windows: why it cannot wait (audited)")
    .option("--json", "print the per-host report as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 upgraded (or nothing to do), 1 stopped (a host rolled back) or error.",
    )
    .action(async (options: { stack: string; emergency?: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      const gate = applyGate(ctx.env, now(), options.emergency);
      if (!gate.allowed) throw new Error(gate.reason);
      if (gate.note) ctx.notice(gate.note);
      await scrubbed(ctx, async () => {
        const report = await applyUpgrade(ctx.env, { say: (line) => process.stderr.write(line + "\n") });
        ctx.out(options.json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report));
        setExit(report.ok ? 0 : 1);
      });
    });
}
