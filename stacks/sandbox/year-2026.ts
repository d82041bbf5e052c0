// Fiscal year 2026 of the sandbox hospital. `ebill-ops rollover prepare --year 2027` writes the
// next year's file beside this one.
import { defineYear } from "../../src/model/compose.ts";

export default defineYear({
  year: 2026,
  tablespaces: [{ name: "ebill_2026", year: 2026, location: "/var/lib/ebill/tablespaces/2026" }],
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
  ],
  printTemplates: [
    { billCode: "46060126", name: "门诊电子票据打印模板", version: "2026.1", paper: "241x140" },
    { billCode: "46060226", name: "住院电子票据打印模板", version: "2026.1", paper: "A5" },
  ],
  billStock: [
    { billCode: "46060126", batch: "2026-01", first: "0000000001", last: "0000050000", place: "001" },
    { billCode: "46060126", batch: "2026-01", first: "0000050001", last: "0000060000", place: "00000" },
    { billCode: "46060226", batch: "2026-01", first: "0000000001", last: "0000010000", place: "002" },
  ],
  placeBillCodes: {
    "001": ["46060126"],
    "002": ["46060226"],
    "00000": ["46060126"],
  },
});
