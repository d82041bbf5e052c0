/**
 * Providers of the basic information (基础信息) tables: bill types, print templates, invoicing
 * points, payment channels, code mappings and bill stock. Each reads its kind in one query that
 * also says whether issued bills use a row (EXISTS on the bill table's indexes), and writes with
 * the batched row writer.
 */
import type { Environment } from "../../model/environment.ts";
import type { Fields } from "../../plan/types.ts";
import { sortedUnique } from "../../base/canonical.ts";
import { T, qualified } from "../reference-schema.ts";
import { type RowTable, writeRows } from "./rows.ts";
import type { Context, Db, Declared, LiveObject, Provider } from "./types.ts";

function rowProvider(options: {
  kind: Provider["kind"];
  spec: RowTable;
  disableable: boolean;
  select: (ctx: Context) => string;
  toLive: (row: Record<string, unknown>) => LiveObject;
  identify: (fields: Fields) => string;
  declared: (env: Environment) => Declared[] | undefined;
}): Provider {
  return {
    kind: options.kind,
    disableable: options.disableable,
    identify: options.identify,
    async read(db: Db, ctx: Context) {
      const { rows } = await db.query(options.select(ctx));
      return rows.map(options.toLive);
    },
    declared: options.declared,
    write: (db, ctx, changes) => writeRows(db, ctx.schema, options.spec, changes),
  };
}

const str = (v: unknown) => String(v);

// ---------------------------------------------------------------------------------------------

export const billTypes = rowProvider({
  kind: "billTypes",
  disableable: true,
  spec: {
    table: T.billType,
    key: ["code"],
    columns: [
      { column: "code", type: "text", field: "code" },
      { column: "name", type: "text", field: "name" },
      { column: "kind", type: "text", field: "kind" },
      { column: "year", type: "int", field: "year" },
      { column: "enabled", type: "bool", field: "enabled" },
      { column: "example", type: "bool", field: "example" },
    ],
  },
  select: ({ schema }) =>
    `SELECT t.code, t.name, t.kind, t.year, t.enabled, t.example,
            EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.bill_code = t.code) AS bills
       FROM ${qualified(schema, T.billType)} t`,
  toLive: (r) => ({
    id: str(r.code),
    fields: {
      code: r.code,
      name: r.name,
      kind: r.kind,
      year: r.year,
      enabled: r.enabled,
      example: r.example,
    },
    usage: { bills: r.bills as boolean },
  }),
  identify: (f) => str(f.code),
  declared: (env) =>
    env.billTypes?.map((t) => ({
      id: t.code,
      fields: {
        code: t.code,
        name: t.name,
        kind: t.kind,
        year: t.year,
        enabled: t.enabled,
        example: t.example,
      },
    })),
});

export const printTemplates = rowProvider({
  kind: "printTemplates",
  disableable: false,
  spec: {
    table: T.printTemplate,
    key: ["bill_code"],
    columns: [
      { column: "bill_code", type: "text", field: "billCode" },
      { column: "name", type: "text", field: "name" },
      { column: "version", type: "text", field: "version" },
      { column: "paper", type: "text", field: "paper" },
    ],
  },
  // A template prints the bills of its code: once bills of the code were issued, removing it is
  // destructive (reprints and the year's archive need it).
  select: ({ schema }) =>
    `SELECT t.bill_code, t.name, t.version, t.paper,
            EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.bill_code = t.bill_code) AS bills
       FROM ${qualified(schema, T.printTemplate)} t`,
  toLive: (r) => ({
    id: str(r.bill_code),
    fields: { billCode: r.bill_code, name: r.name, version: r.version, paper: r.paper },
    usage: { bills: r.bills as boolean },
  }),
  identify: (f) => str(f.billCode),
  declared: (env) =>
    env.printTemplates?.map((t) => ({
      id: t.billCode,
      fields: { billCode: t.billCode, name: t.name, version: t.version, paper: t.paper },
    })),
});

export const invoicingPoints = rowProvider({
  kind: "invoicingPoints",
  disableable: true,
  spec: {
    table: T.invoicingPoint,
    key: ["code"],
    columns: [
      { column: "code", type: "text", field: "code" },
      { column: "name", type: "text", field: "name" },
      { column: "enabled", type: "bool", field: "enabled" },
    ],
    links: [
      {
        table: T.invoicingPointBillType,
        ownerColumns: ["place_code"],
        valueColumn: "bill_code",
        field: "billCodes",
      },
    ],
  },
  select: ({ schema }) =>
    `SELECT p.code, p.name, p.enabled,
            COALESCE((SELECT array_agg(l.bill_code::text ORDER BY l.bill_code)
                        FROM ${qualified(schema, T.invoicingPointBillType)} l WHERE l.place_code = p.code), '{}') AS bill_codes,
            EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.place_code = p.code) AS bills
       FROM ${qualified(schema, T.invoicingPoint)} p`,
  toLive: (r) => ({
    id: str(r.code),
    fields: {
      code: r.code,
      name: r.name,
      enabled: r.enabled,
      billCodes: sortedUnique(r.bill_codes as string[]),
    },
    usage: { bills: r.bills as boolean },
  }),
  identify: (f) => str(f.code),
  declared: (env) =>
    env.invoicingPoints?.map((p) => ({
      id: p.code,
      fields: { code: p.code, name: p.name, enabled: p.enabled, billCodes: sortedUnique(p.billCodes) },
    })),
});

export const paymentChannels = rowProvider({
  kind: "paymentChannels",
  disableable: true,
  spec: {
    table: T.paymentChannel,
    key: ["code"],
    columns: [
      { column: "code", type: "text", field: "code" },
      { column: "name", type: "text", field: "name" },
      { column: "kind", type: "text", field: "kind" },
      { column: "enabled", type: "bool", field: "enabled" },
    ],
  },
  select: ({ schema }) =>
    `SELECT c.code, c.name, c.kind, c.enabled,
            EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.channel_code = c.code) AS bills
       FROM ${qualified(schema, T.paymentChannel)} c`,
  toLive: (r) => ({
    id: str(r.code),
    fields: { code: r.code, name: r.name, kind: r.kind, enabled: r.enabled },
    usage: { bills: r.bills as boolean },
  }),
  identify: (f) => str(f.code),
  declared: (env) =>
    env.paymentChannels?.map((c) => ({
      id: c.code,
      fields: { code: c.code, name: c.name, kind: c.kind, enabled: c.enabled },
    })),
});

export function mappingId(m: { system: unknown; kind: unknown; local: unknown }): string {
  return `${String(m.system)}/${String(m.kind)}/${String(m.local)}`;
}

function mappingFields(m: {
  system: unknown;
  kind: unknown;
  local: unknown;
  remote: unknown;
  remoteName?: unknown;
}): Fields {
  const fields: Fields = { system: m.system, kind: m.kind, local: m.local, remote: m.remote };
  // An absent remote name is absent on both sides (not null vs undefined), so it never shows as a change.
  if (m.remoteName !== undefined && m.remoteName !== null) fields.remoteName = m.remoteName;
  return fields;
}

export const codeMappings = rowProvider({
  kind: "codeMappings",
  disableable: false,
  spec: {
    table: T.codeMapping,
    key: ["system", "kind", "local_code"],
    columns: [
      { column: "system", type: "text", field: "system" },
      { column: "kind", type: "text", field: "kind" },
      { column: "local_code", type: "text", field: "local" },
      { column: "remote_code", type: "text", field: "remote" },
      { column: "remote_name", type: "text", field: "remoteName" },
    ],
  },
  // A place or channel mapping whose local code issued bills is in use: the other system needs it
  // for those bills (removing it is destructive).
  select: ({ schema }) =>
    `SELECT m.system, m.kind, m.local_code, m.remote_code, m.remote_name,
            CASE m.kind
              WHEN 'place' THEN EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.place_code = m.local_code)
              WHEN 'channel' THEN EXISTS (SELECT 1 FROM ${qualified(schema, T.bill)} b WHERE b.channel_code = m.local_code)
              ELSE false
            END AS bills
       FROM ${qualified(schema, T.codeMapping)} m`,
  toLive: (r) => {
    const fields = mappingFields({
      system: r.system,
      kind: r.kind,
      local: r.local_code,
      remote: r.remote_code,
      remoteName: r.remote_name,
    });
    return {
      id: mappingId(fields as { system: unknown; kind: unknown; local: unknown }),
      fields,
      usage: { bills: r.bills as boolean },
    };
  },
  identify: (f) => mappingId(f as { system: unknown; kind: unknown; local: unknown }),
  declared: (env) => env.codeMappings?.map((m) => ({ id: mappingId(m), fields: mappingFields(m) })),
});

export function stockId(s: { billCode: unknown; batch: unknown; first: unknown }): string {
  return `${String(s.billCode)}/${String(s.batch)}/${String(s.first)}`;
}

export const billStock = rowProvider({
  kind: "billStock",
  disableable: true,
  spec: {
    table: T.billStock,
    key: ["bill_code", "batch", "first_no"],
    columns: [
      { column: "bill_code", type: "text", field: "billCode" },
      { column: "batch", type: "text", field: "batch" },
      { column: "first_no", type: "text", field: "first" },
      { column: "last_no", type: "text", field: "last" },
      { column: "place_code", type: "text", field: "place" },
      { column: "purpose", type: "text", field: "purpose" },
      { column: "enabled", type: "bool", field: "enabled" },
    ],
  },
  select: ({ schema }) =>
    `SELECT s.bill_code, s.batch, s.first_no, s.last_no, s.place_code, s.purpose, s.enabled,
            (SELECT max(b.bill_no) FROM ${qualified(schema, T.bill)} b
              WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no) AS last_used
       FROM ${qualified(schema, T.billStock)} s`,
  toLive: (r) => {
    const fields = {
      billCode: r.bill_code,
      batch: r.batch,
      first: r.first_no,
      last: r.last_no,
      place: r.place_code,
      purpose: r.purpose,
      enabled: r.enabled,
    };
    // Whether bills were issued from the range is part of the live hash; the highest number used
    // is not (it moves with every bill issued, and would make every saved plan stale).
    const lastUsed = r.last_used === null ? undefined : String(r.last_used);
    return { id: stockId(fields), fields, usage: { bills: lastUsed !== undefined }, facts: { lastUsed } };
  },
  identify: (f) => stockId(f as { billCode: unknown; batch: unknown; first: unknown }),
  // The model has no `enabled` for stock: a declared range is in service. A range that bills were
  // issued from and that the stack no longer declares is disabled (the product's own flag).
  declared: (env) =>
    env.billStock?.map((s) => ({
      id: stockId(s),
      fields: {
        billCode: s.billCode,
        batch: s.batch,
        first: s.first,
        last: s.last,
        place: s.place,
        purpose: s.purpose,
        enabled: true,
      },
    })),
});
