// Fiscal year 2026 of 陵水黎族自治县人民医院, production.
// Bill codes are EXAMPLES (46 = Hainan, year 26) until replaced by the codes 海南省财政厅 issued.
import { defineYear } from "../../src/model/compose.ts";

export default defineYear({
  year: 2026,
  tablespaces: [{ name: "ebill_2026", year: 2026, location: "/data/pgdata/tablespaces/ebill_2026" }],
  partitions: [
    { table: "bill", year: 2026, tablespace: "ebill_2026" },
    { table: "bill_detail", year: 2026, tablespace: "ebill_2026" },
  ],
  billTypes: [
    {
      code: "46060126",
      name: "海南省医疗门诊收费票据（电子）",
      kind: "outpatient",
      year: 2026,
      example: true,
    },
    {
      code: "46060226",
      name: "海南省医疗住院收费票据（电子）",
      kind: "inpatient",
      year: 2026,
      example: true,
    },
    { code: "46060326", name: "海南省住院预交金收据（电子）", kind: "deposit", year: 2026, example: true },
  ],
  printTemplates: [
    { billCode: "46060126", name: "门诊收费票据打印模板", version: "2026.1", paper: "241x140" },
    { billCode: "46060226", name: "住院收费票据打印模板", version: "2026.1", paper: "A5" },
    { billCode: "46060326", name: "住院预交金收据打印模板", version: "2026.1", paper: "241x93" },
  ],
  billStock: [
    { billCode: "46060126", batch: "2026-01", first: "0000000001", last: "0000400000", place: "001" },
    { billCode: "46060126", batch: "2026-01", first: "0000400001", last: "0000500000", place: "003" },
    { billCode: "46060126", batch: "2026-01", first: "0000500001", last: "0000800000", place: "00000" },
    { billCode: "46060226", batch: "2026-01", first: "0000000001", last: "0000060000", place: "002" },
    { billCode: "46060326", batch: "2026-01", first: "0000000001", last: "0000030000", place: "002" },
  ],
  placeBillCodes: {
    "001": ["46060126"],
    "002": ["46060226", "46060326"],
    "003": ["46060126"],
    "00000": ["46060126"],
  },
});
