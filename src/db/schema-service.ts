/**
 * The product's runtime tables that day-2 operations read (issue 16): what the hospital-side
 * service records while it works, as opposed to the basic information the providers declare.
 * Like reference-schema.ts this is the adapter boundary: every name here is the product's (as this
 * tool models it), and nothing else in the tool spells them.
 *
 * - `interface_log` (接口日志): one row per call the service received (direction 'in': the HIS,
 *   a kiosk, a print component, a probe) and per call it made to a dependency (direction 'out':
 *   signature server, fiscal platform, file server, push), with the product's result code.
 * - `bill_delivery`: each issued bill's archiving (归档: reported to the fiscal platform and stored
 *   as a file under the file server's archive root) and push (推送) state, written asynchronously.
 * - `stock_cursor`: the next number of each stock range (the product's current-number pointer).
 * - `bill` gains the business number (`bus_no`, the HIS's 业务流水号), the business type and, for a
 *   red-flush bill, the bill it reverses.
 *
 * None of it is declared in a stack: the providers, plan and drift never read or write these.
 */
import { T, qualified } from "./reference-schema.ts";

/** Runtime tables of the product schema. */
export const S = {
  interfaceLog: "interface_log",
  billDelivery: "bill_delivery",
  stockCursor: "stock_cursor",
} as const;

/** The delivery states of one bill's archiving or push. */
export const DELIVERY_STATES = ["pending", "done", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** Systems an interface-log row is about (who called, or whom the service called). */
export const LOG_SYSTEMS = ["his", "print", "probe", "signature", "fiscal", "file", "push", "ops"] as const;
export type LogSystem = (typeof LOG_SYSTEMS)[number];

export function serviceSchemaDdl(schema: string): string {
  const s = (table: string) => qualified(schema, table);
  const states = DELIVERY_STATES.map((x) => `'${x}'`).join(", ");
  return `
ALTER TABLE ${s(T.bill)} ADD COLUMN IF NOT EXISTS bus_no varchar(50);
ALTER TABLE ${s(T.bill)} ADD COLUMN IF NOT EXISTS bus_type char(2);
ALTER TABLE ${s(T.bill)} ADD COLUMN IF NOT EXISTS red_of_code char(8);
ALTER TABLE ${s(T.bill)} ADD COLUMN IF NOT EXISTS red_of_no char(10);
CREATE INDEX IF NOT EXISTS bill_bus_no_idx ON ${s(T.bill)} (bus_no);
CREATE INDEX IF NOT EXISTS bill_issued_at_idx ON ${s(T.bill)} (issued_at);

-- 接口日志: every call in and out, local time like the bills.
CREATE TABLE IF NOT EXISTS ${s(S.interfaceLog)} (
  id         bigserial   PRIMARY KEY,
  at         timestamp   NOT NULL,
  direction  text        NOT NULL CHECK (direction IN ('in', 'out')),
  system     text        NOT NULL,
  method     text        NOT NULL,
  result     text        NOT NULL,
  message    text,
  ms         integer     NOT NULL DEFAULT 0,
  bus_no     varchar(50),
  place_code varchar(50),
  client     text,
  detail     jsonb,
  bill_code  char(8),
  bill_no    char(10)
);
CREATE INDEX IF NOT EXISTS interface_log_at_idx ON ${s(S.interfaceLog)} (at);

-- 归档 / 推送 state of each issued bill.
CREATE TABLE IF NOT EXISTS ${s(S.billDelivery)} (
  bill_code        char(8)   NOT NULL,
  bill_no          char(10)  NOT NULL,
  issued_at        timestamp NOT NULL,
  archive_state    text      NOT NULL DEFAULT 'pending' CHECK (archive_state IN (${states})),
  archive_attempts integer   NOT NULL DEFAULT 0,
  archive_error    text,
  archived_at      timestamp,
  push_state       text      NOT NULL DEFAULT 'pending' CHECK (push_state IN (${states})),
  push_attempts    integer   NOT NULL DEFAULT 0,
  push_error       text,
  pushed_at        timestamp,
  PRIMARY KEY (bill_code, bill_no)
);
CREATE INDEX IF NOT EXISTS bill_delivery_open_archive_idx ON ${s(S.billDelivery)} (issued_at) WHERE archive_state <> 'done';
CREATE INDEX IF NOT EXISTS bill_delivery_open_push_idx ON ${s(S.billDelivery)} (issued_at) WHERE push_state <> 'done';

-- The next number of each stock range (票据号段的当前号).
CREATE TABLE IF NOT EXISTS ${s(S.stockCursor)} (
  bill_code char(8)     NOT NULL,
  batch     varchar(30) NOT NULL,
  first_no  char(10)    NOT NULL,
  next_no   bigint      NOT NULL,
  PRIMARY KEY (bill_code, batch, first_no)
);
`;
}
