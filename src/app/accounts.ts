/**
 * The account tasks as the commands run them: the stack's database, the acting person and commit
 * for the audit, the hospital's local clock, and the one-time password's way to a person.
 *
 * Account tasks are not held to the change windows: a cashier locked out at 09:00 must work at
 * 09:05, and they change one login row, never the billing. They run under the database's apply
 * lock (a declaration apply and an unlock never interleave) and are audited like every task.
 */
import { open } from "node:fs/promises";
import { actor } from "../base/actor.ts";
import { withClient } from "../db/connect.ts";
import {
  accountStates,
  resetPassword,
  unlockAccount,
  type AccountState,
  type UnlockResult,
} from "../db/accounts.ts";
import { generateOneTimePassword, hashPassword } from "../db/password-hash.ts";
import type { StackContext } from "./context.ts";
import { gitRevision } from "./git.ts";
import { hospitalNow, requireReason, underLock } from "./task-session.ts";

export async function readAccountStates(ctx: StackContext, account?: string): Promise<AccountState[]> {
  return withClient(ctx.env, (db) => accountStates(db, ctx.env, hospitalNow(ctx), account));
}

async function auditOf(ctx: StackContext, reason: string) {
  return { actor: actor(), commit: (await gitRevision(ctx.file)).commit, reason };
}

export async function unlock(ctx: StackContext, account: string, reason: string): Promise<UnlockResult> {
  const audit = await auditOf(ctx, requireReason(reason));
  return underLock(ctx, (db) => unlockAccount(db, ctx.env, hospitalNow(ctx), account, audit));
}

/**
 * Where the one-time password goes: the terminal (stdout is one), or a new file created 0600. A
 * pipe, a CI log or a redirect into a shared file is refused before anything changes.
 */
export type PasswordSink = { kind: "terminal"; write(text: string): void } | { kind: "file"; path: string };

export function passwordSink(
  out: string | undefined,
  stdoutIsTerminal: boolean,
  write: (text: string) => void,
): PasswordSink {
  if (out !== undefined) return { kind: "file", path: out };
  if (stdoutIsTerminal) return { kind: "terminal", write };
  throw new Error(
    "reset-password shows the new password once on a terminal, and there is none here (output goes to a pipe or a log). " +
      "Run it in a terminal, or pass --out FILE (created with mode 0600) and hand the file to the person. Nothing was changed.",
  );
}

/**
 * Sets a new one-time password. The file is created (exclusively, 0600) and written BEFORE the
 * database commits and removed if the commit fails, so the account never holds a password nobody
 * received; on the terminal the password is shown after the commit.
 */
export async function resetAccountPassword(
  ctx: StackContext,
  account: string,
  reason: string,
  sink: PasswordSink,
): Promise<{ auditId: number }> {
  const audit = await auditOf(ctx, requireReason(reason));
  const password = generateOneTimePassword();
  const hash = await hashPassword(password);
  const delivered = { file: null as string | null };
  try {
    const result = await underLock(ctx, (db) =>
      resetPassword(db, ctx.env, hospitalNow(ctx), account, hash, audit, async () => {
        if (sink.kind !== "file") return;
        const handle = await open(sink.path, "wx", 0o600).catch((error: NodeJS.ErrnoException) => {
          throw new Error(
            error.code === "EEXIST"
              ? `${sink.path} exists already; the password goes only into a new file. Nothing was changed.`
              : `cannot create ${sink.path}: ${error.message}. Nothing was changed.`,
          );
        });
        delivered.file = sink.path;
        try {
          await handle.writeFile(`${password}\n`);
        } finally {
          await handle.close();
        }
      }),
    );
    if (sink.kind === "terminal")
      sink.write(
        `One-time password for ${account} (shown once; the person must change it at the next login):\n\n    ${password}\n\n`,
      );
    return result;
  } catch (error) {
    if (delivered.file) {
      const { rm } = await import("node:fs/promises");
      await rm(delivered.file, { force: true });
    }
    throw error;
  }
}
