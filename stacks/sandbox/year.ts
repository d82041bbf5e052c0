// One fiscal year of the sandbox hospital, for whichever year the calendar gives: stacks/sandbox.ts
// declares the current year with it. `ebill-ops rollover prepare --stack sandbox --year <next>`
// writes the next year as its own file beside this one (year-<next>.ts): the year-end rehearsal.
import { defineYear } from "../../src/model/compose.ts";

const yy = (year: number) => String(year % 100).padStart(2, "0");
/** Bill codes end with the year: 46 Hainan, 06 medical, 01 outpatient / 02 inpatient, then yy. */
export const outpatientCode = (year: number) => `460601${yy(year)}`;
export const inpatientCode = (year: number) => `460602${yy(year)}`;

export default function sandboxYear(year: number) {
  const outpatient = outpatientCode(year);
  const inpatient = inpatientCode(year);
  return defineYear({
    year,
    tablespaces: [{ name: `ebill_${year}`, year, location: `/var/lib/ebill/tablespaces/${year}` }],
    partitions: [
      { table: "bill", year, tablespace: `ebill_${year}` },
      { table: "bill_detail", year, tablespace: `ebill_${year}` },
    ],
    billTypes: [
      { code: outpatient, name: "海南省医疗门诊收费票据（电子）", kind: "outpatient", year, example: true },
      { code: inpatient, name: "海南省医疗住院收费票据（电子）", kind: "inpatient", year, example: true },
    ],
    printTemplates: [
      { billCode: outpatient, name: "门诊电子票据打印模板", version: `${year}.1`, paper: "241x140" },
      { billCode: inpatient, name: "住院电子票据打印模板", version: `${year}.1`, paper: "A5" },
    ],
    billStock: [
      { billCode: outpatient, batch: `${year}-01`, first: "0000000001", last: "0000050000", place: "001" },
      { billCode: outpatient, batch: `${year}-01`, first: "0000050001", last: "0000060000", place: "00000" },
      { billCode: inpatient, batch: `${year}-01`, first: "0000000001", last: "0000010000", place: "002" },
    ],
    placeBillCodes: {
      "001": [outpatient],
      "002": [inpatient],
      "00000": [outpatient],
    },
  });
}
