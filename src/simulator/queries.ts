/**
 * The read-only calls (state of a bill, bills of a business day, reconciliation totals), the print
 * component's call, and the operations calls that re-drive failed archiving or push.
 */
import { T, qualified } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import { RESULT } from "../protocol/result-codes.ts";
import type { CallTrace, Outcome, ServiceContext } from "./context.ts";
import type { Delivery, DeliveryBill, Leg } from "./delivery.ts";

const record = (data: unknown): Record<string, unknown> =>
  data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
const text = (v: unknown) => (typeof v === "string" ? v : "");
const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
const bad = (msg: string): Outcome => ({ code: RESULT.badData, message: { msg } });

/** getEBillStatesByBillInfo: the bill's state and its archiving and push state. */
export async function billState(ctx: ServiceContext, data: unknown): Promise<Outcome> {
  const d = record(data);
  const { rows } = await ctx.pool.query<Record<string, unknown>>(
    `SELECT b.state, b.amount::text AS amount, b.bus_no, d.archive_state, d.push_state,
            EXISTS (SELECT 1 FROM ${qualified(ctx.schema, T.bill)} r
                     WHERE r.red_of_code = b.bill_code AND r.red_of_no = b.bill_no) AS red_flushed
       FROM ${qualified(ctx.schema, T.bill)} b
       LEFT JOIN ${qualified(ctx.schema, S.billDelivery)} d ON d.bill_code = b.bill_code AND d.bill_no = b.bill_no
      WHERE b.bill_code = $1 AND b.bill_no = $2 AND ($3 = '' OR b.check_code = $3)`,
    [text(d.billBatchCode), text(d.billNo), text(d.random)],
  );
  const row = rows[0];
  if (!row) return { code: RESULT.notFound, message: { msg: "票据不存在" } };
  return {
    code: RESULT.ok,
    message: {
      state: row.state === "voided" ? "作废" : "正常",
      isScarlet: row.red_flushed ? "1" : "0",
      totalAmt: row.amount,
      busNo: row.bus_no,
      archiveState: row.archive_state,
      pushState: row.push_state,
    },
  };
}

/** Bills of one local business day (and HIS point), the day's filter as SQL. */
function dayFilter(ctx: ServiceContext, d: Record<string, unknown>) {
  const busDate = text(d.busDate);
  if (!isDay(busDate)) return null;
  return {
    sql: `b.issued_at >= $1::date AND b.issued_at < $1::date + 1
          AND ($2 = '' OR b.place_code = (SELECT local_code FROM ${qualified(ctx.schema, T.codeMapping)}
                                           WHERE system = 'his' AND kind = 'place' AND remote_code = $2))`,
    values: [busDate, text(d.placeCode)],
  };
}

/** getBillByBusDate: one page of the day's bills. */
export async function billsOfDay(ctx: ServiceContext, data: unknown): Promise<Outcome> {
  const d = record(data);
  const filter = dayFilter(ctx, d);
  if (!filter) return bad("busDate must be YYYY-MM-DD");
  const pageSize = Math.min(Math.max(Number(d.pageSize) || 100, 1), 1000);
  const pageNo = Math.max(Number(d.pageNo) || 1, 1);
  const { rows } = await ctx.pool.query<Record<string, unknown>>(
    `SELECT b.bus_no AS "busNo", b.bill_code AS "billBatchCode", b.bill_no AS "billNo", b.check_code AS random,
            b.amount::text AS "totalAmt", b.place_code AS "placeCode", b.state, count(*) OVER ()::int AS total
       FROM ${qualified(ctx.schema, T.bill)} b WHERE ${filter.sql}
      ORDER BY b.issued_at, b.bill_code, b.bill_no LIMIT ${pageSize} OFFSET ${(pageNo - 1) * pageSize}`,
    filter.values,
  );
  const total = (rows[0]?.total as number | undefined) ?? 0;
  return {
    code: RESULT.ok,
    message: { total, pageNo, pageSize, billList: rows.map(({ total: _total, ...r }) => r) },
  };
}

/** checkTotalData (对账): the HIS's count and total of a day against the service's. */
export async function checkTotals(ctx: ServiceContext, data: unknown): Promise<Outcome> {
  const d = record(data);
  const filter = dayFilter(ctx, d);
  if (!filter) return bad("busDate must be YYYY-MM-DD");
  const { rows } = await ctx.pool.query<{ n: number; total: string }>(
    `SELECT count(*)::int AS n, coalesce(sum(b.amount), 0)::text AS total
       FROM ${qualified(ctx.schema, T.bill)} b WHERE ${filter.sql} AND b.state = 'normal'`,
    filter.values,
  );
  const ours = { copyNum: rows[0]!.n, allValueTotal: Number(rows[0]!.total).toFixed(2) };
  const theirs = { copyNum: Number(d.copyNum), allValueTotal: Number(d.allValueTotal).toFixed(2) };
  const same = ours.copyNum === theirs.copyNum && ours.allValueTotal === theirs.allValueTotal;
  return { code: same ? RESULT.ok : RESULT.totalsDiffer, message: { ...ours, his: theirs } };
}

/** printPaperBill: the print component asks for a bill, naming the template it prints with. */
export async function printBill(ctx: ServiceContext, data: unknown, trace: CallTrace): Promise<Outcome> {
  const d = record(data);
  const billCode = text(d.billBatchCode);
  const template = text(d.templateCode);
  trace.client = text(d.clientHost) || trace.client;
  trace.facts.billCode = billCode;
  trace.facts.billNo = text(d.billNo);
  const { rows } = await ctx.pool.query<{ template: string | null }>(
    `SELECT t.bill_code AS template FROM ${qualified(ctx.schema, T.bill)} b
       LEFT JOIN ${qualified(ctx.schema, T.printTemplate)} t ON t.bill_code = b.bill_code
      WHERE b.bill_code = $1 AND b.bill_no = $2`,
    [billCode, text(d.billNo)],
  );
  if (rows.length === 0) return { code: RESULT.notFound, message: { msg: "票据不存在" } };
  if (template !== billCode) {
    trace.facts.detail = {
      value: template,
      expected: billCode,
      client: trace.client,
      componentVersion: text(d.componentVersion),
    };
    return {
      code: RESULT.templateMismatch,
      message: { msg: `打印模板 ${template || "(无)"} 与票据代码 ${billCode} 不符` },
    };
  }
  return { code: RESULT.ok, message: { printed: true, template: rows[0]!.template } };
}

/**
 * reArchiveEBill / rePushEBill: re-drives the leg of every bill issued since `since` whose leg is
 * not done (and not in flight), at most `limit` per call; done bills are never touched, so a second
 * run does nothing. The method names are this tool's (the product re-drives from its console).
 */
export async function redrive(
  ctx: ServiceContext,
  delivery: Delivery,
  leg: Leg,
  data: unknown,
): Promise<Outcome> {
  const d = record(data);
  const since = text(d.since);
  if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(since))
    return bad("since must be a local time YYYY-MM-DD HH:MM[:SS]");
  const limit = Math.min(Math.max(Number(d.limit) || 200, 1), 1000);
  const { rows } = await ctx.pool.query<DeliveryBill & { remaining: number }>(
    `SELECT d.bill_code AS "billCode", d.bill_no AS "billNo", b.check_code AS "checkCode", b.amount::text AS amount,
            to_char(d.issued_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS "issuedAt", b.bus_no AS "busNo",
            count(*) OVER ()::int AS remaining
       FROM ${qualified(ctx.schema, S.billDelivery)} d
       JOIN ${qualified(ctx.schema, T.bill)} b
         ON b.bill_code = d.bill_code AND b.bill_no = d.bill_no AND b.issued_at = d.issued_at
      WHERE d.issued_at >= $1::timestamp AND d.${leg}_state <> 'done'
      ORDER BY d.issued_at, d.bill_code, d.bill_no LIMIT ${limit}`,
    [since.replace("T", " ")],
  );
  const remaining = rows[0]?.remaining ?? 0;
  const todo = rows.filter((r) => !delivery.isInFlight(r, leg));
  let done = 0;
  for (let i = 0; i < todo.length; i += 8) {
    const results = await Promise.all(todo.slice(i, i + 8).map((bill) => delivery.attempt(bill, leg)));
    done += results.filter(Boolean).length;
  }
  return {
    code: RESULT.ok,
    message: { attempted: todo.length, done, failed: todo.length - done, remaining: remaining - done },
  };
}
