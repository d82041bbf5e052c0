/**
 * Operators' login state (账号解锁, 密码重置): read it, clear a lock, set a one-time password. Each
 * change runs in ONE transaction on the caller's session with its audit row (who, when, commit,
 * reason); the password itself never reaches this module's SQL or the audit, only its hash.
 *
 * An account must be declared in the stack, enabled there and present (and enabled) in the
 * database: the tool does not unlock an account the hospital's configuration does not know, or
 * one that was switched off on purpose.
 */
import type { Environment } from "../model/environment.ts";
import type { Db } from "./providers/types.ts";
import { qualified, schemaOf, T } from "./reference-schema.ts";
import { LOGIN } from "./schema-tasks.ts";
import { insertTaskAudit, type TaskRecord } from "./task-audit.ts";

export interface AccountState {
  account: string;
  name: string | null;
  /** Declared in the stack (false: an account only the database has). */
  declared: boolean;
  /** The operator row exists in the database. */
  inDatabase: boolean;
  /** Enabled in the stack and in the database. */
  enabled: boolean;
  locked: boolean;
  /** Local time `YYYY-MM-DD HH:MM:SS` or null. */
  lockedAt: string | null;
  failedLogins: number;
  lastLoginAt: string | null;
  passwordChangedAt: string | null;
  /** Whole days since the password was set, at the hospital's local `now`; null when unknown. */
  passwordAgeDays: number | null;
  mustChangePassword: boolean;
  hasPassword: boolean;
}

const LOCAL = (column: string) => `to_char(l.${column}, 'YYYY-MM-DD HH24:MI:SS')`;

/**
 * Every account the stack declares or the database has (or just `account`), sorted. `localNow` is
 * the hospital's local time `YYYY-MM-DD HH:MM:SS` the password age is counted to.
 */
/**
 * Reading states changes nothing, not even the schema: when the product's login table is missing
 * (not the e-bill database, or a product version without it) this says so instead of creating it.
 */
async function requireLoginTable(db: Db, env: Environment): Promise<void> {
  const table = qualified(schemaOf(env), LOGIN.table);
  const { rows } = await db.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [table]);
  if (!rows[0]?.ok)
    throw new Error(
      `the product's login table ${table} does not exist in database ${env.database.name} on ${env.database.host}: ` +
        `account states are read from it. Check that database.name and database.schema of stack ${env.name} name the e-bill database; nothing was changed`,
    );
}

export async function accountStates(
  db: Db,
  env: Environment,
  localNow: string,
  account?: string,
): Promise<AccountState[]> {
  await requireLoginTable(db, env);
  const schema = schemaOf(env);
  const declared = (env.operators ?? []).filter((o) => account === undefined || o.account === account);
  const { rows } = await db.query<{
    account: string;
    name: string | null;
    in_database: boolean;
    db_enabled: boolean | null;
    locked: boolean | null;
    locked_at: string | null;
    failed_logins: number | null;
    last_login_at: string | null;
    password_changed_at: string | null;
    age_days: number | null;
    must_change_password: boolean | null;
    has_password: boolean;
  }>(
    `WITH wanted AS (
       SELECT unnest($1::text[]) AS account
       UNION SELECT o.account FROM ${qualified(schema, T.operator)} o WHERE $2::text IS NULL OR o.account = $2
       UNION SELECT l.account FROM ${qualified(schema, LOGIN.table)} l WHERE $2::text IS NULL OR l.account = $2)
     SELECT w.account, o.name, o.account IS NOT NULL AS in_database, o.enabled AS db_enabled,
            l.locked, ${LOCAL(LOGIN.lockedAt)} AS locked_at, l.failed_logins,
            ${LOCAL(LOGIN.lastLoginAt)} AS last_login_at, ${LOCAL(LOGIN.passwordChangedAt)} AS password_changed_at,
            floor(extract(epoch FROM ($3::timestamp - l.password_changed_at)) / 86400)::int AS age_days,
            l.must_change_password, l.password_hash IS NOT NULL AS has_password
       FROM wanted w
       LEFT JOIN ${qualified(schema, T.operator)} o ON o.account = w.account
       LEFT JOIN ${qualified(schema, LOGIN.table)} l ON l.account = w.account
      ORDER BY w.account`,
    [declared.map((o) => o.account), account ?? null, localNow],
  );
  const byAccount = new Map(declared.map((o) => [o.account, o]));
  return rows.map((r) => {
    const d = byAccount.get(r.account);
    return {
      account: r.account,
      name: d?.name ?? r.name,
      declared: d !== undefined,
      inDatabase: r.in_database,
      enabled: (d?.enabled ?? true) && r.db_enabled !== false,
      locked: r.locked ?? false,
      lockedAt: r.locked_at,
      failedLogins: r.failed_logins ?? 0,
      lastLoginAt: r.last_login_at,
      passwordChangedAt: r.password_changed_at,
      passwordAgeDays: r.age_days,
      mustChangePassword: r.must_change_password ?? false,
      hasPassword: r.has_password,
    };
  });
}

/** Throws, saying what to do, unless `account` is declared, enabled, and present in the database. */
function requireActionable(env: Environment, account: string, state: AccountState | undefined): void {
  const declared = (env.operators ?? []).find((o) => o.account === account);
  const nothing = " Nothing was changed.";
  if (!declared)
    throw new Error(
      `account '${account}' is not declared in stack ${env.name} (operators); only declared accounts are unlocked or reset. ` +
        `Check the spelling, or declare the operator through a pull request first.${nothing}`,
    );
  if (!declared.enabled)
    throw new Error(
      `account '${account}' is disabled in stack ${env.name} (operators[].enabled: false); it stays locked out on purpose. ` +
        `Enable it through a pull request if it should work again.${nothing}`,
    );
  if (!state?.inDatabase)
    throw new Error(
      `account '${account}' is declared but not in the database of stack ${env.name} yet; run 'ebill-ops apply --stack ${env.name}' first.${nothing}`,
    );
  if (!state.enabled)
    throw new Error(
      `account '${account}' is disabled in the database of stack ${env.name}; run 'ebill-ops plan --stack ${env.name}' to see the difference.${nothing}`,
    );
}

type Audit = Omit<TaskRecord, "task" | "subject" | "detail" | "stack">;

async function inTransaction<T>(db: Db, body: () => Promise<T>): Promise<T> {
  await db.query("BEGIN");
  try {
    const result = await body();
    await db.query("COMMIT");
    return result;
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** The account's state with its login row locked FOR UPDATE (a login arriving now waits). */
async function lockedState(db: Db, env: Environment, localNow: string, account: string) {
  await requireLoginTable(db, env);
  await db.query(
    `SELECT 1 FROM ${qualified(schemaOf(env), LOGIN.table)} WHERE ${LOGIN.account} = $1 FOR UPDATE`,
    [account],
  );
  const [state] = await accountStates(db, env, localNow, account);
  requireActionable(env, account, state);
  return state!;
}

export interface UnlockResult {
  /** False when the account was neither locked nor had failed logins: nothing changed, nothing audited. */
  changed: boolean;
  before: { locked: boolean; failedLogins: number; lockedAt: string | null };
  auditId?: number;
}

/** Clears the lock and the failed-login count, with the audit, in one transaction. */
export async function unlockAccount(
  db: Db,
  env: Environment,
  localNow: string,
  account: string,
  audit: Audit,
): Promise<UnlockResult> {
  return inTransaction(db, async () => {
    const state = await lockedState(db, env, localNow, account);
    const before = { locked: state.locked, failedLogins: state.failedLogins, lockedAt: state.lockedAt };
    if (!state.locked && state.failedLogins === 0) return { changed: false, before };
    await db.query(
      `UPDATE ${qualified(schemaOf(env), LOGIN.table)}
          SET ${LOGIN.locked} = false, ${LOGIN.lockedAt} = NULL, ${LOGIN.failedLogins} = 0
        WHERE ${LOGIN.account} = $1`,
      [account],
    );
    const auditId = await insertTaskAudit(db, {
      ...audit,
      stack: env.name,
      task: "account.unlock",
      subject: account,
      detail: { before, after: { locked: false, failedLogins: 0, lockedAt: null } },
    });
    return { changed: true, before, auditId };
  });
}

/**
 * Stores `passwordHash` (never the password), sets must-change-password and unlocks, with the
 * audit, in one transaction. `beforeCommit` runs last inside it: the caller hands the password to
 * the person there, so a password that could not be delivered is never the account's.
 */
export async function resetPassword(
  db: Db,
  env: Environment,
  localNow: string,
  account: string,
  passwordHash: string,
  audit: Audit,
  beforeCommit: () => Promise<void>,
): Promise<{ auditId: number }> {
  return inTransaction(db, async () => {
    const state = await lockedState(db, env, localNow, account);
    await db.query(
      `INSERT INTO ${qualified(schemaOf(env), LOGIN.table)} AS l
              (${LOGIN.account}, ${LOGIN.passwordHash}, ${LOGIN.mustChangePassword}, ${LOGIN.passwordChangedAt},
               ${LOGIN.locked}, ${LOGIN.lockedAt}, ${LOGIN.failedLogins})
       VALUES ($1, $2, true, $3::timestamp, false, NULL, 0)
       ON CONFLICT (${LOGIN.account}) DO UPDATE
          SET ${LOGIN.passwordHash} = EXCLUDED.${LOGIN.passwordHash}, ${LOGIN.mustChangePassword} = true,
              ${LOGIN.passwordChangedAt} = EXCLUDED.${LOGIN.passwordChangedAt}, ${LOGIN.locked} = false,
              ${LOGIN.lockedAt} = NULL, ${LOGIN.failedLogins} = 0`,
      [account, passwordHash, localNow],
    );
    const auditId = await insertTaskAudit(db, {
      ...audit,
      stack: env.name,
      task: "account.reset-password",
      subject: account,
      detail: {
        before: {
          locked: state.locked,
          failedLogins: state.failedLogins,
          mustChangePassword: state.mustChangePassword,
        },
        after: { locked: false, failedLogins: 0, mustChangePassword: true },
      },
    });
    await beforeCommit();
    return { auditId };
  });
}
