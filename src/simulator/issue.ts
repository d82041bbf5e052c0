/**
 * Issuing as the product does it: 接口对照 maps the HIS's place and channel codes, the point's
 * bill type of the year is chosen, the next number is taken from the point's stock, the signature
 * server signs, and the bill is stored in its year's partition; archiving and push follow in the
 * background (delivery.ts). Red-flush (冲红) issues a new bill of negative amount that names the
 * bill it reverses (the convention the year-end carry-over counts by).
 */
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import { T, qualified } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import { SUCCESS } from "../protocol/envelope.ts";
import { RESULT } from "../protocol/result-codes.ts";
import { localTimestamp, serviceNow } from "./clock.ts";
import type { CallTrace, Outcome, ServiceContext } from "./context.ts";
import type { DeliveryBill } from "./delivery.ts";
import { takeNumber } from "./stock.ts";

export type BillKind = "outpatient" | "inpatient";

interface IssueRequest {
  busNo: string;
  busType: string;
  hisPlace: string;
  hisChannel: string;
  amountFen: number;
  lines: { item: string; amountFen: number }[];
}

const fail = (code: Outcome["code"], message: string, extra: Record<string, unknown> = {}): Outcome => ({
  code,
  message: { msg: message, ...extra },
});

const yuan = (fen: number) => (fen / 100).toFixed(2);
const toFen = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.round(n * 100) : null;
};

/** The issue call's data, as the HIS sends it (V3.x field names); a message when it is not usable. */
export function parseIssue(data: unknown): IssueRequest | string {
  if (!data || typeof data !== "object") return "data is not a JSON object";
  const d = data as Record<string, unknown>;
  const str = (name: string) => (typeof d[name] === "string" && d[name] !== "" ? (d[name] as string) : null);
  const busNo = str("busNo");
  const hisPlace = str("placeCode");
  const channels = Array.isArray(d.payChannelDetail) ? (d.payChannelDetail as Record<string, unknown>[]) : [];
  const hisChannel = typeof channels[0]?.payChannelCode === "string" ? channels[0].payChannelCode : null;
  const amountFen = toFen(d.totalAmt);
  const missing = [
    !busNo && "busNo",
    !hisPlace && "placeCode",
    !hisChannel && "payChannelDetail[0].payChannelCode",
    (amountFen === null || amountFen <= 0) && "totalAmt (a positive amount)",
  ].filter(Boolean);
  if (missing.length > 0) return `missing or invalid: ${missing.join(", ")}`;
  const details = Array.isArray(d.chargeDetail) ? (d.chargeDetail as Record<string, unknown>[]) : [];
  const lines = details
    .map((l) => ({ item: String(l.chargeName ?? "其他"), amountFen: toFen(l.amt) ?? 0 }))
    .filter((l) => l.amountFen !== 0);
  return {
    busNo: busNo!,
    busType: str("busType") ?? "02",
    hisPlace: hisPlace!,
    hisChannel: hisChannel!,
    amountFen: amountFen!,
    lines: lines.length > 0 ? lines : [{ item: "其他", amountFen: amountFen! }],
  };
}

/** The HIS's codes mapped through 接口对照 (one query); an outcome when one has no mapping. */
async function mapCodes(
  ctx: ServiceContext,
  hisPlace: string,
  hisChannel: string,
): Promise<{ place: string; channel: string } | Outcome> {
  const { rows } = await ctx.pool.query<{ kind: string; local_code: string }>(
    `SELECT kind, local_code FROM ${qualified(ctx.schema, T.codeMapping)}
      WHERE system = 'his' AND ((kind = 'place' AND remote_code = $1) OR (kind = 'channel' AND remote_code = $2))`,
    [hisPlace, hisChannel],
  );
  const place = rows.find((r) => r.kind === "place")?.local_code;
  const channel = rows.find((r) => r.kind === "channel")?.local_code;
  if (!place) return fail(RESULT.unmappedPlace, `开票点 ${hisPlace} 未做接口对照`, { placeCode: hisPlace });
  if (!channel)
    return fail(RESULT.unmappedChannel, `缴费渠道 ${hisChannel} 未做接口对照`, {
      payChannelCode: hisChannel,
    });
  return { place, channel };
}

async function billCodeOf(ctx: ServiceContext, place: string, kind: BillKind, year: number) {
  const { rows } = await ctx.pool.query<{ code: string }>(
    `SELECT t.code FROM ${qualified(ctx.schema, T.invoicingPointBillType)} p
       JOIN ${qualified(ctx.schema, T.billType)} t ON t.code = p.bill_code
      WHERE p.place_code = $1 AND t.kind = $2 AND t.year = $3 AND t.enabled ORDER BY t.code LIMIT 1`,
    [place, kind, year],
  );
  return rows[0]?.code ?? null;
}

/** Asks the signature server to sign the bill's digest (the stand-in, or its fault). */
async function sign(ctx: ServiceContext, digest: string, trace: CallTrace): Promise<string | null> {
  await ctx.standIns.sync();
  const started = Date.now();
  const at = localTimestamp(serviceNow(), ctx.timeZone);
  const url = `${ctx.standIns.signature.url}/sign`;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ digest }),
      signal: AbortSignal.timeout(3000),
    });
    const body = (await response.json()) as { signature?: string };
    if (!response.ok || !body.signature) throw new Error(`HTTP ${response.status}`);
    trace.log.push({
      at,
      direction: "out",
      system: "signature",
      method: "sign",
      result: SUCCESS,
      ms: Date.now() - started,
    });
    return body.signature;
  } catch (error) {
    const e = error as { cause?: { code?: string }; message?: string };
    trace.log.push({
      at,
      direction: "out",
      system: "signature",
      method: "sign",
      result: RESULT.signatureDown.code,
      message: `${url}: ${e.cause?.code ?? e.message ?? String(error)}`,
      ms: Date.now() - started,
    });
    return null;
  }
}

interface NewBill {
  place: string;
  channel: string;
  kind: BillKind;
  amountFen: number;
  busNo: string;
  busType: string;
  lines: { item: string; amountFen: number }[];
  redOf?: { billCode: string; billNo: string };
}

/** The bill, its lines and its delivery state (archive/push still to do), in the caller's transaction. */
async function insertBill(
  client: pg.PoolClient,
  ctx: ServiceContext,
  bill: NewBill,
  issued: { billCode: string; billNo: string; checkCode: string; issuedAt: string },
): Promise<void> {
  const { billCode, checkCode, issuedAt } = issued;
  const number = { billNo: issued.billNo };
  await client.query(
    `INSERT INTO ${qualified(ctx.schema, T.bill)}
         (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at, state, bus_no, bus_type, red_of_code, red_of_no)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'normal', $8, $9, $10, $11)`,
    [
      billCode,
      number.billNo,
      checkCode,
      bill.place,
      bill.channel,
      yuan(bill.amountFen),
      issuedAt,
      bill.busNo,
      bill.busType,
      bill.redOf?.billCode ?? null,
      bill.redOf?.billNo ?? null,
    ],
  );
  await client.query(
    `INSERT INTO ${qualified(ctx.schema, T.billDetail)} (bill_code, bill_no, issued_at, line_no, item_name, amount)
       SELECT $1, $2, $3, n, item, amount FROM unnest($4::text[], $5::numeric[]) WITH ORDINALITY AS l(item, amount, n)`,
    [
      billCode,
      number.billNo,
      issuedAt,
      bill.lines.map((l) => l.item),
      bill.lines.map((l) => yuan(l.amountFen)),
    ],
  );
  await client.query(
    `INSERT INTO ${qualified(ctx.schema, S.billDelivery)} (bill_code, bill_no, issued_at) VALUES ($1, $2, $3)`,
    [billCode, number.billNo, issuedAt],
  );
}

/** What the service answers for a bill it issued: its number, check code and where to see it. */
function issuedAnswer(
  ctx: ServiceContext,
  billCode: string,
  billNo: string,
  checkCode: string,
  issuedAt: string,
) {
  const page = `${ctx.baseUrl}/bill/${billCode}/${billNo}?random=${checkCode}`;
  return {
    billBatchCode: billCode,
    billNo,
    random: checkCode,
    createTime: issuedAt.slice(0, 19).replace(/[- :]/g, ""),
    billQRCode: Buffer.from(page).toString("base64"),
    pictureUrl: page,
    pictureNetUrl: page,
  };
}

/** Stock, signature, storage: the part every issue shares (normal and red-flush). */
async function store(
  ctx: ServiceContext,
  bill: NewBill,
  trace: CallTrace,
): Promise<{ outcome: Outcome; delivery?: DeliveryBill }> {
  const at = serviceNow();
  const issuedAt = localTimestamp(at, ctx.timeZone);
  const year = Number(issuedAt.slice(0, 4));
  const billCode = await billCodeOf(ctx, bill.place, bill.kind, year);
  if (!billCode)
    return {
      outcome: fail(
        RESULT.noBillType,
        `开票点 ${bill.place} 未配置 ${year} 年度${bill.kind === "inpatient" ? "住院" : "门诊"}票据种类`,
        {
          placeCode: bill.place,
        },
      ),
    };
  const client: pg.PoolClient = await ctx.pool.connect();
  try {
    await client.query("BEGIN");
    const number = await takeNumber(client, ctx.schema, bill.place, billCode);
    if (!number) {
      await client.query("ROLLBACK");
      trace.facts.detail = { value: bill.place, billCode };
      return {
        outcome: fail(RESULT.noStock, `开票点 ${bill.place} 的 ${billCode} 票据已用完`, {
          placeCode: bill.place,
        }),
      };
    }
    const checkCode = randomBytes(3).toString("hex");
    const digest = createHash("sha256")
      .update(`${billCode}${number.billNo}${checkCode}${yuan(bill.amountFen)}`)
      .digest("hex");
    const signature = await sign(ctx, digest, trace);
    if (!signature) {
      await client.query("ROLLBACK");
      return { outcome: fail(RESULT.signatureDown, "签名服务器不可用，票据未开具") };
    }
    await insertBill(client, ctx, bill, { billCode, billNo: number.billNo, checkCode, issuedAt });
    await client.query("COMMIT");
    trace.facts.billCode = billCode;
    trace.facts.billNo = number.billNo;
    return {
      outcome: { code: RESULT.ok, message: issuedAnswer(ctx, billCode, number.billNo, checkCode, issuedAt) },
      delivery: {
        billCode,
        billNo: number.billNo,
        checkCode,
        amount: yuan(bill.amountFen),
        issuedAt,
        busNo: bill.busNo,
      },
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** invoiceEBillOutpatient / invEBillHospitalized. */
export async function issueBill(
  ctx: ServiceContext,
  kind: BillKind,
  data: unknown,
  trace: CallTrace,
): Promise<{ outcome: Outcome; delivery?: DeliveryBill }> {
  const request = parseIssue(data);
  if (typeof request === "string") return { outcome: fail(RESULT.badData, request) };
  trace.facts.busNo = request.busNo;
  trace.facts.placeCode = request.hisPlace;
  const mapped = await mapCodes(ctx, request.hisPlace, request.hisChannel);
  if ("code" in mapped) {
    trace.facts.detail = {
      value: mapped.code === RESULT.unmappedPlace ? request.hisPlace : request.hisChannel,
    };
    return { outcome: mapped };
  }
  return store(ctx, { ...request, ...mapped, kind }, trace);
}

/** writeOffEBill: a red bill reversing a normal one (once). */
export async function redFlush(
  ctx: ServiceContext,
  data: unknown,
  trace: CallTrace,
): Promise<{ outcome: Outcome; delivery?: DeliveryBill }> {
  const d = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  const billCode = typeof d.billBatchCode === "string" ? d.billBatchCode : "";
  const billNo = typeof d.billNo === "string" ? d.billNo : "";
  if (!billCode || !billNo) return { outcome: fail(RESULT.badData, "missing billBatchCode or billNo") };
  const b = qualified(ctx.schema, T.bill);
  const { rows } = await ctx.pool.query<{
    place_code: string;
    channel_code: string;
    amount: string;
    bus_no: string | null;
    bus_type: string | null;
    kind: string | null;
    flushed: boolean;
  }>(
    `SELECT o.place_code, o.channel_code, o.amount::text, o.bus_no, o.bus_type, t.kind,
            EXISTS (SELECT 1 FROM ${b} r WHERE r.red_of_code = o.bill_code AND r.red_of_no = o.bill_no) AS flushed
       FROM ${b} o LEFT JOIN ${qualified(ctx.schema, T.billType)} t ON t.code = o.bill_code
      WHERE o.bill_code = $1 AND o.bill_no = $2 AND o.state = 'normal' AND o.amount > 0`,
    [billCode, billNo],
  );
  const original = rows[0];
  if (!original) return { outcome: fail(RESULT.notFound, `票据 ${billCode} ${billNo} 不存在或不可冲红`) };
  if (original.flushed)
    return { outcome: fail(RESULT.alreadyRedFlushed, `票据 ${billCode} ${billNo} 已冲红`) };
  const busNo =
    typeof d.busNo === "string" && d.busNo ? d.busNo : (original.bus_no ?? `${billCode}${billNo}`);
  trace.facts.busNo = busNo;
  const fen = Math.round(Number(original.amount) * 100);
  return store(
    ctx,
    {
      place: original.place_code,
      channel: original.channel_code,
      kind: original.kind === "inpatient" ? "inpatient" : "outpatient",
      amountFen: -fen,
      busNo,
      busType: original.bus_type ?? "02",
      lines: [{ item: "冲红", amountFen: -fen }],
      redOf: { billCode, billNo },
    },
    trace,
  );
}
