/**
 * The sandbox hospital's data: the reference schema, the current fiscal year's storage and basic
 * information that issued bills need, and a few thousand issued bills, so that deleting something
 * in use has consequences (and the year-end carry-over has real used / unused ranges).
 *
 * WHAT THE SEED WRITES (from the stack it is given: stacks/sandbox.ts, whose fiscal year is the
 * current year, or in tests test/fixtures/stacks/sandbox.ts, 2026):
 * - the reference schema (src/db/reference-schema.ts) and the tool schema `ebill_ops`;
 * - the tablespaces and partitions the stack declares for `hospital.fiscalYear`;
 * - bill types, invoicing points (with their bill codes), payment channels and bill stock exactly
 *   as declared: the hospital "as it runs today". Print templates, code mappings, roles and
 *   operators are left out on purpose, so the first `plan` of a fresh sandbox has work to show.
 *
 * WHICH BILL NUMBERS ARE USED (exact; the carry-over report is tested against this):
 * - every stock range with purpose "issue" whose bill type belongs to the fiscal year is used from
 *   its first number on, contiguously: the first ceil(size / 20) numbers (5 %, rounded up), where
 *   size = last - first + 1. Ranges with purpose "exchange" and other years' ranges are untouched;
 * - within a used run, the bill at 1-based position k is voided (作废) when k % 50 == 0 (the 50th,
 *   100th, ...); voided bills keep their number, so they count as used;
 * - with the sandbox shape, here of 2026 (test/fixtures/stacks/sandbox.ts; stacks/sandbox.ts gives
 *   the same numbers under the current year's codes):
 *     46060126 / 2026-01 / 0000000001-0000050000 at 001:   0000000001-0000002500 used (2,500; 50 voided)
 *     46060126 / 2026-01 / 0000050001-0000060000 at 00000: 0000050001-0000050500 used (500; 10 voided)
 *     46060226 / 2026-01 / 0000000001-0000010000 at 002:   0000000001-0000000500 used (500; 10 voided)
 *   3,500 bills, 70 voided; unused: 0000002501-0000050000, 0000050501-0000060000, 0000000501-0000010000.
 * - bill at position k (0-based i = k - 1) of a run of n: channel = the declared payment channel
 *   codes sorted, taken round-robin by i; issued at local time fiscalYear-01-01 08:00 plus
 *   floor(i * 300 / n) days and (i * 7) % 600 minutes (so within the first 300 days, 08:00-17:59);
 *   check code = first 6 hex digits of sha256("<billCode><billNo>"); amount in fen = 1000 +
 *   (number * 7919) % 49000; one detail line, two when i % 3 == 0 (60 % / 40 % of the amount).
 *
 * LOGIN STATE (the product's operator_login, see src/db/schema-tasks.ts), for every declared
 * operator, sorted by account, at 0-based position k: a password known to nobody (the hash of 32
 * random bytes), last login fiscalYear-03-01 08:15; k even: locked since fiscalYear-03-02 08:30
 * after 5 failed logins; k % 3 == 1: password set (fiscalYear - 1)-06-01, an old one; otherwise
 * set fiscalYear-01-02.
 */
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { BillStock, DatabaseKind, Environment } from "../model/environment.ts";
import { PARTITIONED_TABLES } from "../model/environment.ts";
import type { Change, Fields } from "../plan/types.ts";
import { T, partitionName, qualified, referenceSchemaDdl, schemaOf } from "./reference-schema.ts";
import { providerOf } from "./providers/index.ts";
import { createTablespaces, tablespaces as tablespacesProvider } from "./providers/storage.ts";
import type { Db } from "./providers/types.ts";
import { hashPassword } from "./password-hash.ts";
import { LOGIN } from "./schema-tasks.ts";

export const SEED_USED_SHARE_DIVISOR = 20;
export const SEED_VOID_EVERY = 50;
const SEED_DAYS = 300;
const ITEMS = ["诊察费", "检查费", "化验费", "西药费", "中成药费", "治疗费"];

export interface SeededRange {
  billCode: string;
  batch: string;
  place: string;
  first: string;
  last: string;
  /** Used numbers: first .. lastUsed (contiguous). */
  used: number;
  lastUsed: string;
  voided: string[];
}

export interface SeedBill {
  billCode: string;
  billNo: string;
  checkCode: string;
  place: string;
  channel: string;
  amountFen: number;
  issuedAt: string;
  state: "normal" | "voided";
  lines: { lineNo: number; item: string; amountFen: number }[];
}

const pad10 = (n: number) => String(n).padStart(10, "0");

function yearOfBillCode(env: Environment, billCode: string): number {
  const declared = env.billTypes?.find((t) => t.code === billCode);
  return declared ? declared.year : 2000 + Number(billCode.slice(6, 8));
}

/** Which numbers of which ranges the seed uses (pure; see the header comment). */
export function seededRanges(env: Environment): SeededRange[] {
  const year = env.hospital.fiscalYear;
  return (env.billStock ?? [])
    .filter((s: BillStock) => s.purpose === "issue" && yearOfBillCode(env, s.billCode) === year)
    .map((s) => {
      const first = Number(s.first);
      const size = Number(s.last) - first + 1;
      const used = Math.ceil(size / SEED_USED_SHARE_DIVISOR);
      const voided: string[] = [];
      for (let k = SEED_VOID_EVERY; k <= used; k += SEED_VOID_EVERY) voided.push(pad10(first + k - 1));
      return {
        billCode: s.billCode,
        batch: s.batch,
        place: s.place,
        first: s.first,
        last: s.last,
        used,
        lastUsed: pad10(first + used - 1),
        voided,
      };
    });
}

function localTime(year: number, days: number, minutes: number): string {
  const t = new Date(Date.UTC(year, 0, 1, 8, 0) + days * 86_400_000 + minutes * 60_000);
  return t.toISOString().slice(0, 19).replace("T", " ");
}

/** Every seeded bill, deterministic (see the header comment). */
export function seedBills(env: Environment): SeedBill[] {
  const year = env.hospital.fiscalYear;
  const channels = (env.paymentChannels ?? []).map((c) => c.code).sort();
  if (channels.length === 0) channels.push("02");
  const bills: SeedBill[] = [];
  for (const range of seededRanges(env)) {
    const first = Number(range.first);
    for (let i = 0; i < range.used; i++) {
      const number = first + i;
      const billNo = pad10(number);
      const amountFen = 1000 + ((number * 7919) % 49000);
      const lines =
        i % 3 === 0
          ? [
              { lineNo: 1, item: ITEMS[i % ITEMS.length]!, amountFen: Math.floor(amountFen * 0.6) },
              {
                lineNo: 2,
                item: ITEMS[(i + 1) % ITEMS.length]!,
                amountFen: amountFen - Math.floor(amountFen * 0.6),
              },
            ]
          : [{ lineNo: 1, item: ITEMS[i % ITEMS.length]!, amountFen }];
      bills.push({
        billCode: range.billCode,
        billNo,
        checkCode: createHash("sha256")
          .update(range.billCode + billNo)
          .digest("hex")
          .slice(0, 6),
        place: range.place,
        channel: channels[i % channels.length]!,
        amountFen,
        issuedAt: localTime(year, Math.floor((i * SEED_DAYS) / range.used), (i * 7) % 600),
        state: (i + 1) % SEED_VOID_EVERY === 0 ? "voided" : "normal",
        lines,
      });
    }
  }
  return bills;
}

const fen = (n: number) => (n / 100).toFixed(2);

/** The kinds the seed writes as declared: what issued bills need ("the hospital as it runs today"). */
const SEEDED_KINDS = ["billTypes", "invoicingPoints", "paymentChannels", "billStock"] as const;

/** Every declared object of `kind` (those passing `keep`) as a create, written by the kind's provider. */
async function writeDeclared(
  db: Db,
  env: Environment,
  kind: DatabaseKind,
  keep: (fields: Fields) => boolean = () => true,
): Promise<void> {
  const provider = providerOf(kind);
  const changes: Change[] = (provider.declared(env) ?? [])
    .filter((d) => keep(d.fields))
    .map((d) => ({ kind, id: d.id, action: "create", destructive: false, before: null, after: d.fields }));
  if (changes.length > 0) await provider.write(db, { env, schema: schemaOf(env) }, changes);
}

/** The seeded bills and their lines, each table in one statement. */
async function insertBills(db: Db, schema: string, bills: readonly SeedBill[]): Promise<void> {
  await db.query(
    `INSERT INTO ${qualified(schema, T.bill)}
       (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at, state)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::timestamp[], $8::text[])`,
    [
      bills.map((b) => b.billCode),
      bills.map((b) => b.billNo),
      bills.map((b) => b.checkCode),
      bills.map((b) => b.place),
      bills.map((b) => b.channel),
      bills.map((b) => fen(b.amountFen)),
      bills.map((b) => b.issuedAt),
      bills.map((b) => b.state),
    ],
  );
  const lines = bills.flatMap((b) => b.lines.map((l) => ({ ...l, bill: b })));
  await db.query(
    `INSERT INTO ${qualified(schema, T.billDetail)} (bill_code, bill_no, issued_at, line_no, item_name, amount)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::int[], $5::text[], $6::numeric[])`,
    [
      lines.map((l) => l.bill.billCode),
      lines.map((l) => l.bill.billNo),
      lines.map((l) => l.bill.issuedAt),
      lines.map((l) => l.lineNo),
      lines.map((l) => l.item),
      lines.map((l) => fen(l.amountFen)),
    ],
  );
}

/** The declared operators' login state (see the header), in one statement. */
async function insertLoginStates(db: Db, env: Environment): Promise<void> {
  const year = env.hospital.fiscalYear;
  const accounts = (env.operators ?? []).map((o) => o.account).sort();
  const hashes = await Promise.all(accounts.map(() => hashPassword(randomBytes(32).toString("base64"))));
  await db.query(
    `INSERT INTO ${qualified(schemaOf(env), LOGIN.table)}
       (account, password_hash, failed_logins, locked, locked_at, last_login_at, password_changed_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bool[], $5::timestamp[], $6::timestamp[], $7::timestamp[])`,
    [
      accounts,
      hashes,
      accounts.map((_, k) => (k % 2 === 0 ? 5 : 0)),
      accounts.map((_, k) => k % 2 === 0),
      accounts.map((_, k) => (k % 2 === 0 ? `${year}-03-02 08:30:00` : null)),
      accounts.map(() => `${year}-03-01 08:15:00`),
      accounts.map((_, k) => (k % 3 === 1 ? `${year - 1}-06-01 09:00:00` : `${year}-01-02 09:00:00`)),
    ],
  );
}

/** The year's partitions must all be declared: the seed's bills go into them. */
function checkPartitions(env: Environment, year: number): void {
  for (const table of PARTITIONED_TABLES)
    if (!(env.partitions ?? []).some((p) => p.year === year && p.table === table))
      throw new Error(
        `the stack declares no ${table} partition for ${year}; the seed's bills need partitions ${PARTITIONED_TABLES.map((t) => partitionName(t, year)).join(", ")}`,
      );
}

/**
 * Creates the reference schema and the seed in an empty database, writing the declared kinds
 * through their providers. Tablespaces are created first, outside any transaction (PostgreSQL
 * requires it); everything else in one transaction.
 */
export async function createReferenceSchemaAndSeed(
  client: pg.Client,
  env: Environment,
): Promise<{ bills: number }> {
  const schema = schemaOf(env);
  const year = env.hospital.fiscalYear;
  await client.query(referenceSchemaDdl(schema));
  const existing = new Set(
    (await client.query<{ spcname: string }>("SELECT spcname FROM pg_tablespace")).rows.map((r) => r.spcname),
  );
  const tablespaces = (tablespacesProvider.declared(env) ?? []).filter(
    (t) => t.fields.year === year && !existing.has(t.id),
  );
  await createTablespaces(
    client,
    env,
    tablespaces.map((t) => ({ action: "create", id: t.id, after: t.fields })),
  );
  await client.query("BEGIN");
  try {
    checkPartitions(env, year);
    await writeDeclared(client, env, "partitions", (p) => p.year === year);
    for (const kind of SEEDED_KINDS) await writeDeclared(client, env, kind);
    const bills = seedBills(env);
    await insertBills(client, schema, bills);
    await insertLoginStates(client, env);
    await client.query("COMMIT");
    return { bills: bills.length };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
