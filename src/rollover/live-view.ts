/**
 * What the year-end jobs look at in the live database. They read the providers' own live state
 * (db/live.ts: the very read a plan makes, in one read-only snapshot) and see it here as typed rows
 * of the kinds they use, plus the facts a plan has no use for: each tablespace's size on disk and
 * the server's data directory. The checks and the carry-over are pure functions over this view.
 */
import type { LiveState } from "../db/live.ts";
import type { LiveObject } from "../db/providers/types.ts";
import { readSnapshot } from "../db/source.ts";
import type { Db } from "../db/providers/types.ts";
import type { Environment } from "../model/environment.ts";
import { readStorageFacts, type StorageFacts } from "./year-facts.ts";

export interface LiveTablespace {
  name: string;
  /** Where it is on the server's disk (a sandbox's declared location is mapped under its folder). */
  location: string;
  sizeBytes: number;
}

export interface LivePartition {
  table: string;
  partition: string;
  tablespace: string;
  /** The year its name says (`bill_2027`), as the planner reads it; null for another name. */
  year: number | null;
}

export interface LiveStock {
  billCode: string;
  place: string;
  first: number;
  last: number;
  purpose: string;
  batch: string;
}

export interface LiveView {
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

const text = (o: LiveObject, field: string) => String(o.fields[field]);
const flag = (o: LiveObject, field: string) => o.fields[field] === true;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The providers' live state as the year-end jobs read it. */
export function viewOf(state: LiveState, storage: StorageFacts): LiveView {
  return {
    dataDirectory: storage.dataDirectory,
    tablespaces: state.tablespaces.map((o) => ({
      name: o.id,
      location: o.facts?.location ?? text(o, "location"),
      sizeBytes: storage.tablespaceBytes.get(o.id) ?? 0,
    })),
    partitions: state.partitions.map((o) => ({
      table: text(o, "table"),
      partition: o.id,
      tablespace: text(o, "tablespace"),
      year: typeof o.fields.year === "number" ? o.fields.year : null,
    })),
    billTypes: state.billTypes.map((o) => ({
      code: o.id,
      name: text(o, "name"),
      year: typeof o.fields.year === "number" ? o.fields.year : null,
      enabled: flag(o, "enabled"),
    })),
    templates: state.printTemplates.map((o) => ({
      billCode: o.id,
      name: text(o, "name"),
      version: text(o, "version"),
    })),
    invoicingPoints: state.invoicingPoints.map((o) => ({
      code: o.id,
      name: text(o, "name"),
      enabled: flag(o, "enabled"),
    })),
    paymentChannels: state.paymentChannels.map((o) => ({
      code: o.id,
      name: text(o, "name"),
      enabled: flag(o, "enabled"),
    })),
    mappings: state.codeMappings.map((o) => ({
      system: text(o, "system"),
      kind: text(o, "kind"),
      local: text(o, "local"),
      remote: text(o, "remote"),
    })),
    // By bill code and first number, as the finance office reads ranges.
    stock: state.billStock
      .map((o) => ({
        billCode: text(o, "billCode"),
        batch: text(o, "batch"),
        first: Number(o.fields.first),
        last: Number(o.fields.last),
        place: text(o, "place"),
        purpose: text(o, "purpose"),
      }))
      .sort((a, b) => cmp(a.billCode, b.billCode) || a.first - b.first),
  };
}

/** The providers' live state in one read-only snapshot, and the storage facts, as a view. */
export async function readLiveView(db: Db, env: Environment): Promise<LiveView> {
  const state = await readSnapshot(db, env);
  return viewOf(state, await readStorageFacts(db));
}
