/**
 * The sandbox HIS's own ledger (收费流水): what the HIS charged and refunded, per business number,
 * kept by the traffic generator in a schema of its own (`his_sandbox`, standing for the HIS's
 * database), whatever the e-bill service answered. Reconciliation reads it through its adapter.
 */
import type pg from "pg";
import { qualified, quoteIdent } from "../db/reference-schema.ts";

export const HIS_SCHEMA = "his_sandbox";
export const LEDGER = qualified(HIS_SCHEMA, "ledger");

export interface LedgerRow {
  busNo: string;
  busDate: string;
  /** The HIS's own codes (before 接口对照). */
  place: string;
  channel: string;
  /** Yuan with two decimals; negative for a refund. */
  amount: string;
  kind: "charge" | "refund";
  originalBusNo?: string;
  at: string;
}

export function ledgerDdl(): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${quoteIdent(HIS_SCHEMA)};
CREATE TABLE IF NOT EXISTS ${LEDGER} (
  id              bigserial     PRIMARY KEY,
  bus_no          varchar(50)   NOT NULL,
  bus_date        date          NOT NULL,
  place_code      varchar(50)   NOT NULL,
  channel_code    varchar(50)   NOT NULL,
  amount          numeric(12,2) NOT NULL,
  kind            text          NOT NULL CHECK (kind IN ('charge', 'refund')),
  original_bus_no varchar(50),
  recorded_at     timestamp     NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_bus_date_idx ON ${LEDGER} (bus_date);
`;
}

export async function recordLedger(db: pg.ClientBase | pg.Pool, rows: readonly LedgerRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO ${LEDGER} (bus_no, bus_date, place_code, channel_code, amount, kind, original_bus_no, recorded_at)
     SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::text[], $8::timestamp[])`,
    [
      rows.map((r) => r.busNo),
      rows.map((r) => r.busDate),
      rows.map((r) => r.place),
      rows.map((r) => r.channel),
      rows.map((r) => r.amount),
      rows.map((r) => r.kind),
      rows.map((r) => r.originalBusNo ?? null),
      rows.map((r) => r.at),
    ],
  );
}
