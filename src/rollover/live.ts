/**
 * What rollover reads from the live e-bill database, as plain data. The reader (`read-live.ts`)
 * fills it from the product's tables; the checks and the carry-over are pure functions over it.
 */

export interface LiveTablespace {
  name: string;
  location: string;
  sizeBytes: number;
}

export interface LivePartition {
  table: string;
  partition: string;
  tablespace: string | null;
  /** Years the partition's range covers (from its bounds). */
  years: number[];
}

export interface LiveStock {
  billCode: string;
  place: string;
  first: number;
  last: number;
  purpose: string;
  batch: string;
}

/** Numbers consumed by one point under one code: a run of consecutive numbers (voided included). */
export interface UsedRun {
  place: string;
  billCode: string;
  first: number;
  last: number;
}

export interface UsageRow {
  place: string;
  billCode: string;
  /** Numbers used: every bill, voided and red-flush ones included. */
  count: number;
  voided: number;
  /** Red-flush (冲红) bills: the red bill is a new bill of negative amount (not voided). */
  redFlushed: number;
  /** Sum of the amounts of the bills that stand (not voided, not red), in fen (分). */
  issuedFen: number;
  /** Sum of the red bills' amounts, in fen: zero or negative. */
  redFlushFen: number;
  first: number;
  last: number;
}

export interface LiveState {
  /** The server's data directory when this role may read it (superuser or pg_read_all_settings). */
  dataDirectory: string | null;
  tablespaces: LiveTablespace[];
  partitions: LivePartition[];
  billTypes: { code: string; name: string; year: number | null; enabled: boolean }[];
  templates: { billCode: string; name: string; version: string }[];
  invoicingPoints: { code: string; name: string; enabled: boolean }[];
  paymentChannels: { code: string; name: string; enabled: boolean }[];
  mappings: { system: string; kind: string; local: string; remote: string }[];
  stock: LiveStock[];
}
