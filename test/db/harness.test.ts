import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { seededRanges } from "../../src/db/seed.ts";

describe("the sandbox database harness", () => {
  let db: SandboxDatabase;
  beforeAll(async () => {
    db = await startSandboxDatabase();
  });
  afterAll(() => db?.stop());

  it("holds the seeded bills exactly in the documented ranges, in the year's partition and tablespace", async () => {
    const c = await db.client();
    try {
      const { rows } = await c.query(
        `SELECT bill_code, place_code, min(bill_no) AS first, max(bill_no) AS last, count(*)::int AS n,
                count(*) FILTER (WHERE state = 'voided')::int AS voided
           FROM ebill.bill_2026 GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      expect(rows).toEqual([
        {
          bill_code: "46060126",
          place_code: "00000",
          first: "0000050001",
          last: "0000050500",
          n: 500,
          voided: 10,
        },
        {
          bill_code: "46060126",
          place_code: "001",
          first: "0000000001",
          last: "0000002500",
          n: 2500,
          voided: 50,
        },
        {
          bill_code: "46060226",
          place_code: "002",
          first: "0000000001",
          last: "0000000500",
          n: 500,
          voided: 10,
        },
      ]);
      expect(seededRanges(db.env).map((r) => r.lastUsed)).toEqual(["0000002500", "0000050500", "0000000500"]);
      const ts = await c.query(
        `SELECT c.relname, t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
          WHERE c.relname IN ('bill_2026', 'bill_detail_2026') ORDER BY 1`,
      );
      expect(ts.rows).toEqual([
        { relname: "bill_2026", spcname: "ebill_2026" },
        { relname: "bill_detail_2026", spcname: "ebill_2026" },
      ]);
    } finally {
      await c.end();
    }
  });
});
