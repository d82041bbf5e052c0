/**
 * Providers of the basic information (基础信息) tables: bill types, print templates, invoicing
 * points, payment channels, code mappings and bill stock. Each is its column table (columns.ts) and
 * what issued bills say of a row, read in the same query (EXISTS on the bill table's indexes).
 */
import { qualified, T } from "../reference-schema.ts";
import { type RowTable, rowProvider, usedByBills } from "./columns.ts";

export const BILL_TYPE_TABLE: RowTable = {
  table: T.billType,
  columns: [
    { column: "code", type: "text", field: "code", key: true },
    { column: "name", type: "text", field: "name" },
    { column: "kind", type: "text", field: "kind" },
    { column: "year", type: "int", field: "year" },
    { column: "enabled", type: "bool", field: "enabled" },
    { column: "example", type: "bool", field: "example" },
  ],
};

export const PRINT_TEMPLATE_TABLE: RowTable = {
  table: T.printTemplate,
  columns: [
    { column: "bill_code", type: "text", field: "billCode", key: true },
    { column: "name", type: "text", field: "name" },
    { column: "version", type: "text", field: "version" },
    { column: "paper", type: "text", field: "paper" },
  ],
};

export const INVOICING_POINT_TABLE: RowTable = {
  table: T.invoicingPoint,
  columns: [
    { column: "code", type: "text", field: "code", key: true },
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
};

export const PAYMENT_CHANNEL_TABLE: RowTable = {
  table: T.paymentChannel,
  columns: [
    { column: "code", type: "text", field: "code", key: true },
    { column: "name", type: "text", field: "name" },
    { column: "kind", type: "text", field: "kind" },
    { column: "enabled", type: "bool", field: "enabled" },
  ],
};

export const CODE_MAPPING_TABLE: RowTable = {
  table: T.codeMapping,
  columns: [
    { column: "system", type: "text", field: "system", key: true },
    { column: "kind", type: "text", field: "kind", key: true },
    { column: "local_code", type: "text", field: "local", key: true },
    { column: "remote_code", type: "text", field: "remote" },
    { column: "remote_name", type: "text", field: "remoteName", optional: true },
  ],
};

export const BILL_STOCK_TABLE: RowTable = {
  table: T.billStock,
  columns: [
    { column: "bill_code", type: "text", field: "billCode", key: true },
    { column: "batch", type: "text", field: "batch", key: true },
    { column: "first_no", type: "text", field: "first", key: true },
    { column: "last_no", type: "text", field: "last" },
    { column: "place_code", type: "text", field: "place" },
    { column: "purpose", type: "text", field: "purpose" },
    // The model has no `enabled` for stock: a declared range is in service. A range that bills were
    // issued from and that the stack no longer declares is disabled (the product's own flag).
    { column: "enabled", type: "bool", field: "enabled", declared: true },
  ],
};

export const billTypes = rowProvider({
  kind: "billTypes",
  table: BILL_TYPE_TABLE,
  disableable: true,
  extra: (schema) => ({ bills: usedByBills(schema, "b.bill_code = a.code") }),
});

export const printTemplates = rowProvider({
  kind: "printTemplates",
  table: PRINT_TEMPLATE_TABLE,
  disableable: false,
  // A template prints the bills of its code: once bills of the code were issued, removing it is
  // destructive (reprints and the year's archive need it).
  extra: (schema) => ({ bills: usedByBills(schema, "b.bill_code = a.bill_code") }),
});

export const invoicingPoints = rowProvider({
  kind: "invoicingPoints",
  table: INVOICING_POINT_TABLE,
  disableable: true,
  extra: (schema) => ({ bills: usedByBills(schema, "b.place_code = a.code") }),
});

export const paymentChannels = rowProvider({
  kind: "paymentChannels",
  table: PAYMENT_CHANNEL_TABLE,
  disableable: true,
  extra: (schema) => ({ bills: usedByBills(schema, "b.channel_code = a.code") }),
});

export const codeMappings = rowProvider({
  kind: "codeMappings",
  table: CODE_MAPPING_TABLE,
  disableable: false,
  // A place or channel mapping whose local code issued bills is in use: the other system needs it
  // for those bills (removing it is destructive).
  extra: (schema) => ({
    bills: `CASE a.kind WHEN 'place' THEN ${usedByBills(schema, "b.place_code = a.local_code")}
                        WHEN 'channel' THEN ${usedByBills(schema, "b.channel_code = a.local_code")}
                        ELSE false END`,
  }),
});

export const billStock = rowProvider({
  kind: "billStock",
  table: BILL_STOCK_TABLE,
  disableable: true,
  extra: (schema) => ({
    last_used: `(SELECT max(b.bill_no) FROM ${qualified(schema, T.bill)} b
                  WHERE b.bill_code = a.bill_code AND b.bill_no BETWEEN a.first_no AND a.last_no)`,
  }),
  // Whether bills were issued from the range is part of the live hash; the highest number used is
  // not (it moves with every bill issued, and would make every saved plan stale).
  usage: (row) => {
    const lastUsed = row.last_used === null ? undefined : String(row.last_used);
    return { usage: { bills: lastUsed !== undefined }, facts: { lastUsed } };
  },
});
