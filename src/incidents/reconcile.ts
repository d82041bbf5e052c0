/**
 * `reconcile --date D` (对账): the HIS's businesses of a day against the e-bill system's bills,
 * first as totals per invoicing point and payment channel (the HIS's codes mapped through 接口对照),
 * then the exact differences by business number:
 * - missing: a HIS business with no bill (issuing failed and was never retried);
 * - extra: a bill whose business number the HIS does not have;
 * - duplicate: more than one bill for one HIS business;
 * - amount mismatch: one bill, another amount;
 * - red-flush without original: a red (negative, not voided) bill whose original bill does not exist.
 * Bills without a business number (issued by hand at a window) are counted, not compared.
 *
 * A constant number of queries whatever the day's size: the ledger (its own source), the mappings,
 * the bills of the day or of the ledger's business numbers, and the day's hand-issued count.
 */
import type pg from "pg";
import { T, qualified, schemaOf } from "../db/reference-schema.ts";
import type { Environment } from "../model/environment.ts";
import type { HisBusiness, HisLedgerSource } from "./his-ledger.ts";

export interface BillFact {
  busNo: string;
  billCode: string;
  billNo: string;
  place: string;
  channel: string;
  amountFen: number;
  redOf: string | null;
  originalExists: boolean;
}

export interface TotalsRow {
  place: string;
  channel: string;
  hisCount: number;
  hisFen: number;
  billCount: number;
  billFen: number;
}

export interface Reconciliation {
  date: string;
  source: string;
  totals: TotalsRow[];
  missing: HisBusiness[];
  extra: BillFact[];
  duplicates: { busNo: string; bills: BillFact[] }[];
  mismatches: { busNo: string; hisFen: number; billFen: number; bill: BillFact }[];
  redWithoutOriginal: BillFact[];
  /** Bills of the day with no business number (hand-issued): not compared. */
  withoutBusNo: number;
}

export const differences = (r: Reconciliation): number =>
  r.missing.length + r.extra.length + r.duplicates.length + r.mismatches.length + r.redWithoutOriginal.length;

async function billsOf(
  db: pg.ClientBase,
  env: Environment,
  date: string,
  busNos: string[],
): Promise<BillFact[]> {
  const bill = qualified(schemaOf(env), T.bill);
  const { rows } = await db.query<{
    bus_no: string;
    bill_code: string;
    bill_no: string;
    place_code: string;
    channel_code: string;
    fen: string;
    red_of: string | null;
    original_exists: boolean;
  }>(
    `SELECT b.bus_no, b.bill_code, b.bill_no, b.place_code, b.channel_code, (b.amount * 100)::bigint::text AS fen,
            CASE WHEN b.red_of_code IS NOT NULL THEN b.red_of_code || '/' || b.red_of_no END AS red_of,
            b.red_of_code IS NOT NULL AND EXISTS (
              SELECT 1 FROM ${bill} o WHERE o.bill_code = b.red_of_code AND o.bill_no = b.red_of_no) AS original_exists
       FROM ${bill} b
      WHERE b.state = 'normal' AND b.bus_no IS NOT NULL
        AND ((b.issued_at >= $1::date AND b.issued_at < $1::date + 1) OR b.bus_no = ANY($2::text[]))`,
    [date, busNos],
  );
  return rows.map((r) => ({
    busNo: r.bus_no,
    billCode: r.bill_code,
    billNo: r.bill_no,
    place: r.place_code,
    channel: r.channel_code,
    amountFen: Number(r.fen),
    redOf: r.red_of,
    originalExists: r.original_exists,
  }));
}

/** A business day as `--date` takes it; throws saying what is expected. */
export function checkDay(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
    throw new Error(`--date '${date}' is not a day; use YYYY-MM-DD`);
}

export async function reconcile(
  db: pg.ClientBase,
  env: Environment,
  source: HisLedgerSource,
  date: string,
): Promise<Reconciliation> {
  checkDay(date);
  const schema = schemaOf(env);
  const his = await source.day(date);
  const mappings = await db.query<{ kind: string; local_code: string; remote_code: string }>(
    `SELECT kind, local_code, remote_code FROM ${qualified(schema, T.codeMapping)} WHERE system = 'his'`,
  );
  const local = (kind: string, remote: string) =>
    mappings.rows.find((m) => m.kind === kind && m.remote_code === remote)?.local_code ?? `HIS:${remote}`;
  const bills = await billsOf(db, env, date, [...new Set(his.map((h) => h.busNo))]);
  const manual = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${qualified(schema, T.bill)}
      WHERE bus_no IS NULL AND issued_at >= $1::date AND issued_at < $1::date + 1`,
    [date],
  );

  const byBusNo = new Map<string, BillFact[]>();
  for (const b of bills) byBusNo.set(b.busNo, [...(byBusNo.get(b.busNo) ?? []), b]);
  const hisBusNos = new Set(his.map((h) => h.busNo));
  const result: Reconciliation = {
    date,
    source: source.describe,
    totals: [],
    missing: [],
    extra: [],
    duplicates: [],
    mismatches: [],
    redWithoutOriginal: bills.filter((b) => b.amountFen < 0 && !b.originalExists),
    withoutBusNo: manual.rows[0]!.n,
  };
  for (const h of his) {
    const found = byBusNo.get(h.busNo) ?? [];
    if (found.length === 0) result.missing.push(h);
    else if (found.length > 1) result.duplicates.push({ busNo: h.busNo, bills: found });
    else if (found[0]!.amountFen !== h.amountFen)
      result.mismatches.push({
        busNo: h.busNo,
        hisFen: h.amountFen,
        billFen: found[0]!.amountFen,
        bill: found[0]!,
      });
  }
  for (const [busNo, group] of byBusNo) if (!hisBusNos.has(busNo)) result.extra.push(...group);

  const totals = new Map<string, TotalsRow>();
  const row = (place: string, channel: string) => {
    const key = `${place}\u0000${channel}`;
    if (!totals.has(key))
      totals.set(key, { place, channel, hisCount: 0, hisFen: 0, billCount: 0, billFen: 0 });
    return totals.get(key)!;
  };
  for (const h of his) {
    const r = row(local("place", h.place), local("channel", h.channel));
    r.hisCount++;
    r.hisFen += h.amountFen;
  }
  for (const b of bills) {
    const r = row(b.place, b.channel);
    r.billCount++;
    r.billFen += b.amountFen;
  }
  result.totals = [...totals.values()].sort(
    (a, b) => a.place.localeCompare(b.place) || a.channel.localeCompare(b.channel),
  );
  return result;
}

const yuan = (fen: number) => (fen / 100).toFixed(2);

export function formatReconciliation(r: Reconciliation, markdown = false): string {
  const lines: string[] = [];
  const h = (text: string) => lines.push(markdown ? `\n## ${text}\n` : `\n${text}`);
  lines.push(
    markdown ? `# 对账 reconciliation ${r.date}` : `对账 reconciliation ${r.date} (HIS: ${r.source})`,
  );
  if (markdown) lines.push("", `HIS: ${r.source}`);
  h("按开票点与缴费渠道 totals per point and channel");
  lines.push(
    "| 开票点 point | 渠道 channel | HIS 笔数 | HIS 金额 | 票据张数 bills | 票据金额 | 差额 difference |",
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|");
  for (const t of r.totals)
    lines.push(
      `| ${t.place} | ${t.channel} | ${t.hisCount} | ${yuan(t.hisFen)} | ${t.billCount} | ${yuan(t.billFen)} | ${yuan(t.billFen - t.hisFen)} |`,
    );
  const n = differences(r);
  h(n === 0 ? "平 balanced: no differences" : `差异 ${n} differences`);
  for (const m of r.missing)
    lines.push(
      `- 漏开 missing: HIS ${m.busNo} ${yuan(m.amountFen)} (${m.place}/${m.channel}) has no bill: issue it again from the HIS`,
    );
  for (const e of r.extra)
    lines.push(
      `- 多开 extra: bill ${e.billCode} ${e.billNo} (busNo ${e.busNo}, ${yuan(e.amountFen)}) has no HIS record`,
    );
  for (const d of r.duplicates)
    lines.push(
      `- 重复 duplicate: HIS ${d.busNo} has ${d.bills.length} bills (${d.bills.map((b) => `${b.billCode} ${b.billNo}`).join(", ")}): red-flush the extra ones`,
    );
  for (const m of r.mismatches)
    lines.push(
      `- 金额不符 mismatch: HIS ${m.busNo} ${yuan(m.hisFen)} but bill ${m.bill.billCode} ${m.bill.billNo} ${yuan(m.billFen)}`,
    );
  for (const x of r.redWithoutOriginal)
    lines.push(
      `- 冲红无原票 red-flush without original: bill ${x.billCode} ${x.billNo} (busNo ${x.busNo}, ${yuan(x.amountFen)})${x.redOf ? ` names ${x.redOf}, which does not exist` : " names no original"}`,
    );
  if (r.withoutBusNo > 0)
    lines.push(
      "",
      `${r.withoutBusNo} bills of the day have no business number (手工开票, issued by hand): not compared`,
    );
  return lines.join("\n");
}
