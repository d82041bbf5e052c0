import type { Command } from "commander";
import { openStack, scrubbed } from "../app/context.ts";
import { listBackups, runBackup, verifyBackup, type VerifyReport } from "../backup/backup.ts";
import { describeFigure, type Figure } from "../backup/dump.ts";
import { now } from "../base/time.ts";
import { formatBytes } from "../probe/probe.ts";

const STACK = "stack name under stacks/ or path to a stack file";

function age(iso: string): string {
  const hours = (now().getTime() - new Date(iso).getTime()) / 3_600_000;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`;
}

function renderVerify(report: VerifyReport): string {
  const lines = [
    `backup ${report.manifest.id} (taken ${report.manifest.takenAt}, ${report.manifest.reason})`,
  ];
  const cell = (f: Figure | undefined) => (f ? describeFigure(f) : "-");
  const row = (
    name: string,
    at: Figure | undefined,
    restored: Figure | undefined,
    live: Figure | undefined,
  ) => {
    const same = at && restored && at.rows === restored.rows && at.checksum === restored.checksum;
    lines.push(
      `  ${same ? "ok  " : "DIFF"} ${name.padEnd(26)} backup ${cell(at).padEnd(34)} restored ${cell(restored).padEnd(34)} now ${cell(live)}`,
    );
  };
  for (const table of Object.keys(report.expected.tables))
    row(table, report.expected.tables[table], report.restored?.tables[table], report.live?.tables[table]);
  row(
    `bills since ${report.expected.recentBills.from.slice(0, 10)}`,
    report.expected.recentBills,
    report.restored?.recentBills,
    report.live?.recentBills,
  );
  if (report.manifest.archive) lines.push(`  archive files: ${report.archiveFiles} restored and compared`);
  for (const d of report.differences) lines.push(`  difference: ${d}`);
  lines.push(
    report.restorable ? "restorable: the restored figures equal those at backup time" : "NOT restorable",
  );
  return lines.join("\n") + "\n";
}

export function register(program: Command, setExit: (code: number) => void): void {
  const backup = program
    .command("backup")
    .description("database dumps and archive-file copies of a stack (maintenance.backup): run, list, verify");

  backup
    .command("run")
    .description("take a backup now: the database rows with their figures, and the archive files")
    .requiredOption("--stack <stack>", STACK)
    .option("--json", "print the manifest as JSON")
    .action(async (options: { stack: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const m = await runBackup(ctx.env);
        const bytes = Object.values(m.files).reduce((n, f) => n + f.bytes, 0);
        ctx.out(
          options.json
            ? JSON.stringify(m, null, 2) + "\n"
            : `backup ${m.id} taken: ${Object.keys(m.files).join(", ")} (${formatBytes(bytes)}), ` +
                `${m.figures?.tables.bill?.rows ?? 0} bills, ${Object.keys(m.archive ?? {}).length} archive files\n`,
        );
        setExit(0);
      });
    });

  backup
    .command("list")
    .description("the stack's backups, newest first: size, age, checksum and last verification")
    .requiredOption("--stack <stack>", STACK)
    .option("--json", "print as JSON")
    .action(async (options: { stack: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const list = await listBackups(ctx.env);
        if (options.json) ctx.out(JSON.stringify(list, null, 2) + "\n");
        else if (list.length === 0) ctx.out(`no backups of ${ctx.env.name} yet\n`);
        else
          for (const b of list) {
            const v = b.verification;
            const db = b.manifest.files["database.json.gz"];
            ctx.out(
              `${b.manifest.id}  ${formatBytes(b.bytes).padStart(9)}  ${age(b.manifest.takenAt).padStart(7)} old  ` +
                `sha256 ${db?.sha256.slice(0, 12)}  ${b.manifest.reason}  ` +
                `${v ? `verified ${v.at} ${v.restorable ? "restorable" : "NOT restorable"}` : "never verified"}\n`,
            );
          }
        setExit(0);
      });
    });

  backup
    .command("verify")
    .description(
      "restore a backup (default: the newest) into a scratch database and compare its figures table by table, and the archive files' checksums",
    )
    .requiredOption("--stack <stack>", STACK)
    .option("--backup <id>", "the backup to verify (backup list shows the ids)")
    .option("--json", "print the comparison as JSON")
    .addHelpText("after", "\nExit status: 0 restorable, 2 not restorable, 1 error.")
    .action(async (options: { stack: string; backup?: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const report = await verifyBackup(ctx.env, options.backup);
        ctx.out(options.json ? JSON.stringify(report, null, 2) + "\n" : renderVerify(report));
        setExit(report.restorable ? 0 : 2);
      });
    });
}
