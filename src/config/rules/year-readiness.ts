import { PARTITIONED_TABLES, type Environment } from "../../model/environment.ts";
import { localDate } from "../../time.ts";
import type { Finding, RuleContext } from "./index.ts";

/** From this day of December, next year's declaration is required (a warning before it). */
export const NEXT_YEAR_WARN_FROM = { month: 12, day: 1 };
export const NEXT_YEAR_ERROR_FROM = { month: 12, day: 20 };

/**
 * The year is part of every bill code and every bill lands in its year's partition, so a year
 * without tablespace, partitions, bill types, templates and stock stops issuing on 1 January.
 */
export function yearReadiness(env: Environment, context: RuleContext): Finding[] {
  const year = env.hospital.fiscalYear;
  const findings = missingForYear(env, year, "error");
  const today = localDate(context.today, env.maintenance.timezone);
  if (today.year === year && today.month === 12) {
    const severity = today.day >= NEXT_YEAR_ERROR_FROM.day ? "error" : "warning";
    const suffix = ` (required from ${year}-12-${NEXT_YEAR_ERROR_FROM.day}; run 'ebill-ops rollover prepare --stack ${env.name} --year ${year + 1}')`;
    findings.push(
      ...missingForYear(env, year + 1, severity).map((f) => ({ ...f, message: f.message + suffix })),
    );
  }
  if (today.year > year)
    findings.push({
      path: "hospital.fiscalYear",
      severity: "warning",
      message: `the fiscal year in operation is ${year} but it is ${today.year} in ${env.maintenance.timezone}; set it to ${today.year} once the year-end rollover is done`,
    });
  return findings;
}

function missingForYear(env: Environment, year: number, severity: "error" | "warning"): Finding[] {
  const findings: Finding[] = [];
  const add = (path: string, message: string) => findings.push({ path, message, severity });
  if (env.tablespaces && !env.tablespaces.some((t) => t.year === year))
    add(
      "tablespaces",
      `no tablespace for ${year}; add e.g. { name: "ebill_${year}", year: ${year}, location: ... }`,
    );
  if (env.partitions)
    for (const table of PARTITIONED_TABLES)
      if (!env.partitions.some((p) => p.table === table && p.year === year))
        add("partitions", `no ${year} partition of table '${table}'`);
  if (env.billTypes) {
    const types = env.billTypes.filter((b) => b.year === year && b.enabled);
    if (types.length === 0) add("billTypes", `no enabled bill type for ${year}`);
    if (env.billStock)
      for (const b of types)
        if (!env.billStock.some((s) => s.billCode === b.code))
          add(
            "billStock",
            `no stock for bill type ${b.code} (${year}); distribute a range to each invoicing point`,
          );
  }
  return findings;
}
