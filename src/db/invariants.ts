/**
 * The write layer's own rules: what a database write may never do, and what it may only do with
 * the explicit destructive permission (--allow-destroy). They are judged on every batch of changes
 * right before it is written, inside the apply transaction, against the live state read in that
 * transaction, whatever produced the changes: a plan made a second ago, a saved plan file, the
 * Pulumi provider, a future task. Nothing here trusts a change's own `destructive` flag or `note`,
 * and every check looks at what the write will actually touch (the key in `before` / `after`),
 * which must be the object the change names.
 *
 * The planner marks its changes with the same judgement (judge() below), so a plan shows as
 * destructive exactly what the write layer would refuse without the permission, and as refused
 * what it never does.
 *
 * Never (refused even with --allow-destroy):
 * - a change of a kind the stack does not declare (a kind left out is never touched), of an
 *   unknown kind, or whose key is not the object it names;
 * - dropping or moving a partition that holds rows, dropping a tablespace that holds anything or
 *   that ebill-ops did not create, touching a table that is not a live yearly partition of the bill
 *   tables;
 * - deleting a row that issued bills or bill stock uses (it can only be disabled);
 * - ending a stock range before its last issued number; offering numbers again: a created or
 *   extended range over numbers already issued, or a range enabled over another range of the same
 *   bill code (a used range "restarted" under a new first number leaves the old one disabled, with
 *   the same numbers).
 *
 * Destructive (only with --allow-destroy):
 * - disabling a row that issued bills or that bill stock uses;
 * - removing (deleting, or disabling) anything that issued bills or belongs to the fiscal year in
 *   operation (hospital.fiscalYear): its bill type, print template, stock, tablespace, partition;
 * - re-enabling a row that a person disabled in the product (see usage.disabledOutside).
 */
import {
  DATABASE_KINDS,
  PARTITIONED_TABLES,
  type DatabaseKind,
  type Environment,
} from "../model/environment.ts";
import type { Change, Fields } from "../plan/types.ts";
import type { LiveState } from "./live.ts";
import { providerOf } from "./providers/index.ts";
import type { Db, LiveObject } from "./providers/types.ts";
import { T, qualified, schemaOf } from "./reference-schema.ts";

export interface Verdict {
  /** Why the change is never written, whatever --allow-destroy says. */
  never: string[];
  /** Why the change needs --allow-destroy. */
  destructive: string[];
}

/** Numbers a stock change newly offers for issuing (a new range, or the added end of an extended one). */
export interface Offered {
  changeId: string;
  billCode: string;
  first: string;
  last: string;
}

/** What the live state does not say and the judgement needs: issued bills inside offered numbers. */
export interface WriteFacts {
  issued: Map<string, { first: string; last: string; count: number }>;
}

export const NO_FACTS: WriteFacts = { issued: new Map() };

const KIND_NAMES: Record<DatabaseKind, string> = {
  tablespaces: "tablespace",
  partitions: "partition",
  billTypes: "bill type",
  printTemplates: "print template",
  invoicingPoints: "invoicing point",
  paymentChannels: "payment channel",
  codeMappings: "code mapping",
  billStock: "stock range",
  roles: "role",
  operators: "operator",
};

const isDatabaseKind = (kind: string): kind is DatabaseKind =>
  (DATABASE_KINDS as readonly string[]).includes(kind);

const str = (v: unknown) => String(v);
const number = (n: number) => n.toLocaleString("en-US");

/** The next 10-digit bill number. */
function after(no: string): string {
  return String(Number(no) + 1).padStart(no.length, "0");
}

function liveIndex(live: LiveState): Map<DatabaseKind, Map<string, LiveObject>> {
  return new Map(DATABASE_KINDS.map((k) => [k, new Map(live[k].map((o) => [o.id, o]))]));
}

/** The stock ranges that exist once `changes` are written (disabled ones included), by id. */
function stockAfter(live: LiveState, changes: readonly Change[]): Map<string, Fields> {
  const ranges = new Map(live.billStock.map((o) => [o.id, o.fields]));
  for (const c of changes) {
    if (c.kind !== "billStock") continue;
    if (c.action === "delete") ranges.delete(c.id);
    else if (c.after) ranges.set(c.id, c.after);
  }
  return ranges;
}

/** What a stock change newly offers: a new range whole, an extended one beyond its old end. */
export function offeredNumbers(changes: readonly Change[], live: LiveState): Offered[] {
  const byId = new Map(live.billStock.map((o) => [o.id, o]));
  const offered: Offered[] = [];
  for (const c of changes) {
    if (c.kind !== "billStock" || c.action === "delete" || !c.after || c.after.enabled === false) continue;
    const old = byId.get(c.id);
    const billCode = str(c.after.billCode);
    const last = str(c.after.last);
    if (!old) offered.push({ changeId: c.id, billCode, first: str(c.after.first), last });
    else if (last > str(old.fields.last))
      offered.push({ changeId: c.id, billCode, first: after(str(old.fields.last)), last });
  }
  return offered;
}

/** One query, whatever the number of ranges: issued bills inside the numbers the changes offer. */
export async function readWriteFacts(
  db: Db,
  env: Environment,
  changes: readonly Change[],
  live: LiveState,
): Promise<WriteFacts> {
  const offered = offeredNumbers(changes, live);
  if (offered.length === 0) return NO_FACTS;
  const { rows } = await db.query<{ i: string; first: string; last: string; n: number }>(
    `SELECT r.i::text AS i, min(b.bill_no)::text AS first, max(b.bill_no)::text AS last, count(*)::int AS n
       FROM unnest($1::bpchar[], $2::bpchar[], $3::bpchar[]) WITH ORDINALITY AS r(code, first_no, last_no, i)
       JOIN ${qualified(schemaOf(env), T.bill)} b
         ON b.bill_code = r.code AND b.bill_no BETWEEN r.first_no AND r.last_no
      GROUP BY r.i`,
    [offered.map((o) => o.billCode), offered.map((o) => o.first), offered.map((o) => o.last)],
  );
  const issued = new Map<string, { first: string; last: string; count: number }>();
  for (const r of rows)
    issued.set(offered[Number(r.i) - 1]!.changeId, { first: r.first, last: r.last, count: r.n });
  return { issued };
}

/** The fiscal year an object belongs to, if it belongs to one. */
function yearOf(kind: DatabaseKind, fields: Fields, billTypeYears: Map<string, number>): number | null {
  switch (kind) {
    case "billTypes":
    case "tablespaces":
    case "partitions":
      return typeof fields.year === "number" ? fields.year : null;
    case "printTemplates":
    case "billStock": {
      const code = str(fields.billCode);
      // The bill code carries the year in its last two digits; the bill type's own year wins.
      return billTypeYears.get(code) ?? (/^\d{8}$/.test(code) ? 2000 + Number(code.slice(6)) : null);
    }
    default:
      return null;
  }
}

interface Context {
  env: Environment;
  live: Map<DatabaseKind, Map<string, LiveObject>>;
  liveState: LiveState;
  changes: readonly Change[];
  facts: WriteFacts;
  stock: Map<string, Fields>;
  /** The ranges (after the write) of a bill code that share a number with first..last. */
  overlapping(billCode: string, first: string, last: string): [string, Fields][];
  stockCodes: Set<string>;
  stockPlaces: Set<string>;
  billTypeYears: Map<string, number>;
  droppedPartitions: Set<string>;
}

function contextOf(
  env: Environment,
  live: LiveState,
  changes: readonly Change[],
  facts: WriteFacts,
): Context {
  const stock = stockAfter(live, changes);
  const billTypeYears = new Map<string, number>();
  for (const o of live.billTypes)
    if (typeof o.fields.year === "number") billTypeYears.set(o.id, o.fields.year);
  for (const c of changes)
    if (c.kind === "billTypes" && c.after && typeof c.after.year === "number")
      billTypeYears.set(c.id, c.after.year);
  return {
    env,
    live: liveIndex(live),
    liveState: live,
    changes,
    facts,
    stock,
    overlapping: overlapIndex(stock),
    stockCodes: new Set([...stock.values()].map((s) => str(s.billCode))),
    stockPlaces: new Set([...stock.values()].map((s) => str(s.place))),
    billTypeYears,
    droppedPartitions: new Set(
      changes.filter((c) => c.kind === "partitions" && c.action === "delete").map((c) => c.id),
    ),
  };
}

/**
 * Ranges per bill code sorted by first number, with the running maximum of their last numbers: a
 * query walks back from the last range starting at or before `last` only while some earlier range
 * still reaches `first`, so 100,000 ranges cost a binary search each, not a scan.
 */
function overlapIndex(stock: Map<string, Fields>): Context["overlapping"] {
  const byCode = new Map<string, { id: string; f: Fields; first: string; last: string }[]>();
  for (const [id, f] of stock) {
    const list = byCode.get(str(f.billCode)) ?? [];
    list.push({ id, f, first: str(f.first), last: str(f.last) });
    byCode.set(str(f.billCode), list);
  }
  const reach = new Map<string, string[]>();
  for (const [code, list] of byCode) {
    list.sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0));
    let max = "";
    reach.set(
      code,
      list.map((r) => (max = r.last > max ? r.last : max)),
    );
  }
  return (billCode, first, last) => {
    const list = byCode.get(billCode);
    if (!list) return [];
    const maxLast = reach.get(billCode)!;
    let lo = 0;
    let hi = list.length; // first index whose range starts after `last`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.first <= last) lo = mid + 1;
      else hi = mid;
    }
    const found: [string, Fields][] = [];
    for (let i = lo - 1; i >= 0 && maxLast[i]! >= first; i--)
      if (list[i]!.last >= first) found.push([list[i]!.id, list[i]!.f]);
    return found;
  };
}

/** Why bill stock keeps a bill type or an invoicing point in use after the write; null when it does not. */
function stockUse(ctx: Context, kind: DatabaseKind, id: string): string | null {
  if (kind === "billTypes" && ctx.stockCodes.has(id)) return "bill stock of this code remains";
  if (kind === "invoicingPoints" && ctx.stockPlaces.has(id)) return "bill stock is distributed to it";
  return null;
}

function storageNever(ctx: Context, c: Change, object: LiveObject | undefined): string[] {
  const problems: string[] = [];
  const { env } = ctx;
  if (c.kind === "partitions") {
    if (c.action === "create") {
      const table = c.after!.table;
      if (!PARTITIONED_TABLES.includes(table as (typeof PARTITIONED_TABLES)[number]))
        problems.push(
          `partition ${c.id}: ${str(table)} is not a partitioned bill table (${PARTITIONED_TABLES.join(", ")})`,
        );
      if (!Number.isInteger(c.after!.year))
        problems.push(`partition ${c.id}: the year must be a whole number`);
      return problems;
    }
    if (!object)
      return [
        `${c.id} is not a live partition of ${schemaOf(env)}.${T.bill} or ${schemaOf(env)}.${T.billDetail}: only those are ever altered or dropped`,
      ];
    if (object.usage.holdsData && c.action === "delete")
      problems.push(`partition ${c.id} holds bills: a partition holding data is never dropped`);
    if (object.usage.holdsData && c.action === "update" && c.after!.tablespace !== object.fields.tablespace)
      problems.push(
        `partition ${c.id} holds bills: moving it to another tablespace is done by hand in a maintenance window`,
      );
    return problems;
  }
  // tablespaces
  if (c.action === "create") return problems;
  if (!object) return [`tablespace ${c.id} does not exist live; make a new plan`];
  if (c.action === "delete" || c.action === "replace") {
    if (object.fields.year === null)
      problems.push(
        `tablespace ${c.id} was not created by ebill-ops (it has no 'ebill-ops: year=' comment): a tablespace the stack does not own is never dropped`,
      );
    const inIt = ctx.liveState.partitions.filter(
      (p) => p.fields.tablespace === c.id && !ctx.droppedPartitions.has(p.id),
    );
    const other = object.usage.otherRelations ?? 0;
    if (inIt.length > 0 || other > 0)
      problems.push(
        `tablespace ${c.id} holds ${[...inIt.map((p) => `partition ${p.id}`), ...(other ? [`${other} other relations`] : [])].join(", ")}: a tablespace holding data is never dropped`,
      );
  }
  return problems;
}

function stockNever(ctx: Context, c: Change, object: LiveObject | undefined): string[] {
  const problems: string[] = [];
  const a = c.after!;
  const lastUsed = object?.facts?.lastUsed;
  if (lastUsed && str(a.last) < lastUsed)
    problems.push(
      `billStock ${c.id}: bill number ${lastUsed} of this range was already issued; the range cannot end at ${str(a.last)}`,
    );
  if (a.enabled === false) return problems;
  const issued = ctx.facts.issued.get(c.id);
  if (issued)
    problems.push(
      `billStock ${c.id}: bill numbers ${issued.first}–${issued.last} of bill code ${str(a.billCode)} were already issued (${number(issued.count)} bills); ` +
        `a range never offers an issued number again: start it after ${issued.last}`,
    );
  // A range offered (again) for issuing may not share numbers with another range of its code that
  // stays, even a disabled one: that is how a used range "restarted" reissues its numbers.
  const reEnabled = object && object.fields.enabled === false;
  const extended = object && str(a.last) > str(object.fields.last);
  if (object && !reEnabled && !extended) return problems;
  for (const [id, other] of ctx.overlapping(str(a.billCode), str(a.first), str(a.last))) {
    if (id === c.id) continue;
    problems.push(
      `billStock ${c.id} (${str(a.first)}–${str(a.last)}) overlaps stock range ${id} (${str(other.first)}–${str(other.last)}${other.enabled === false ? ", disabled" : ""}) of the same bill code: a number is issued once`,
    );
  }
  return problems;
}

/** Why issued bills keep an object in use, in the words of its kind. */
function billsReason(kind: DatabaseKind, object: LiveObject): string {
  switch (kind) {
    case "codeMappings":
      return `issued bills of ${str(object.fields.kind)} ${str(object.fields.local)} need it`;
    case "printTemplates":
      return "bills of its code were issued (a reprint needs the template)";
    case "billStock":
      return "bills were issued from it";
    default:
      return "issued bills use it";
  }
}

/** The judgement of one change (see the module comment). */
function judgeOne(ctx: Context, c: Change): Verdict {
  const never: string[] = [];
  const destructive: string[] = [];
  if (!isDatabaseKind(c.kind)) return { never: [`'${c.kind}' is not a database kind`], destructive };
  const kind = c.kind;
  const label = `${kind} ${c.id}`;
  if (ctx.env[kind] === undefined)
    never.push(
      `${label}: the stack does not declare ${kind}, and a kind the stack leaves out is never touched`,
    );
  const fields = c.action === "delete" ? c.before : c.after;
  if (!fields)
    return {
      never: [...never, `${label}: the ${c.action} has no ${c.action === "delete" ? "before" : "after"}`],
      destructive,
    };
  const written = providerOf(kind).identify(fields);
  if (written !== c.id)
    never.push(
      `${label}: the change would write ${KIND_NAMES[kind]} ${written}, not the ${KIND_NAMES[kind]} it names`,
    );
  if (c.action === "replace" && kind !== "tablespaces")
    never.push(`${label}: only a tablespace is ever replaced`);
  if (never.length > 0) return { never, destructive };

  const object = ctx.live.get(kind)!.get(c.id);
  if (kind === "partitions" || kind === "tablespaces") never.push(...storageNever(ctx, c, object));
  const provider = providerOf(kind);
  const inUse = [
    ...(object?.usage.bills ? [billsReason(kind, object)] : []),
    ...(object ? [stockUse(ctx, kind, c.id)].filter((r): r is string => r !== null) : []),
  ];
  const year = yearOf(kind, fields, ctx.billTypeYears);
  const thisYear =
    year !== null && year === ctx.env.hospital.fiscalYear
      ? [`it belongs to fiscal year ${year}, the year in operation`]
      : [];

  if (c.action === "delete") {
    if (!object && kind !== "partitions" && kind !== "tablespaces")
      never.push(`${label} does not exist live; make a new plan`);
    if (object && provider.disableable && inUse.length > 0)
      never.push(`${label} is in use (${inUse.join("; ")}): it can only be disabled (make a new plan)`);
    else if (object && inUse.length + thisYear.length > 0)
      destructive.push(`removes it: ${[...inUse, ...thisYear].join("; ")}`);
  } else {
    if (kind === "billStock") never.push(...stockNever(ctx, c, object));
    const enabledBefore = object?.fields.enabled;
    if (fields.enabled === false && object && enabledBefore !== false && inUse.length + thisYear.length > 0)
      destructive.push(`disables it: ${[...inUse, ...thisYear].join("; ")}`);
    if (fields.enabled === true && enabledBefore === false && object?.usage.disabledOutside)
      destructive.push("re-enables it although it was disabled outside ebill-ops (by hand in the product)");
  }
  return { never, destructive };
}

/** The judgement of every change, in order, against the live state and the facts read with it. */
export function judge(
  env: Environment,
  live: LiveState,
  changes: readonly Change[],
  facts: WriteFacts = NO_FACTS,
): Verdict[] {
  // The indexes over the live state cost as much as the live state: none for a plan without changes.
  if (changes.length === 0) return [];
  const ctx = contextOf(env, live, changes, facts);
  return changes.map((c) => judgeOne(ctx, c));
}

/**
 * The write layer's gate, run inside the apply transaction right before the writes: reads the facts
 * it needs (one query at most), judges every change, and refuses the whole batch, listing every
 * problem, when one is never done or needs --allow-destroy that was not given.
 */
export async function enforceInvariants(
  db: Db,
  env: Environment,
  changes: readonly Change[],
  live: LiveState,
  options: { allowDestroy: boolean },
): Promise<void> {
  const verdicts = judge(env, live, changes, await readWriteFacts(db, env, changes, live));
  const problems: string[] = [];
  verdicts.forEach((v, i) => {
    const c = changes[i]!;
    problems.push(...v.never);
    if (!options.allowDestroy && v.destructive.length > 0)
      problems.push(`${c.action} ${c.kind} ${c.id} needs --allow-destroy: ${v.destructive.join("; ")}`);
  });
  if (problems.length > 0)
    throw new WriteRefused(
      `refused for stack ${env.name}; nothing was changed:\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
}

export class WriteRefused extends Error {}
