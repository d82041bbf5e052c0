/**
 * Archiving (归档) and push (推送) of issued bills, after the issue has answered, as the product
 * does: archiving reports the bill to the fiscal platform (a signed call) and stores it as a file
 * under the file server's archive root; push sends it to the push endpoint. Each attempt is an
 * 'out' row of the interface log, and the bill's state in bill_delivery says where it stands.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { qualified } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import { signedCall, SUCCESS, verifyAnswer } from "../protocol/envelope.ts";
import { RESULT, type ResultCode } from "../protocol/result-codes.ts";
import { localTimestamp, serviceNow } from "./clock.ts";
import type { ServiceContext } from "./context.ts";
import { writeLog, type LogRow } from "./log.ts";

export interface DeliveryBill {
  billCode: string;
  billNo: string;
  checkCode: string;
  amount: string;
  issuedAt: string;
  busNo: string | null;
}

export type Leg = "archive" | "push";

const errorText = (error: unknown): string => {
  const e = error as { cause?: { code?: string; message?: string }; code?: string; message?: string };
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(error);
};

export class Delivery {
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly ctx: ServiceContext) {}

  /** After an issue: both legs in the background. */
  enqueue(bill: DeliveryBill): void {
    for (const leg of ["archive", "push"] as const) {
      const p: Promise<void> = this.attempt(bill, leg).then(
        () => undefined,
        () => undefined,
      );
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
    }
  }

  /** Resolves when nothing is in flight (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  isInFlight(bill: Pick<DeliveryBill, "billCode" | "billNo">, leg: Leg): boolean {
    return this.inFlight.has(`${leg}:${bill.billCode}:${bill.billNo}`);
  }

  /** One attempt of one leg; records the state and the log row. Returns whether it succeeded. */
  async attempt(bill: DeliveryBill, leg: Leg): Promise<boolean> {
    const key = `${leg}:${bill.billCode}:${bill.billNo}`;
    if (this.inFlight.has(key)) return false;
    this.inFlight.add(key);
    try {
      const log: LogRow[] = [];
      const failure = leg === "archive" ? await this.archive(bill, log) : await this.push(bill, log);
      const at = localTimestamp(serviceNow(), this.ctx.timeZone);
      const t = qualified(this.ctx.schema, S.billDelivery);
      await this.ctx.pool.query(
        `UPDATE ${t} SET ${leg}_state = $3, ${leg}_attempts = ${leg}_attempts + 1, ${leg}_error = $4,
                ${leg === "archive" ? "archived_at" : "pushed_at"} = CASE WHEN $3 = 'done' THEN $5::timestamp END
          WHERE bill_code = $1 AND bill_no = $2`,
        [bill.billCode, bill.billNo, failure ? "failed" : "done", failure?.code ?? null, at],
      );
      await writeLog(this.ctx.pool, this.ctx.schema, log);
      return !failure;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private row(bill: DeliveryBill, system: LogRow["system"], method: string, started: number) {
    return {
      at: localTimestamp(serviceNow(), this.ctx.timeZone),
      direction: "out" as const,
      system,
      method,
      ms: Date.now() - started,
      busNo: bill.busNo ?? undefined,
      billCode: bill.billCode,
      billNo: bill.billNo,
    };
  }

  private async archive(bill: DeliveryBill, log: LogRow[]): Promise<ResultCode | null> {
    const { standIns, appId, appKey } = this.ctx;
    await standIns.sync();
    let started = Date.now();
    try {
      const call = signedCall(appId, appKey, {
        billBatchCode: bill.billCode,
        billNo: bill.billNo,
        random: bill.checkCode,
        totalAmt: bill.amount,
        createTime: bill.issuedAt,
      });
      const response = await fetch(`${standIns.fiscal.url}/fiscal/uploadEBill`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(call),
        signal: AbortSignal.timeout(3000),
      });
      const answer = verifyAnswer(await response.json(), appKey);
      if (!answer.ok || answer.value.result !== SUCCESS)
        throw new Error(answer.ok ? `result ${answer.value.result}` : answer.reason);
      log.push({ ...this.row(bill, "fiscal", "uploadEBill", started), result: SUCCESS });
    } catch (error) {
      const message = `${standIns.fiscal.url}: ${errorText(error)}`;
      log.push({
        ...this.row(bill, "fiscal", "uploadEBill", started),
        result: RESULT.fiscalDown.code,
        message,
      });
      return RESULT.fiscalDown;
    }
    started = Date.now();
    const year = bill.issuedAt.slice(0, 4);
    const file = path.join(this.ctx.archiveDir, year, bill.billCode, `${bill.billNo}.json`);
    const content = JSON.stringify(bill) + "\n";
    try {
      await mkdir(path.dirname(file), { recursive: true });
      if (this.ctx.faults.has("disk-full")) {
        // A full disk, for real: /dev/full takes the open and fails every write with ENOSPC.
        const handle = await open("/dev/full", "w");
        try {
          await handle.writeFile(content);
        } finally {
          await handle.close();
        }
      } else await writeFile(file, content);
      log.push({ ...this.row(bill, "file", "storeArchive", started), result: SUCCESS });
      return null;
    } catch (error) {
      const message = `${file}: ${errorText(error)}`;
      log.push({
        ...this.row(bill, "file", "storeArchive", started),
        result: RESULT.fileFailed.code,
        message,
      });
      return RESULT.fileFailed;
    }
  }

  private async push(bill: DeliveryBill, log: LogRow[]): Promise<ResultCode | null> {
    const { standIns } = this.ctx;
    const started = Date.now();
    try {
      const response = await fetch(`${standIns.push.url}/push`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ billBatchCode: bill.billCode, billNo: bill.billNo, busNo: bill.busNo }),
        signal: AbortSignal.timeout(3000),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      log.push({ ...this.row(bill, "push", "pushEBill", started), result: SUCCESS });
      return null;
    } catch (error) {
      const message = `${standIns.push.url}: ${errorText(error)}`;
      log.push({ ...this.row(bill, "push", "pushEBill", started), result: RESULT.pushFailed.code, message });
      return RESULT.pushFailed;
    }
  }
}
