import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/**
 * A bill code is region(2) + category(2) + type(2) + year(2). The region must be the hospital's
 * province and the year the bill type's year; a code from another year or province would be
 * rejected by the fiscal platform at the first issue.
 */
export function billCodeStructure(env: Environment): Finding[] {
  const region = env.hospital.regionCode.slice(0, 2);
  const findings: Finding[] = [];
  env.billTypes?.forEach((b, i) => {
    if (b.code.slice(0, 2) !== region)
      findings.push({
        path: `billTypes[${i}].code`,
        message: `bill code ${b.code} starts with ${b.code.slice(0, 2)}, but the hospital's region ${env.hospital.regionCode} needs ${region}`,
      });
    const yy = String(b.year % 100).padStart(2, "0");
    if (b.code.slice(6) !== yy)
      findings.push({
        path: `billTypes[${i}].code`,
        message: `bill code ${b.code} ends with ${b.code.slice(6)}, but its year ${b.year} needs ${yy}`,
      });
  });
  return findings;
}
