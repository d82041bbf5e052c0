/**
 * The product's reference schema: the tables of the e-bill system (Boss e-bill platform V1.0) that
 * the database providers manage. This module is the ADAPTER BOUNDARY to the real product: every
 * table and column name the tool uses is defined here and nowhere else, so adapting to a product
 * release (or to KingbaseES / openGauss naming) means changing this file only.
 *
 * Two schemas:
 * - the product schema, named by `env.database.schema` (default `ebill`): basic information
 *   (基础信息) and the issued bills;
 * - `ebill_ops`, owned by this tool: the apply audit and the current lock holder.
 *
 * Design choices worth knowing:
 * - Issued bills carry codes (bill code, place code, channel code) as plain values, not foreign
 *   keys: a bill is a historical record and stays valid when the configuration moves on. The
 *   planner therefore checks "is it used by issued bills" itself and disables instead of deleting.
 * - Child rows of one configuration object (a point's bill codes, a role's permissions, an
 *   operator's roles and places) live in link tables with ON DELETE CASCADE to their owner, so they
 *   are written and removed together with it.
 * - `bill.issued_at` is local hospital time (timestamp without time zone), as the product records
 *   it; the yearly partitions are bounded by local 1 January.
 */
import type { Environment } from "../model/environment.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";
import { serviceSchemaDdl } from "./schema-service.ts";
import { tasksSchemaDdl } from "./schema-tasks.ts";

export const DEFAULT_SCHEMA = "ebill";
/** The tool's own schema: audit records and the lock holder. Never touched by the product. */
export const OPS_SCHEMA = "ebill_ops";

/** Table names of the product schema. */
export const T = {
  billType: "bill_type",
  printTemplate: "print_template",
  invoicingPoint: "invoicing_point",
  invoicingPointBillType: "invoicing_point_bill_type",
  paymentChannel: "payment_channel",
  codeMapping: "code_mapping",
  billStock: "bill_stock",
  role: "role",
  rolePermission: "role_permission",
  operator: "operator",
  operatorRole: "operator_role",
  operatorPlace: "operator_place",
  /** Partitioned by issue year; see PARTITIONED_TABLES in the model. */
  bill: "bill",
  billDetail: "bill_detail",
} as const;

/** Table names of the tool's schema. */
export const OPS = {
  audit: "apply_audit",
  lockHolder: "lock_holder",
  owner: "owner",
  changeList: "change_list",
  disabledByTool: "disabled_by_tool",
  disabledThrough: "disabled_through",
} as const;

export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** Bill states of the product: a voided (作废) bill keeps its number; red-flush issues a new bill. */
export const BILL_STATES = ["normal", "voided"] as const;

export function schemaOf(env: Pick<Environment, "database">): string {
  return env.database.schema ?? DEFAULT_SCHEMA;
}

/** `"schema"."table"` with both parts quoted (identifiers never reach SQL unquoted). */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Quotes an SQL identifier (doubles embedded quotes); same rule as pg's escapeIdentifier. */
export function quoteIdent(name: string): string {
  if (name.includes("\0")) throw new Error(`identifier contains a NUL character: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal, for the few DDL places that accept no parameters (LOCATION). */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) throw new Error(`value contains a NUL character: ${JSON.stringify(value)}`);
  // E'' with backslashes doubled is correct whatever standard_conforming_strings says.
  const body = value.replace(/\\/g, "\\\\").replace(/'/g, "''");
  return value.includes("\\") ? `E'${body}'` : `'${body}'`;
}

/** Name of a yearly partition: `<table>_<year>`, e.g. `bill_2026`. */
export function partitionName(table: PartitionedTable, year: number): string {
  return `${table}_${year}`;
}

/** `bill_2026` -> {table: "bill", year: 2026}; null for anything that is not a yearly partition. */
export function parsePartitionName(name: string): { table: PartitionedTable; year: number } | null {
  const match = /^(.+)_(\d{4})$/.exec(name);
  if (!match) return null;
  const table = PARTITIONED_TABLES.find((t) => t === match[1]);
  return table ? { table, year: Number(match[2]) } : null;
}

/** The range bounds of a year's partition (local time, upper bound exclusive). */
export function partitionBounds(year: number): { from: string; to: string } {
  return { from: `${year}-01-01 00:00:00`, to: `${year + 1}-01-01 00:00:00` };
}

/**
 * The years a partition's bound covers, read back from PostgreSQL's text of it
 * (pg_get_expr(relpartbound)); the upper bound is exclusive, so one ending at 1 January 00:00 does
 * not cover that year. A bound this tool did not write (a list or hash partition) covers none.
 */
export function yearsOfBound(bound: string): number[] {
  const m = /FROM \('(\d{4})-(\d{2})-(\d{2})[^']*'\) TO \('(\d{4})-(\d{2})-(\d{2})([^']*)'\)/.exec(bound);
  if (!m) return [];
  const toIsNewYear = m[5] === "01" && m[6] === "01" && /^( 00:00:00)?$/.test(m[7] ?? "");
  const to = Number(m[4]) - (toIsNewYear ? 1 : 0);
  const years: number[] = [];
  for (let y = Number(m[1]); y <= to; y++) years.push(y);
  return years;
}

/** DDL of a yearly partition, placed in the year's tablespace. Year is an integer, names quoted. */
export function partitionDdl(
  schema: string,
  table: PartitionedTable,
  year: number,
  tablespace: string,
): string {
  if (!Number.isInteger(year)) throw new Error(`partition year must be an integer, got ${year}`);
  const { from, to } = partitionBounds(year);
  return (
    `CREATE TABLE ${qualified(schema, partitionName(table, year))} PARTITION OF ${qualified(schema, table)} ` +
    `FOR VALUES FROM ('${from}') TO ('${to}') TABLESPACE ${quoteIdent(tablespace)}`
  );
}

/**
 * The DDL of the product schema, idempotent (IF NOT EXISTS everywhere), one string that
 * can be sent in one round trip. Yearly partitions are NOT part of it: they are managed objects
 * (the `partitions` kind), created in their year's tablespace.
 */
export function productSchemaDdl(schema: string = DEFAULT_SCHEMA): string {
  const s = (table: string) => qualified(schema, table);
  const states = BILL_STATES.map((x) => `'${x}'`).join(", ");
  return `
CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};

-- 票据种类: the 8-digit bill code carries the year, so every year has its own rows.
CREATE TABLE IF NOT EXISTS ${s(T.billType)} (
  code      char(8)     PRIMARY KEY,
  name      text        NOT NULL,
  kind      text        NOT NULL,
  year      integer     NOT NULL,
  enabled   boolean     NOT NULL DEFAULT true,
  example   boolean     NOT NULL DEFAULT false
);

-- 打印模板: one per bill type (and so per year).
CREATE TABLE IF NOT EXISTS ${s(T.printTemplate)} (
  bill_code char(8)     PRIMARY KEY,
  name      text        NOT NULL,
  version   text        NOT NULL,
  paper     text        NOT NULL
);

-- 开票点 (placeCode): '001' campuses, '00000' self-service kiosk.
CREATE TABLE IF NOT EXISTS ${s(T.invoicingPoint)} (
  code      varchar(50) PRIMARY KEY,
  name      text        NOT NULL,
  enabled   boolean     NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS ${s(T.invoicingPointBillType)} (
  place_code varchar(50) NOT NULL REFERENCES ${s(T.invoicingPoint)} (code) ON DELETE CASCADE,
  bill_code  char(8)     NOT NULL,
  PRIMARY KEY (place_code, bill_code)
);

-- 缴费渠道 (payChannelCode).
CREATE TABLE IF NOT EXISTS ${s(T.paymentChannel)} (
  code      varchar(50) PRIMARY KEY,
  name      text        NOT NULL,
  kind      text        NOT NULL,
  enabled   boolean     NOT NULL DEFAULT true
);

-- 接口对照: local code <-> the other system's code, per system and kind.
CREATE TABLE IF NOT EXISTS ${s(T.codeMapping)} (
  system      text        NOT NULL,
  kind        text        NOT NULL,
  local_code  varchar(50) NOT NULL,
  remote_code varchar(50) NOT NULL,
  remote_name text,
  PRIMARY KEY (system, kind, local_code)
);

-- 票据号段: a range of 10-digit numbers of one bill code and batch, distributed (下发) to a point.
-- 'enabled' is the product's own flag: a range that bills were issued from is disabled, never deleted.
CREATE TABLE IF NOT EXISTS ${s(T.billStock)} (
  bill_code  char(8)     NOT NULL,
  batch      varchar(30) NOT NULL,
  first_no   char(10)    NOT NULL,
  last_no    char(10)    NOT NULL,
  place_code varchar(50) NOT NULL,
  purpose    text        NOT NULL DEFAULT 'issue',
  enabled    boolean     NOT NULL DEFAULT true,
  PRIMARY KEY (bill_code, batch, first_no),
  CHECK (first_no <= last_no)
);

-- 角色与权限.
CREATE TABLE IF NOT EXISTS ${s(T.role)} (
  code      varchar(50) PRIMARY KEY,
  name      text        NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s(T.rolePermission)} (
  role_code  varchar(50) NOT NULL REFERENCES ${s(T.role)} (code) ON DELETE CASCADE,
  permission varchar(63) NOT NULL,
  PRIMARY KEY (role_code, permission)
);

-- 操作员, their roles and the invoicing points they work at.
CREATE TABLE IF NOT EXISTS ${s(T.operator)} (
  account   varchar(50) PRIMARY KEY,
  name      text        NOT NULL,
  enabled   boolean     NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS ${s(T.operatorRole)} (
  account   varchar(50) NOT NULL REFERENCES ${s(T.operator)} (account) ON DELETE CASCADE,
  role_code varchar(50) NOT NULL REFERENCES ${s(T.role)} (code) ON DELETE CASCADE,
  PRIMARY KEY (account, role_code)
);
CREATE TABLE IF NOT EXISTS ${s(T.operatorPlace)} (
  account    varchar(50) NOT NULL REFERENCES ${s(T.operator)} (account) ON DELETE CASCADE,
  place_code varchar(50) NOT NULL REFERENCES ${s(T.invoicingPoint)} (code) ON DELETE CASCADE,
  PRIMARY KEY (account, place_code)
);

-- Issued bills, partitioned by local issue time; one partition per year (${T.bill}_<year>).
CREATE TABLE IF NOT EXISTS ${s(T.bill)} (
  bill_code    char(8)       NOT NULL,
  bill_no      char(10)      NOT NULL,
  check_code   char(6)       NOT NULL,
  place_code   varchar(50)   NOT NULL,
  channel_code varchar(50)   NOT NULL,
  amount       numeric(12,2) NOT NULL,
  issued_at    timestamp     NOT NULL,
  state        text          NOT NULL DEFAULT 'normal' CHECK (state IN (${states})),
  PRIMARY KEY (bill_code, bill_no, issued_at)
) PARTITION BY RANGE (issued_at);
CREATE INDEX IF NOT EXISTS bill_place_code_idx ON ${s(T.bill)} (place_code);
CREATE INDEX IF NOT EXISTS bill_channel_code_idx ON ${s(T.bill)} (channel_code);

-- 收费明细: the itemised lines of a bill, partitioned like the bills.
CREATE TABLE IF NOT EXISTS ${s(T.billDetail)} (
  bill_code  char(8)       NOT NULL,
  bill_no    char(10)      NOT NULL,
  issued_at  timestamp     NOT NULL,
  line_no    integer       NOT NULL,
  item_name  text          NOT NULL,
  amount     numeric(12,2) NOT NULL,
  PRIMARY KEY (bill_code, bill_no, issued_at, line_no)
) PARTITION BY RANGE (issued_at);
`;
}

/** The tool's own schema (audit and lock holder), idempotent: apply and the audit create it when missing. */
export function opsSchemaDdl(): string {
  const o = (table: string) => qualified(OPS_SCHEMA, table);
  return `
CREATE SCHEMA IF NOT EXISTS ${quoteIdent(OPS_SCHEMA)};

-- The tool's audit: one row per apply, successful or not.
CREATE TABLE IF NOT EXISTS ${o(OPS.audit)} (
  id               bigserial   PRIMARY KEY,
  stack            text        NOT NULL,
  commit           text,
  actor            text        NOT NULL,
  at               timestamptz NOT NULL DEFAULT now(),
  plan_hash        text        NOT NULL,
  changes          jsonb       NOT NULL,
  result           text        NOT NULL,
  error            text,
  emergency_reason text
);
CREATE INDEX IF NOT EXISTS apply_audit_stack_at_idx ON ${o(OPS.audit)} (stack, at DESC);
-- Added later; a database audited by an older ebill-ops gains them on its next apply.
-- at is the real time; rehearsed_at the EBILL_OPS_TODAY instant the apply was judged by, if any.
ALTER TABLE ${o(OPS.audit)} ADD COLUMN IF NOT EXISTS rehearsed_at timestamptz;
ALTER TABLE ${o(OPS.audit)} ADD COLUMN IF NOT EXISTS dirty boolean NOT NULL DEFAULT false;
ALTER TABLE ${o(OPS.audit)} ADD COLUMN IF NOT EXISTS diff_hash text;
-- True when the row was committed in the same transaction as the database changes it lists.
ALTER TABLE ${o(OPS.audit)} ADD COLUMN IF NOT EXISTS db_committed boolean NOT NULL DEFAULT false;
-- The changes a record lists, from this version on: stored once per apply in change_list and named
-- by every record of that apply. Records written by older versions keep theirs in \`changes\`
-- (jsonb); newer ones write '[]' there.
ALTER TABLE ${o(OPS.audit)} ADD COLUMN IF NOT EXISTS change_list_id bigint;
-- json keeps the text as written, where jsonb parses and rebuilds it; written on a connection of
-- its own and committed before the record that names it (src/db/audit.ts says why).
CREATE TABLE IF NOT EXISTS ${o(OPS.changeList)} (
  id      bigserial   PRIMARY KEY,
  stack   text        NOT NULL,
  at      timestamptz NOT NULL DEFAULT now(),
  changes json        NOT NULL
);

-- The rows ebill-ops itself disabled: the last change the audit records for the row set it
-- disabled. Kept by the write layer in the apply's transaction, so a plan tells them from rows a
-- person disabled in the product without reading the audit history.
CREATE TABLE IF NOT EXISTS ${o(OPS.disabledByTool)} (
  stack    text   NOT NULL,
  kind     text   NOT NULL,
  id       text   NOT NULL,
  audit_id bigint NOT NULL,
  PRIMARY KEY (stack, kind, id)
);
-- The newest audit record the table above accounts for, per stack. Records after it (written by an
-- ebill-ops older than the table) are read from the audit, and folded in by the next apply.
CREATE TABLE IF NOT EXISTS ${o(OPS.disabledThrough)} (
  stack    text   PRIMARY KEY,
  audit_id bigint NOT NULL
);

-- Who holds the database's apply lock (the lock itself is a PostgreSQL advisory lock, one per
-- database; this row only names the holder for the message a second apply prints).
CREATE TABLE IF NOT EXISTS ${o(OPS.lockHolder)} (
  stack      text        PRIMARY KEY,
  actor      text        NOT NULL,
  host       text        NOT NULL,
  pid        integer     NOT NULL,
  since      timestamptz NOT NULL,
  backend_pid integer    NOT NULL
);

-- The one stack that manages this database. A second stack pointed at it would plan the first
-- one's objects away; it is refused, naming this owner.
CREATE TABLE IF NOT EXISTS ${o(OPS.owner)} (
  one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
  stack      text        NOT NULL,
  actor      text        NOT NULL,
  since      timestamptz NOT NULL DEFAULT now()
);
`;
}

/** Anything that runs a query (a pg.Client); kept structural so this module needs no driver. */
interface Queryable {
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Creates or upgrades the tool's schema only when something is missing. Running the DDL every
 * time would not be harmless: CREATE INDEX IF NOT EXISTS and ALTER TABLE take table locks that
 * wait for a running apply's uncommitted audit row, so a second apply would hang on them instead
 * of failing at once on the advisory lock with the holder's name.
 */
export async function ensureOpsSchema(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($4) IS NOT NULL
            AND to_regclass($5) IS NOT NULL AND to_regclass($6) IS NOT NULL
            AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($3) AND attname = 'change_list_id') AS ok`,
    [
      qualified(OPS_SCHEMA, OPS.owner),
      qualified(OPS_SCHEMA, OPS.lockHolder),
      qualified(OPS_SCHEMA, OPS.audit),
      qualified(OPS_SCHEMA, OPS.disabledThrough),
      qualified(OPS_SCHEMA, OPS.disabledByTool),
      qualified(OPS_SCHEMA, OPS.changeList),
    ],
  );
  if (!rows[0]?.ok) await db.query(opsSchemaDdl());
}

/** Both schemas: what the sandbox and the test harness create in an empty database. */
export function referenceSchemaDdl(schema: string = DEFAULT_SCHEMA): string {
  return productSchemaDdl(schema) + serviceSchemaDdl(schema) + opsSchemaDdl() + tasksSchemaDdl(schema);
}
