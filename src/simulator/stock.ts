/**
 * The stock cursor (票据号段的当前号): the next number of each range, created on first use from the
 * highest number already issued in the range. Taking a number locks the cursor row, so two cashiers
 * never get the same number; a failed issue rolls the transaction back and the number is not used.
 */
import type pg from "pg";
import { T, qualified } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";

const pad10 = (n: number | string) => String(n).padStart(10, "0");

/** Creates the missing cursors of a point's issuing ranges (all points when place is null). */
export async function ensureCursors(db: pg.ClientBase | pg.Pool, schema: string, place: string | null) {
  await db.query(
    `INSERT INTO ${qualified(schema, S.stockCursor)} (bill_code, batch, first_no, next_no)
     SELECT s.bill_code, s.batch, s.first_no,
            coalesce((SELECT max(b.bill_no)::bigint FROM ${qualified(schema, T.bill)} b
                       WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no),
                     s.first_no::bigint - 1) + 1
       FROM ${qualified(schema, T.billStock)} s
      WHERE s.purpose = 'issue' AND ($1::text IS NULL OR s.place_code = $1)
     ON CONFLICT DO NOTHING`,
    [place],
  );
}

/** Takes the next number for a point and bill code inside the caller's transaction; null: none left. */
export async function takeNumber(
  db: pg.ClientBase,
  schema: string,
  place: string,
  billCode: string,
): Promise<{ billNo: string; batch: string } | null> {
  await ensureCursors(db, schema, place);
  const { rows } = await db.query<{ batch: string; first_no: string; next_no: string }>(
    `SELECT c.batch, c.first_no, c.next_no::text AS next_no
       FROM ${qualified(schema, S.stockCursor)} c
       JOIN ${qualified(schema, T.billStock)} s USING (bill_code, batch, first_no)
      WHERE s.place_code = $1 AND s.bill_code = $2 AND s.purpose = 'issue' AND s.enabled
        AND c.next_no <= s.last_no::bigint
      ORDER BY c.first_no LIMIT 1 FOR UPDATE OF c`,
    [place, billCode],
  );
  const row = rows[0];
  if (!row) return null;
  await db.query(
    `UPDATE ${qualified(schema, S.stockCursor)} SET next_no = next_no + 1
      WHERE bill_code = $1 AND batch = $2 AND first_no = $3`,
    [billCode, row.batch, row.first_no],
  );
  return { billNo: pad10(row.next_no), batch: row.batch };
}

/** The stock-exhausted fault: every issuing range of the point is used up (cursor past the end). */
export async function exhaustStock(db: pg.ClientBase | pg.Pool, schema: string, place: string) {
  await ensureCursors(db, schema, place);
  await db.query(
    `UPDATE ${qualified(schema, S.stockCursor)} c SET next_no = s.last_no::bigint + 1
       FROM ${qualified(schema, T.billStock)} s
      WHERE s.bill_code = c.bill_code AND s.batch = c.batch AND s.first_no = c.first_no AND s.place_code = $1`,
    [place],
  );
}

/** Lifting the fault: the cursors are made again from the bills actually issued. */
export async function restoreStock(db: pg.ClientBase | pg.Pool, schema: string, place: string) {
  await db.query(
    `DELETE FROM ${qualified(schema, S.stockCursor)} c USING ${qualified(schema, T.billStock)} s
      WHERE s.bill_code = c.bill_code AND s.batch = c.batch AND s.first_no = c.first_no AND s.place_code = $1`,
    [place],
  );
  await ensureCursors(db, schema, place);
}
