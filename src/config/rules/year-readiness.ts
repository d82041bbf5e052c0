import { PARTITIONED_TABLES, type Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/**
 * The year is part of every bill code and every bill lands in its year's partition, so the fiscal
 * year in operation without tablespace, partitions, bill types and stock cannot issue a bill.
 *
 * This rule never looks at the date: whether a stack is valid must not change overnight, or every
 * unrelated pull request (a printer fixed on 22 December) would fail for a reason it cannot fix.
 * What the calendar asks for (next year from 1 December, this year once it has begun) is reported
 * by the year-end banner (src/rollover/banner.ts) in validate, the plan comment and drift, and as
 * errors by `rollover check`.
 */
export function yearReadiness(env: Environment): Finding[] {
  return missingForYear(env, env.hospital.fiscalYear, "error");
}

/** What a stack lacks for issuing bills in `year`, one finding per missing part. */
export function missingForYear(env: Environment, year: number, severity: "error" | "warning"): Finding[] {
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
