/**
 * The HIS side of reconciliation (对账), read through an adapter: what the HIS charged and refunded
 * on a business day, per business number, in the HIS's own codes.
 *
 * - the sandbox HIS's ledger (`his_sandbox.ledger`, written by `sandbox traffic`);
 * - a CSV file a real HIS exports (`--his-csv FILE`), UTF-8, a header line and one line per
 *   business: `busNo,busDate,placeCode,payChannelCode,amount[,originalBusNo]` — amount in yuan
 *   with two decimals, negative for a refund (then originalBusNo names the charge it refunds).
 *   A HIS database can give the same columns with a SQL view; export it with COPY ... TO STDOUT CSV.
 */
import { readFile } from "node:fs/promises";
import type pg from "pg";

export interface HisBusiness {
  busNo: string;
  busDate: string;
  place: string;
  channel: string;
  /** In fen (分), negative for a refund. */
  amountFen: number;
  originalBusNo: string | null;
}

export interface HisLedgerSource {
  describe: string;
  day(date: string): Promise<HisBusiness[]>;
}

const toFen = (text: string): number => Math.round(Number(text) * 100);

export function sandboxLedger(db: pg.ClientBase): HisLedgerSource {
  return {
    describe: "the sandbox HIS's ledger (his_sandbox.ledger)",
    async day(date) {
      const exists = await db.query<{ ok: boolean }>(
        "SELECT to_regclass('his_sandbox.ledger') IS NOT NULL AS ok",
      );
      if (!exists.rows[0]?.ok) return [];
      const { rows } = await db.query<{
        bus_no: string;
        place_code: string;
        channel_code: string;
        amount: string;
        original_bus_no: string | null;
      }>(
        `SELECT bus_no, place_code, channel_code, amount::text, original_bus_no
           FROM his_sandbox.ledger WHERE bus_date = $1::date ORDER BY id`,
        [date],
      );
      return rows.map((r) => ({
        busNo: r.bus_no,
        busDate: date,
        place: r.place_code,
        channel: r.channel_code,
        amountFen: toFen(r.amount),
        originalBusNo: r.original_bus_no,
      }));
    },
  };
}

const CSV_COLUMNS = ["busNo", "busDate", "placeCode", "payChannelCode", "amount"] as const;

/** A HIS export as CSV; a malformed line is an error naming the file, the line and what is wrong. */
export function csvLedger(file: string): HisLedgerSource {
  return {
    describe: file,
    async day(date) {
      const text = (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
      const lines = text.split(/\r?\n/);
      const header = (lines[0] ?? "").split(",").map((h) => h.trim());
      const at = (name: string) => header.indexOf(name);
      const missing = CSV_COLUMNS.filter((c) => at(c) < 0);
      if (missing.length > 0)
        throw new Error(
          `${file}: line 1 (the header) lacks ${missing.join(", ")}; expected busNo,busDate,placeCode,payChannelCode,amount[,originalBusNo]`,
        );
      const out: HisBusiness[] = [];
      lines.slice(1).forEach((line, i) => {
        if (line.trim() === "") return;
        const cells = line.split(",").map((c) => c.trim());
        const amount = cells[at("amount")] ?? "";
        const busDate = cells[at("busDate")] ?? "";
        if (!/^-?\d+(\.\d{1,2})?$/.test(amount) || !/^\d{4}-\d{2}-\d{2}$/.test(busDate))
          throw new Error(
            `${file}: line ${i + 2}: amount '${amount}' or busDate '${busDate}' is not valid (amount in yuan like 12.50, busDate YYYY-MM-DD); nothing was compared`,
          );
        if (busDate !== date) return;
        out.push({
          busNo: cells[at("busNo")]!,
          busDate,
          place: cells[at("placeCode")]!,
          channel: cells[at("payChannelCode")]!,
          amountFen: toFen(amount),
          originalBusNo: at("originalBusNo") >= 0 ? cells[at("originalBusNo")] || null : null,
        });
      });
      return out;
    },
  };
}
