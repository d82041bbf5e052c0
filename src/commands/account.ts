import type { Command } from "commander";
import { openStack, scrubbed, type StackContext } from "../app/context.ts";
import { passwordSink, readAccountStates, resetAccountPassword, unlock } from "../app/accounts.ts";
import type { AccountState } from "../db/accounts.ts";

const STACK = ["--stack <stack>", "stack name under stacks/ or path to a stack file"] as const;

function renderStates(ctx: StackContext, states: readonly AccountState[]): string {
  if (states.length === 0) return `No accounts in stack ${ctx.env.name} or its database.\n`;
  const { paint } = ctx;
  const lines = [paint.dim(`times in ${ctx.env.maintenance.timezone}`)];
  for (const s of states) {
    const flags = [
      s.locked ? paint.red(`LOCKED since ${s.lockedAt ?? "?"}`) : paint.green("unlocked"),
      `${s.failedLogins} failed`,
      `last login ${s.lastLoginAt ?? "never"}`,
      s.passwordAgeDays === null ? "password never set" : `password ${s.passwordAgeDays} days old`,
      ...(s.mustChangePassword ? ["must change password"] : []),
      ...(!s.declared ? [paint.yellow("not declared in the stack")] : []),
      ...(s.declared && !s.inDatabase ? [paint.yellow("not in the database yet")] : []),
      ...(!s.enabled ? [paint.yellow("disabled")] : []),
    ];
    lines.push(`${s.account.padEnd(12)} ${(s.name ?? "").padEnd(8)}  ${flags.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}

export function register(program: Command, setExit: (code: number) => void): void {
  const account = program
    .command("account")
    .description("operators' logins (账号解锁, 密码重置): status, unlock, one-time password; audited");

  account
    .command("status")
    .description("locked accounts, failed-login counts, last login and password age")
    .requiredOption(...STACK)
    .option("--account <account>", "only this account")
    .option("--json", "print the states as JSON")
    .addHelpText("after", "\nExit status: 0 (also when accounts are locked), 1 error.")
    .action(async (options: { stack: string; account?: string; json?: boolean }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const states = await readAccountStates(ctx, options.account);
        if (options.account && states.length === 0)
          throw new Error(
            `account '${options.account}' is neither declared in stack ${ctx.env.name} nor in its database`,
          );
        ctx.out(options.json ? JSON.stringify(states, null, 2) + "\n" : renderStates(ctx, states));
        setExit(0);
      });
    });

  account
    .command("unlock")
    .description("clear an account's lock and failed-login count (one transaction, audited)")
    .requiredOption(...STACK)
    .requiredOption("--account <account>", "the operator's login account (declared in the stack)")
    .requiredOption("--reason <text>", "why (ticket, who called); kept in the audit")
    .addHelpText("after", "\nExit status: 0 unlocked or not locked, 1 error or refused (nothing changed).")
    .action(async (options: { stack: string; account: string; reason: string }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const result = await unlock(ctx, options.account, options.reason);
        ctx.out(
          result.changed
            ? `Unlocked ${options.account} on stack ${ctx.env.name} (was ${result.before.locked ? "locked" : "not locked"}, ${result.before.failedLogins} failed logins; audit #${result.auditId}).\n`
            : `${options.account} is not locked and has no failed logins; nothing was changed.\n`,
        );
        setExit(0);
      });
    });

  account
    .command("reset-password")
    .description(
      "set a strong one-time password (must be changed at the next login) and unlock; shown once on the terminal or written to --out",
    )
    .requiredOption(...STACK)
    .requiredOption("--account <account>", "the operator's login account (declared in the stack)")
    .requiredOption("--reason <text>", "why (ticket, who called); kept in the audit")
    .option("--out <file>", "write the password to this NEW file (mode 0600) instead of the terminal")
    .addHelpText(
      "after",
      "\nExit status: 0 reset, 1 error or refused (nothing changed).\n" +
        "Only the password's hash is stored; the password is in no audit, log or plan. Without a terminal, --out is required.",
    )
    .action(async (options: { stack: string; account: string; reason: string; out?: string }) => {
      const ctx = await openStack(options.stack);
      await scrubbed(ctx, async () => {
        const sink = passwordSink(options.out, Boolean(process.stdout.isTTY), (text) =>
          process.stdout.write(text),
        );
        const { auditId } = await resetAccountPassword(ctx, options.account, options.reason, sink);
        ctx.out(
          `Password of ${options.account} on stack ${ctx.env.name} reset` +
            (sink.kind === "file" ? `; the one-time password is in ${sink.path} (mode 0600)` : "") +
            `; unlocked, must change it at the next login (audit #${auditId}).\n`,
        );
        setExit(0);
      });
    });
}
