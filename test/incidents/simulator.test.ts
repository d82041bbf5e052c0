import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe, STATUS_CALL } from "../../src/probe/probe.ts";
import { callService } from "../../src/protocol/client.ts";
import { SUCCESS } from "../../src/protocol/envelope.ts";
import { RESULT } from "../../src/protocol/result-codes.ts";
import { startIncidentsFixture, type IncidentsFixture } from "./fixture.ts";

let f: IncidentsFixture;
beforeAll(async () => {
  f = await startIncidentsFixture();
});
afterAll(() => f?.stop());

const service = () => ({ url: f.simulator.url, appId: f.env.interfaces.fiscal.appId, appKey: f.appKey });
const outpatient = (busNo: string, channel = "WX", amount = "12.50") => ({
  busNo,
  busType: "02",
  placeCode: "MZ01",
  payer: "张三",
  totalAmt: amount,
  payChannelDetail: [{ payChannelCode: channel, payChannelValue: amount }],
  chargeDetail: [{ chargeName: "诊察费", amt: amount }],
});

describe("the protocol simulator", () => {
  it("issues an outpatient bill from the point's stock, then archives and pushes it", async () => {
    const answer = await callService(service(), "invoiceEBillOutpatient", outpatient("T0001"));
    expect(answer.result).toBe(SUCCESS);
    const bill = answer.message as { billBatchCode: string; billNo: string; random: string };
    // The fixture seeds 0000000001-0000002500 of 46060126 at point 001: the next number is 2501.
    expect(bill).toMatchObject({ billBatchCode: "46060126", billNo: "0000002501" });
    expect(bill.random).toMatch(/^[0-9a-f]{6}$/);
    await f.simulator.delivery.idle();
    const c = await f.db.client();
    try {
      const { rows } = await c.query(
        `SELECT b.place_code, b.channel_code, b.amount::text, b.bus_no, d.archive_state, d.push_state
           FROM ebill.bill b JOIN ebill.bill_delivery d USING (bill_code, bill_no) WHERE b.bus_no = 'T0001'`,
      );
      expect(rows).toEqual([
        {
          place_code: "001",
          channel_code: "05",
          amount: "12.50",
          bus_no: "T0001",
          archive_state: "done",
          push_state: "done",
        },
      ]);
      const log = await c.query(
        `SELECT direction, system, method, result FROM ebill.interface_log WHERE bus_no = 'T0001' ORDER BY id`,
      );
      expect(log.rows.map((r) => `${r.direction} ${r.system} ${r.method} ${r.result}`).sort()).toEqual(
        [
          "in his invoiceEBillOutpatient S0000",
          "out fiscal uploadEBill S0000",
          "out file storeArchive S0000",
          "out push pushEBill S0000",
        ].sort(),
      );
    } finally {
      await c.end();
    }
    expect(existsSync(path.join(f.simulator.archiveDir, "2026", "46060126", `${bill.billNo}.json`))).toBe(
      true,
    );
    const state = await callService(service(), "getEBillStatesByBillInfo", bill);
    expect(state).toEqual({
      result: SUCCESS,
      message: expect.objectContaining({
        state: "正常",
        isScarlet: "0",
        archiveState: "done",
        pushState: "done",
      }),
    });
  });

  it("red-flushes a bill once: a new bill of negative amount naming the original", async () => {
    const issued = await callService(service(), "invoiceEBillOutpatient", outpatient("T0002", "XJ", "30.00"));
    const original = issued.message as { billBatchCode: string; billNo: string };
    const red = await callService(service(), "writeOffEBill", {
      ...original,
      reason: "退费",
      busNo: "T0002-R",
    });
    expect(red.result).toBe(SUCCESS);
    const again = await callService(service(), "writeOffEBill", { ...original, reason: "退费" });
    expect(again.result).toBe(RESULT.alreadyRedFlushed.code);
    const c = await f.db.client();
    try {
      const { rows } = await c.query(
        `SELECT amount::text, state, red_of_code, red_of_no FROM ebill.bill WHERE bus_no = 'T0002-R'`,
      );
      expect(rows).toEqual([
        {
          amount: "-30.00",
          state: "normal",
          red_of_code: original.billBatchCode,
          red_of_no: original.billNo,
        },
      ]);
    } finally {
      await c.end();
    }
  });

  it("answers the probe's status call with its signed 'not found'", async () => {
    const answer = await callService(service(), STATUS_CALL.method, STATUS_CALL.data);
    expect(answer.result).toBe(RESULT.notFound.code);
  });

  it("reconciles a day's totals (checkTotalData) and pages the day's bills (getBillByBusDate)", async () => {
    const page = await callService(service(), "getBillByBusDate", { busDate: "2026-06-15", pageSize: 1000 });
    const list = (page.message as { billList: { busNo: string | null; totalAmt: string }[] }).billList;
    expect(list.filter((b) => b.busNo?.startsWith("T")).map((b) => b.totalAmt)).toEqual([
      "12.50",
      "30.00",
      "-30.00",
    ]);
    // The seed's bills of the day count too (they are the service's as much as ours).
    const c = await f.db.client();
    const seeded = await c
      .query(
        `SELECT count(*)::int AS n, sum(amount)::numeric(12,2)::text AS total FROM ebill.bill
          WHERE issued_at >= '2026-06-15' AND issued_at < '2026-06-16' AND state = 'normal'`,
      )
      .finally(() => c.end());
    const { n, total } = seeded.rows[0] as { n: number; total: string };
    const match = await callService(service(), "checkTotalData", {
      busDate: "2026-06-15",
      copyNum: n,
      allValueTotal: total,
    });
    expect(match.result).toBe(SUCCESS);
    const differ = await callService(service(), "checkTotalData", {
      busDate: "2026-06-15",
      copyNum: n - 1,
      allValueTotal: total,
    });
    expect(differ).toEqual({
      result: RESULT.totalsDiffer.code,
      message: expect.objectContaining({ copyNum: n, allValueTotal: total }),
    });
  });

  it("refuses a request signed with the wrong key with the product's error, and probe names the sign layer", async () => {
    const wrongKey = "0123456789abcdef0123456789";
    // The service signs its refusal with its own key: the caller with the wrong key cannot verify it.
    const raw = await fetch(`${f.simulator.url}/${STATUS_CALL.method}`, {
      method: "POST",
      body: JSON.stringify({
        ...(await import("../../src/protocol/envelope.ts")).signedCall(
          f.env.interfaces.fiscal.appId,
          wrongKey,
          STATUS_CALL.data,
        ),
      }),
    });
    const { verifyAnswer } = await import("../../src/protocol/envelope.ts");
    const answer = verifyAnswer(await raw.json(), f.appKey);
    expect(answer.ok && answer.value.result).toBe(RESULT.badSign.code);
    const result = await probe(
      {
        name: "e-bill service",
        url: f.simulator.url,
        timeoutMs: 5000,
        proof: {
          kind: "signed-call",
          appId: f.env.interfaces.fiscal.appId,
          appKey: wrongKey,
          ...STATUS_CALL,
        },
      },
      { machineOnly: true },
    );
    expect(result).toMatchObject({ verdict: "not-verified", layer: "sign" });
  });
});
