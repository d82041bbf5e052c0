/**
 * The limits the health checks judge against (`maintenance.thresholds`), each with its default.
 * A stack overrides only what differs, e.g. `thresholds: { diskUsedPercent: { warn: 75 } }`; every
 * other limit keeps the default documented here (and in the generated JSON Schema and
 * docs/inspection.md, which names the checks that read each one).
 *
 * Two directions: most limits are "higher is worse" (warn <= fail, e.g. disk use), a few "lower is
 * worse" (warn >= fail, e.g. days until a certificate expires); the schema refuses a pair in the
 * wrong order, since a check could then never warn before it fails.
 */
import * as z from "zod";

const MONTH_DAY = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

function limit(direction: "higher" | "lower", warn: number, fail: number, what: string) {
  const worse = direction === "higher" ? "higher is worse" : "lower is worse";
  return z
    .strictObject({
      warn: z.number().min(0).default(warn).describe(`Warn at this value (${worse}); default ${warn}`),
      fail: z.number().min(0).default(fail).describe(`Fail at this value (${worse}); default ${fail}`),
    })
    .refine(
      (t) => (direction === "higher" ? t.warn <= t.fail : t.warn >= t.fail),
      direction === "higher"
        ? "warn must not be above fail (higher is worse: a check warns before it fails)"
        : "warn must not be below fail (lower is worse: a check warns before it fails)",
    )
    .default({ warn, fail })
    .describe(`${what} (${worse}; default warn ${warn}, fail ${fail})`);
}

export const Thresholds = z.strictObject({
  // Hosts
  loadPerCore: limit("higher", 1.5, 3, "15-minute load average per CPU core"),
  memoryAvailablePercent: limit("lower", 15, 5, "Memory available, % of total"),
  swapUsedPercent: limit("higher", 50, 80, "Swap in use, % of swap"),
  diskUsedPercent: limit("higher", 80, 90, "Space used per mount, % (as df computes it)"),
  inodeUsedPercent: limit("higher", 80, 90, "Inodes used per mount, %"),
  securityUpdates: limit("higher", 1, 20, "Pending security updates per host"),
  clockOffsetSeconds: limit(
    "higher",
    1,
    5,
    "Clock offset of a host, seconds (bill signatures carry the time)",
  ),
  failedSshLogins: limit("higher", 20, 200, "Failed SSH logins per host in 24 hours"),
  // Application and interfaces
  appLatencyMs: limit("higher", 1000, 5000, "Answer time of the e-bill service's health endpoint, ms"),
  appLogErrors: limit("higher", 10, 100, "Errors in the e-bill service's log in 24 hours"),
  interfaceLatencyMs: limit(
    "higher",
    2000,
    10000,
    "Answer time of HIS, fiscal platform, push and signature server, ms",
  ),
  certificateDaysLeft: limit("lower", 30, 14, "Days until a TLS certificate expires"),
  // Database
  connectionsPercent: limit("higher", 70, 90, "Connections in use, % of max_connections"),
  longTransactionSeconds: limit("higher", 300, 1800, "Age of the oldest open transaction, seconds"),
  idleInTransactionSeconds: limit(
    "higher",
    60,
    600,
    "Age of the oldest session idle inside a transaction, seconds",
  ),
  lockWaitSeconds: limit("higher", 30, 300, "Longest wait for a lock, seconds"),
  deadTuplePercent: limit("higher", 20, 50, "Dead rows of a bill table, % of its rows"),
  vacuumAgeDays: limit("higher", 7, 30, "Days since a changed bill table was last vacuumed or analyzed"),
  xidAge: limit(
    "higher",
    1_000_000_000,
    1_500_000_000,
    "Transaction-ID age of the oldest database (wraparound at 2^31)",
  ),
  tablespaceDaysLeft: limit("lower", 90, 30, "Days until a tablespace's disk is full at its growth rate"),
  nextYearPartitions: z
    .strictObject({
      warn: z.string().regex(MONTH_DAY, "a date MM-DD such as 11-01").default("11-01"),
      fail: z.string().regex(MONTH_DAY, "a date MM-DD such as 12-01").default("12-01"),
    })
    .default({ warn: "11-01", fail: "12-01" })
    .describe(
      "From which day of the year (MM-DD, hospital time) next year's partitions must exist: warn, then fail",
    ),
  // Business
  voidPercent: limit("higher", 5, 10, "Voided bills, % of the bills of the last 30 days"),
  stockDaysLeft: limit("lower", 30, 7, "Days of unused bill stock at an invoicing point at its issuing rate"),
});
export type Thresholds = z.infer<typeof Thresholds>;

/** Every limit at its default: what a stack without `maintenance.thresholds` is judged by. */
export const THRESHOLD_DEFAULTS: Thresholds = Thresholds.parse({});
