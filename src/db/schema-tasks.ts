/**
 * The day-2 tasks' part of the reference schema (appended by reference-schema.ts), and so part of
 * the ADAPTER BOUNDARY to the product:
 *
 * - the product's login state of an operator (`operator_login`, one row per account, written by
 *   the product when someone logs in): password hash, failed-login count, lock, must-change flag,
 *   last login, password change time. It is runtime state, not configuration: no provider reads
 *   or writes it, so plan never proposes a change to it and drift never reports it. It has no
 *   foreign key to `operator`: the product keeps the login record of an account it was told
 *   about, and the sandbox seeds login state before the first apply creates the operators;
 * - the columns of an issued bill that are its fiscal identity (never changed by a data fix);
 * - the tool's records of tasks in `ebill_ops`: the task audit, applied fixes and the before-image
 *   of every row a fix touched.
 */
import { OPS_SCHEMA, parsePartitionName, qualified, quoteIdent, T } from "./reference-schema.ts";

/** The product's login-state table and its columns. */
export const LOGIN = {
  table: "operator_login",
  account: "account",
  passwordHash: "password_hash",
  failedLogins: "failed_logins",
  locked: "locked",
  lockedAt: "locked_at",
  mustChangePassword: "must_change_password",
  lastLoginAt: "last_login_at",
  passwordChangedAt: "password_changed_at",
} as const;

/** The tool's task tables in ebill_ops. */
export const TASK_OPS = {
  audit: "task_audit",
  fixApplied: "fix_applied",
  fixRow: "fix_row",
} as const;

/**
 * An issued bill's fiscal identity, per product table (partitions `bill_<year>` count as their
 * table). These are fiscal records registered with the finance bureau: a wrong one is corrected by
 * red-flush (冲红) in the product, which issues a new bill, never by SQL.
 */
export function fiscalIdentityColumns(table: string): readonly string[] {
  // A function, not a constant: reference-schema.ts imports this module, so T is read at call time.
  const base = parsePartitionName(table)?.table ?? table;
  if (base === T.bill) return ["bill_code", "bill_no", "check_code", "amount", "issued_at"];
  if (base === T.billDetail) return ["bill_code", "bill_no", "issued_at", "amount"];
  return [];
}

/** The tasks' part of the reference schema: the product's login table and the tool's task tables. */
export function tasksSchemaDdl(schema: string): string {
  return loginTableDdl(schema) + taskOpsDdl();
}

/** The product's table: in the sandbox and the tests only; the tool never creates it in a hospital's database. */
function loginTableDdl(schema: string): string {
  return `
-- 账号登录状态: the product's runtime state of an operator's login (never managed by plan/apply).
CREATE TABLE IF NOT EXISTS ${qualified(schema, LOGIN.table)} (
  account              varchar(50) PRIMARY KEY,
  password_hash        text,
  failed_logins        integer     NOT NULL DEFAULT 0,
  locked               boolean     NOT NULL DEFAULT false,
  locked_at            timestamp,
  must_change_password boolean     NOT NULL DEFAULT false,
  last_login_at        timestamp,
  password_changed_at  timestamp
);
`;
}

/** The tool's own task tables in ebill_ops. */
function taskOpsDdl(): string {
  const o = (table: string) => qualified(OPS_SCHEMA, table);
  return `
CREATE SCHEMA IF NOT EXISTS ${quoteIdent(OPS_SCHEMA)};
-- One row per task that changed something (unlock, password reset, fix apply, fix undo).
CREATE TABLE IF NOT EXISTS ${o(TASK_OPS.audit)} (
  id               bigserial   PRIMARY KEY,
  stack            text        NOT NULL,
  task             text        NOT NULL,
  subject          text        NOT NULL,
  actor            text        NOT NULL,
  commit           text,
  at               timestamptz NOT NULL DEFAULT now(),
  reason           text        NOT NULL,
  detail           jsonb       NOT NULL DEFAULT '{}',
  emergency_reason text
);
CREATE INDEX IF NOT EXISTS task_audit_stack_at_idx ON ${o(TASK_OPS.audit)} (stack, at DESC);

-- A data fix, by the sha256 of its definition: applied once (undone_at set when undone).
CREATE TABLE IF NOT EXISTS ${o(TASK_OPS.fixApplied)} (
  hash        text        PRIMARY KEY,
  stack       text        NOT NULL,
  file        text        NOT NULL,
  target      text        NOT NULL,
  rows        integer     NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,
  commit      text,
  undone_at   timestamptz
);

-- The before-image (and what the fix wrote) of every row a fix touched, for undo.
CREATE TABLE IF NOT EXISTS ${o(TASK_OPS.fixRow)} (
  hash    text    NOT NULL REFERENCES ${o(TASK_OPS.fixApplied)} (hash) ON DELETE CASCADE,
  seq     integer NOT NULL,
  op      text    NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
  before  jsonb,
  after   jsonb,
  PRIMARY KEY (hash, seq)
);
`;
}

interface Queryable {
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Creates the tool's task tables when one is missing (a database made by an older ebill-ops).
 * Checked first, not run every time: CREATE ... IF NOT EXISTS still takes locks a running apply
 * holds. The product's login table is never created here: a task that needs it says it is missing.
 */
export async function ensureTasksSchema(db: Queryable): Promise<void> {
  const names = Object.values(TASK_OPS).map((t) => qualified(OPS_SCHEMA, t));
  const { rows } = await db.query<{ ok: boolean }>(
    "SELECT bool_and(to_regclass(n) IS NOT NULL) AS ok FROM unnest($1::text[]) AS n",
    [names],
  );
  if (!rows[0]?.ok) await db.query(taskOpsDdl());
}
