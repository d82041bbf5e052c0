// Fiscal year 2027 of 陵水黎族自治县人民医院 (stack lingshui-prod), written by
// 'ebill-ops rollover prepare --year 2027', derived from 2026 as declared in year-2026.ts.
// STOCK SIZES ARE ESTIMATES: the database was not read. They come from issuing rates (bills per
// day) given with --issued-per-day, not from bills issued in 2026:
//   001=840,003=210,00000=630,002/46060226=125,002/46060326=63
// Review before merging: bill codes marked example must be replaced by the codes the fiscal
// platform issued for the new year, and stock must match what the finance office received.
// Stock per invoicing point = bills per day given x 365 x margin 1.3,
// rounded up; exchange (旧票回收) ranges are pre-distributed after the issuing ranges.
//   001 46060127: estimated 840/day for 46060126 -> 400000 to issue, 20000 for exchange
//   002 46060227: estimated 125/day for 46060226 -> 60000 to issue, 3000 for exchange
//   002 46060327: estimated 63/day for 46060326 -> 30000 to issue, 1500 for exchange
//   003 46060127: estimated 210/day for 46060126 -> 100000 to issue, 5000 for exchange
//   00000 46060127: estimated 630/day for 46060126 -> 300000 to issue, 15000 for exchange
import { defineYear } from "../../src/model/compose.ts";

export default defineYear({
  year: 2027,
  tablespaces: [{ name: "ebill_2027", year: 2027, location: "/data/pgdata/tablespaces/ebill_2027" }],
  partitions: [
    { table: "bill", year: 2027, tablespace: "ebill_2027" },
    { table: "bill_detail", year: 2027, tablespace: "ebill_2027" },
  ],
  billTypes: [
    {
      code: "46060127",
      name: "海南省医疗门诊收费票据（电子）",
      kind: "outpatient",
      year: 2027,
      example: true,
    },
    {
      code: "46060227",
      name: "海南省医疗住院收费票据（电子）",
      kind: "inpatient",
      year: 2027,
      example: true,
    },
    { code: "46060327", name: "海南省住院预交金收据（电子）", kind: "deposit", year: 2027, example: true },
  ],
  printTemplates: [
    { billCode: "46060127", name: "门诊收费票据打印模板", version: "2027.1", paper: "241x140" },
    { billCode: "46060227", name: "住院收费票据打印模板", version: "2027.1", paper: "A5" },
    { billCode: "46060327", name: "住院预交金收据打印模板", version: "2027.1", paper: "241x93" },
  ],
  billStock: [
    { billCode: "46060127", batch: "2027-01", first: "0000000001", last: "0000400000", place: "001" },
    { billCode: "46060227", batch: "2027-01", first: "0000000001", last: "0000060000", place: "002" },
    { billCode: "46060327", batch: "2027-01", first: "0000000001", last: "0000030000", place: "002" },
    { billCode: "46060127", batch: "2027-01", first: "0000400001", last: "0000500000", place: "003" },
    { billCode: "46060127", batch: "2027-01", first: "0000500001", last: "0000800000", place: "00000" },
    {
      billCode: "46060127",
      batch: "2027-01",
      first: "0000800001",
      last: "0000820000",
      place: "001",
      purpose: "exchange",
    },
    {
      billCode: "46060227",
      batch: "2027-01",
      first: "0000060001",
      last: "0000063000",
      place: "002",
      purpose: "exchange",
    },
    {
      billCode: "46060327",
      batch: "2027-01",
      first: "0000030001",
      last: "0000031500",
      place: "002",
      purpose: "exchange",
    },
    {
      billCode: "46060127",
      batch: "2027-01",
      first: "0000820001",
      last: "0000825000",
      place: "003",
      purpose: "exchange",
    },
    {
      billCode: "46060127",
      batch: "2027-01",
      first: "0000825001",
      last: "0000840000",
      place: "00000",
      purpose: "exchange",
    },
  ],
  placeBillCodes: {
    "001": ["46060127"],
    "002": ["46060227", "46060327"],
    "003": ["46060127"],
    "00000": ["46060127"],
  },
});
