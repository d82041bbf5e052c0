/**
 * How many issued bills use what a plan disables or removes, for the reviewer ("disables paymentChannels
 * 05 微信, used by 1,167 bills"). The live state only says whether a row is used (an EXISTS, part
 * of the hash); counting is done here, for the few changes that need it, with one grouped query per
 * bill column whatever the number of rows. Counts move with every bill issued, so they are shown
 * but never compared when a saved plan is checked (Change.bills).
 */
import type { DatabaseKind, Environment } from "../model/environment.ts";
import type { Change } from "../plan/types.ts";
import type { LiveState } from "./live.ts";
import type { Db, LiveObject } from "./providers/types.ts";
import { T, qualified, schemaOf } from "./reference-schema.ts";

type Column = "bill_code" | "place_code" | "channel_code";

/** Does the change stop or remove something issued bills use? */
function stopsUsed(c: Change, object: LiveObject | undefined): boolean {
  if (!object?.usage.bills) return false;
  return c.action === "delete" || (c.after?.enabled === false && object.fields.enabled !== false);
}

/** Which bill column holds the object's code; null for kinds bills do not name. */
function columnOf(kind: DatabaseKind, object: LiveObject): { column: Column; code: string } | null {
  switch (kind) {
    case "billTypes":
    case "printTemplates":
      return { column: "bill_code", code: object.id };
    case "invoicingPoints":
      return { column: "place_code", code: object.id };
    case "paymentChannels":
      return { column: "channel_code", code: object.id };
    case "codeMappings":
      if (object.fields.kind === "place") return { column: "place_code", code: String(object.fields.local) };
      if (object.fields.kind === "channel")
        return { column: "channel_code", code: String(object.fields.local) };
      return null;
    default:
      return null;
  }
}

/** Sets `bills` on every change that disables or removes something issued bills use. */
export async function countBills(
  db: Db,
  env: Environment,
  changes: Change[],
  live: LiveState,
): Promise<void> {
  if (changes.length === 0) return;
  const bill = qualified(schemaOf(env), T.bill);
  const byCode = new Map<Column, { change: Change; code: string }[]>();
  const ranges: { change: Change; object: LiveObject }[] = [];
  const byId = new Map<string, LiveObject>();
  for (const kind of Object.keys(live) as DatabaseKind[])
    for (const o of live[kind]) byId.set(`${kind}\u0000${o.id}`, o);
  for (const c of changes) {
    const kind = c.kind as DatabaseKind;
    const object = byId.get(`${kind}\u0000${c.id}`);
    if (!object || !stopsUsed(c, object)) continue;
    if (kind === "billStock") {
      ranges.push({ change: c, object });
      continue;
    }
    const where = columnOf(kind, object);
    if (where)
      byCode.set(where.column, [...(byCode.get(where.column) ?? []), { change: c, code: where.code }]);
  }
  for (const [column, items] of byCode) {
    const { rows } = await db.query<{ code: string; n: number }>(
      `SELECT b.${column}::text AS code, count(*)::int AS n FROM ${bill} b
        WHERE b.${column} = ANY($1::${column === "bill_code" ? "bpchar" : "text"}[]) GROUP BY b.${column}`,
      [[...new Set(items.map((i) => i.code))]],
    );
    const counts = new Map(rows.map((r) => [r.code.trim(), r.n]));
    for (const item of items) item.change.bills = counts.get(item.code) ?? 0;
  }
  if (ranges.length > 0) {
    const { rows } = await db.query<{ i: string; n: number }>(
      `SELECT r.i::text AS i, count(b.bill_no)::int AS n
         FROM unnest($1::bpchar[], $2::bpchar[], $3::bpchar[]) WITH ORDINALITY AS r(code, first_no, last_no, i)
         LEFT JOIN ${bill} b ON b.bill_code = r.code AND b.bill_no BETWEEN r.first_no AND r.last_no
        GROUP BY r.i`,
      [
        ranges.map((r) => String(r.object.fields.billCode)),
        ranges.map((r) => String(r.object.fields.first)),
        ranges.map((r) => String(r.object.fields.last)),
      ],
    );
    for (const r of rows) ranges[Number(r.i) - 1]!.change.bills = r.n;
  }
}
