/**
 * Each fault, injected while the sandbox HIS's traffic runs, is named FIRST by `diagnose` of its
 * class, with the count the traffic itself saw fail; retry after the fault is removed leaves no
 * bill unarchived or unpushed, and a second retry does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnose, type IncidentClass } from "../../src/incidents/diagnose.ts";
import { retryDeliveries } from "../../src/incidents/retry.ts";
import { RESULT } from "../../src/protocol/result-codes.ts";
import { localTimestamp, serviceNow } from "../../src/simulator/clock.ts";
import { parseFaults } from "../../src/simulator/faults.ts";
import { clearFaults, runTraffic, type TrafficSummary } from "../../src/simulator/traffic.ts";
import { startIncidentsFixture, type IncidentsFixture } from "./fixture.ts";

let f: IncidentsFixture;
beforeAll(async () => {
  f = await startIncidentsFixture();
});
afterAll(() => f?.stop());

const service = () => ({ url: f.simulator.url, appId: f.env.interfaces.fiscal.appId, appKey: f.appKey });
const nowLocal = () => localTimestamp(serviceNow(), "Asia/Shanghai");

async function trafficWith(
  faults: string,
  bills = 40,
  keepFaults = false,
): Promise<{ since: string; summary: TrafficSummary }> {
  const since = nowLocal();
  const c = await f.db.client();
  try {
    const summary = await runTraffic({
      env: f.env,
      service: service(),
      db: c,
      faultsFile: f.simulator.faultsFile,
      bills,
      faults: parseFaults(faults),
      keepFaults,
    });
    await f.simulator.delivery.idle();
    return { since, summary };
  } finally {
    await c.end();
  }
}

async function firstCause(incident: IncidentClass, since: string) {
  const c = await f.db.client();
  try {
    const d = await diagnose(
      c,
      incident,
      { env: f.env, stackFile: "stacks/sandbox.ts", stack: "sandbox" },
      { since },
    );
    return d.causes[0];
  } finally {
    await c.end();
  }
}

async function undelivered(leg: "archive" | "push", since: string): Promise<number> {
  const c = await f.db.client();
  try {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM ebill.bill_delivery WHERE issued_at >= $1 AND ${leg}_state <> 'done'`,
      [since],
    );
    return rows[0].n as number;
  } finally {
    await c.end();
  }
}

describe("diagnose names each injected fault first, with its count", () => {
  it("a clean day: every business issued, archived and pushed; nothing to diagnose", async () => {
    const { since, summary } = await trafficWith("");
    expect(summary).toMatchObject({ businesses: 40, issued: 40, failed: {}, settled: true });
    expect(summary.refunds).toBeGreaterThan(0);
    for (const incident of ["issuing", "archiving", "push", "printing"] as const)
      expect(await firstCause(incident, since)).toBeUndefined();
  });

  it("an unmapped channel code sent by the HIS (issuing)", async () => {
    const { since, summary } = await trafficWith("unmapped-channel");
    const failed = summary.failed[RESULT.unmappedChannel.code];
    expect(failed).toBe(4); // businesses 10, 20, 30, 40 send 'ZFB'
    const cause = await firstCause("issuing", since);
    expect(cause).toMatchObject({
      step: "mapping",
      code: RESULT.unmappedChannel.code,
      value: "ZFB",
      count: 4,
    });
    expect(cause!.fix).toMatch(
      /HIS sends payChannelCode 'ZFB', which has no 接口对照: add \{ system: "his", kind: "channel"/,
    );
    expect(cause!.fix).toContain("stacks/sandbox.ts");
  });

  it("stock exhausted at one point (issuing and stock)", async () => {
    // Kept on while diagnosing: the evidence is the stock as it is now.
    const { since, summary } = await trafficWith("stock-exhausted:001", 40, true);
    const failed = summary.failed[RESULT.noStock.code];
    expect(failed).toBeGreaterThan(0);
    expect(summary.issued).toBeGreaterThan(0); // the other points still issue
    for (const incident of ["issuing", "stock"] as const) {
      const cause = await firstCause(incident, since);
      expect(cause).toMatchObject({ step: "stock", code: RESULT.noStock.code, value: "001", count: failed });
      expect(cause!.fix).toMatch(/invoicing point 001 has no numbers left \(46060126: 0 left\)/);
    }
    const c = await f.db.client();
    await clearFaults(c, f.env, f.simulator.faultsFile).finally(() => c.end());
  });

  it("signature server down (issuing)", async () => {
    const { since, summary } = await trafficWith("signature-down");
    expect(summary.issued).toBe(0);
    const cause = await firstCause("issuing", since);
    expect(cause).toMatchObject({ step: "signature", code: RESULT.signatureDown.code, count: 40 });
    expect(cause!.seen).toMatch(/ECONNREFUSED/);
  });

  it("fiscal platform unreachable (archiving), then retry archives every bill once", async () => {
    const { since, summary } = await trafficWith("fiscal-down");
    const bills = summary.issued + summary.refunds;
    const cause = await firstCause("archiving", since);
    expect(cause).toMatchObject({
      step: "fiscal",
      code: RESULT.fiscalDown.code,
      count: bills,
      unit: "bills",
    });
    expect(cause!.seen).toMatch(/ECONNREFUSED/);
    expect(await firstCause("push", since)).toBeUndefined();
    expect(await undelivered("archive", since)).toBe(bills);
    // The traffic run switched the fault off at its end: the retry goes through.
    const first = await retryDeliveries(service(), "archive", since);
    expect(first).toMatchObject({ attempted: bills, done: bills, failed: 0, remaining: 0 });
    expect(await undelivered("archive", since)).toBe(0);
    const second = await retryDeliveries(service(), "archive", since);
    expect(second).toMatchObject({ attempted: 0, done: 0, remaining: 0 });
  });

  it("file server disk full (archiving)", async () => {
    const { since, summary } = await trafficWith("disk-full");
    const cause = await firstCause("archiving", since);
    expect(cause).toMatchObject({
      step: "file",
      code: RESULT.fileFailed.code,
      count: summary.issued + summary.refunds,
    });
    expect(cause!.seen).toMatch(/ENOSPC/);
    expect(cause!.fix).toMatch(/ENOSPC: the disk is full/);
  });

  it("push endpoint answering 500 (push), then retry pushes every bill once", async () => {
    const { since, summary } = await trafficWith("push-500");
    const bills = summary.issued + summary.refunds;
    const cause = await firstCause("push", since);
    expect(cause).toMatchObject({ step: "push", code: RESULT.pushFailed.code, count: bills });
    expect(cause!.seen).toMatch(/HTTP 500/);
    expect(await firstCause("archiving", since)).toBeUndefined();
    const first = await retryDeliveries(service(), "push", since);
    expect(first).toMatchObject({ done: bills, remaining: 0 });
    expect(await undelivered("push", since)).toBe(0);
    expect((await retryDeliveries(service(), "push", since)).attempted).toBe(0);
  });

  it("a cashier PC's print component on last year's template (printing)", async () => {
    const { since, summary } = await trafficWith("print-old-template");
    expect(summary.printFailed).toBeGreaterThan(0);
    expect(summary.printed).toBe(0);
    const cause = await firstCause("printing", since);
    expect(cause).toMatchObject({
      step: "print",
      code: RESULT.templateMismatch.code,
      value: "46060125",
      count: summary.printFailed,
    });
    // The stack declares this year's template for the PC: the PC itself is behind.
    expect(cause!.fix).toMatch(
      /print component on sbx-print prints with template 46060125 \(2025\), but the bills are 46060126 \(2026\)/,
    );
    expect(cause!.fix).toMatch(/already declares template 46060126 for sbx-print/);
  });

  it("a print component declared with last year's template, before any print failed (printing, from the declarations)", async () => {
    const env = structuredClone(f.env);
    env.printComponents![0]!.template = "46060125";
    const c = await f.db.client();
    try {
      const d = await diagnose(
        c,
        "printing",
        { env, stackFile: "stacks/sandbox.ts", stack: "sandbox" },
        { since: nowLocal() },
      );
      expect(d.causes).toHaveLength(1);
      expect(d.causes[0]).toMatchObject({ step: "print", value: "46060125", count: 0 });
      expect(d.causes[0]!.fix).toMatch(
        /set printComponents\[0\]\.template \(host sbx-print\) to "46060126" in stacks\/sandbox\.ts/,
      );
    } finally {
      await c.end();
    }
  });
});
