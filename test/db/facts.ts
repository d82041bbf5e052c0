/**
 * What a test needs to know about the seeded sandbox database, asked of the database itself
 * (which point, channel, bill type and stock range issued bills), so the tests follow whatever
 * fixture stack the harness loads instead of hard-coding its codes.
 */
import type pg from "pg";
import { billStock } from "../../src/db/providers/basic-info.ts";
import { schemaOf } from "../../src/db/reference-schema.ts";
import type { Environment } from "../../src/model/environment.ts";

export interface SeededFacts {
  /** The invoicing point that issued the most bills, and how many. */
  point: { code: string; bills: number };
  /** The payment channel that issued the most bills. */
  channel: { code: string; bills: number };
  /** The bill type with the most bills. */
  billType: { code: string; bills: number };
  /** The stock range holding the bill type's highest issued number, and that number. */
  range: { id: string; billCode: string; first: string; last: string; lastUsed: string };
  /** All issued bills. */
  bills: number;
}

async function top(
  client: pg.Client,
  schema: string,
  column: string,
): Promise<{ code: string; bills: number }> {
  const { rows } = await client.query<{ code: string; n: number }>(
    `SELECT ${column}::text AS code, count(*)::int AS n FROM ${client.escapeIdentifier(schema)}.bill
      GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
  );
  if (!rows[0]) throw new Error("the seeded database has no bills");
  return { code: rows[0].code, bills: rows[0].n };
}

export async function seededFacts(client: pg.Client, env: Environment): Promise<SeededFacts> {
  const schema = schemaOf(env);
  const point = await top(client, schema, "place_code");
  const channel = await top(client, schema, "channel_code");
  const billType = await top(client, schema, "bill_code");
  const { rows } = await client.query<{
    bill_code: string;
    batch: string;
    first_no: string;
    last_no: string;
    used: string;
  }>(
    `SELECT s.bill_code, s.batch, s.first_no, s.last_no, max(b.bill_no)::text AS used
       FROM ${client.escapeIdentifier(schema)}.bill_stock s
       JOIN ${client.escapeIdentifier(schema)}.bill b ON b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no
      WHERE s.bill_code = $1 GROUP BY 1, 2, 3, 4 ORDER BY count(*) DESC LIMIT 1`,
    [billType.code],
  );
  const r = rows[0]!;
  const { rows: all } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${client.escapeIdentifier(schema)}.bill`,
  );
  return {
    point,
    channel,
    billType,
    range: {
      id: billStock.identify({ billCode: r.bill_code, batch: r.batch, first: r.first_no }),
      billCode: r.bill_code,
      first: r.first_no,
      last: r.last_no,
      lastUsed: r.used,
    },
    bills: all[0]!.n,
  };
}

/** The next bill number after `no` (10 digits). */
export function nextNumber(no: string, by = 1): string {
  return String(Number(no) + by).padStart(no.length, "0");
}
