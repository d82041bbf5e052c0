/**
 * `reconcile` of a generated day finds exactly the seeded missing, extra, duplicate, mismatched
 * and orphan red-flush bills, and nothing else; a clean day balances.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvLedger, sandboxLedger } from "../../src/incidents/his-ledger.ts";
import { differences, reconcile } from "../../src/incidents/reconcile.ts";
import { callService } from "../../src/protocol/client.ts";
import { SUCCESS } from "../../src/protocol/envelope.ts";
import { recordLedger } from "../../src/simulator/ledger.ts";
import { runTraffic } from "../../src/simulator/traffic.ts";
import { startIncidentsFixture, type IncidentsFixture } from "./fixture.ts";

const DAY = "2026-06-15";
let f: IncidentsFixture;
beforeAll(async () => {
  f = await startIncidentsFixture();
});
afterAll(() => f?.stop());

const service = () => ({ url: f.simulator.url, appId: f.env.interfaces.fiscal.appId, appKey: f.appKey });
const issue = (busNo: string, amount: string) =>
  callService(service(), "invoiceEBillOutpatient", {
    busNo,
    placeCode: "MZ01",
    totalAmt: amount,
    payChannelDetail: [{ payChannelCode: "WX", payChannelValue: amount }],
  });
const charge = (busNo: string, amount: string) => ({
  busNo,
  busDate: DAY,
  place: "MZ01",
  channel: "WX",
  amount,
  kind: "charge" as const,
  at: `${DAY} 11:00:00`,
});

async function reconcileDay() {
  const c = await f.db.client();
  try {
    return await reconcile(c, f.env, sandboxLedger(c), DAY);
  } finally {
    await c.end();
  }
}

describe("reconcile (对账)", () => {
  let run = "";
  it("balances a generated day: totals per point and channel agree, no differences", async () => {
    const c = await f.db.client();
    try {
      const summary = await runTraffic({
        env: f.env,
        service: service(),
        db: c,
        faultsFile: f.simulator.faultsFile,
        bills: 60,
        faults: [],
      });
      run = summary.run;
      expect(summary.issued).toBe(60);
    } finally {
      await c.end();
    }
    const r = await reconcileDay();
    expect(differences(r)).toBe(0);
    expect(r.totals.length).toBeGreaterThan(3);
    for (const t of r.totals) expect([t.billCount, t.billFen]).toEqual([t.hisCount, t.hisFen]);
    expect(r.totals.reduce((n, t) => n + t.hisCount, 0)).toBe(60 + 2); // 60 charges, 2 refunds (13th, 38th)
    expect(r.withoutBusNo).toBeGreaterThan(0); // the seed's hand-issued bills of the day
  });

  it("finds exactly the seeded differences", async () => {
    let duplicated = "";
    const c = await f.db.client();
    try {
      // missing: the HIS charged twice but no bill was issued
      await recordLedger(c, [charge("RX-MISS-1", "20.00"), charge("RX-MISS-2", "21.00")]);
      // extra: a bill the HIS has no record of
      expect((await issue("RX-EXTRA-1", "30.00")).result).toBe(SUCCESS);
      // duplicate: a second bill for one of the day's HIS businesses
      const { rows } = await c.query(
        `SELECT bus_no, amount::text FROM his_sandbox.ledger WHERE bus_no LIKE $1 AND kind = 'charge' AND place_code = 'MZ01' ORDER BY id LIMIT 1`,
        [`${run}%`],
      );
      const dup = rows[0] as { bus_no: string; amount: string };
      duplicated = dup.bus_no;
      expect((await issue(dup.bus_no, dup.amount)).result).toBe(SUCCESS);
      // mismatch: the HIS charged 50.00, the bill says 55.00
      await recordLedger(c, [charge("RX-MISMATCH-1", "50.00")]);
      expect((await issue("RX-MISMATCH-1", "55.00")).result).toBe(SUCCESS);
      // red-flush without original: a red bill naming a bill that does not exist (a data fault)
      await recordLedger(c, [{ ...charge("RX-RED-1", "-8.00"), kind: "refund" }]);
      await c.query(
        `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at, bus_no, red_of_code, red_of_no)
         VALUES ('46060126', '0000049999', 'abcdef', '001', '05', -8.00, '${DAY} 11:30:00', 'RX-RED-1', '46060126', '0000049998')`,
      );
    } finally {
      await c.end();
    }
    const r = await reconcileDay();
    expect(r.missing.map((m) => m.busNo).sort()).toEqual(["RX-MISS-1", "RX-MISS-2"]);
    expect(r.extra.map((e) => e.busNo)).toEqual(["RX-EXTRA-1"]);
    expect(r.duplicates.map((d) => [d.busNo, d.bills.length])).toEqual([[duplicated, 2]]);
    expect(r.mismatches.map((m) => [m.busNo, m.hisFen, m.billFen])).toEqual([["RX-MISMATCH-1", 5000, 5500]]);
    expect(r.redWithoutOriginal.map((x) => [x.busNo, x.redOf])).toEqual([
      ["RX-RED-1", "46060126/0000049998"],
    ]);
    expect(differences(r)).toBe(6);
  });

  it("reads a HIS export as CSV, and names the line of a bad one", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-his-"));
    try {
      const file = path.join(dir, "his.csv");
      await writeFile(file, `busNo,busDate,placeCode,payChannelCode,amount\nRX-CSV-1,${DAY},MZ01,WX,1.00\n`);
      const c = await f.db.client();
      try {
        const r = await reconcile(c, f.env, csvLedger(file), DAY);
        // Only RX-CSV-1 is in this HIS export: it has no bill, and every interface bill of the day is extra.
        expect(r.missing.map((m) => m.busNo)).toEqual(["RX-CSV-1"]);
        expect(r.extra.length).toBeGreaterThan(60);
        await writeFile(
          file,
          `busNo,busDate,placeCode,payChannelCode,amount\nRX-CSV-1,${DAY},MZ01,WX,1.2.3\n`,
        );
        await expect(reconcile(c, f.env, csvLedger(file), DAY)).rejects.toThrow(
          `${file}: line 2: amount '1.2.3' or busDate '${DAY}' is not valid`,
        );
      } finally {
        await c.end();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
