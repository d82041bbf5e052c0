/**
 * `rollover check`: year Y's readiness, item by item. Gathers the facts (the live database through
 * the providers' live state, last year's issuing, this year's used numbers, the interfaces probed,
 * the room on the tablespaces' disks) and hands them to the readiness checks (readiness.ts).
 * Changes nothing.
 */
import path from "node:path";
import { isoDay } from "../base/time.ts";
import { redactDeep, secretValues } from "../config/redact.ts";
import { withClient } from "../db/connect.ts";
import { schemaOf } from "../db/reference-schema.ts";
import { isMapped, physicalLocation } from "../db/tablespaces.ts";
import type { Environment } from "../model/environment.ts";
import { daysElapsed } from "./derive.ts";
import { readLiveView, type LiveView } from "./live-view.ts";
import {
  diskSpace,
  interfaceTargets,
  isLocalDatabase,
  networkScope,
  probe,
  type DiskSpace,
} from "../probe/probe.ts";
import { evaluateReadiness, type DiskFigures, type ReadinessReport } from "./readiness.ts";
import { checkYear, loadForRollover, today } from "./stack.ts";
import { readUsage, readUsedRuns, type UsageRow, type UsedRun } from "./year-facts.ts";

/** January: the stock must last at least the first month of the new year by default. */
export const DEFAULT_STOCK_DAYS = 31;
/** Probes wait at most this long even if the declared interface timeout is longer. */
const PROBE_CAP_MS = 10_000;

interface LiveFacts {
  /** Null when the database could not be read (liveError says why). */
  live: LiveView | null;
  liveError?: string;
  lastYearUsage: UsageRow[];
  thisYearRuns: UsedRun[];
}

/** The live database as the year end sees it; a database that cannot be read is a fact too. */
async function readLiveFacts(env: Environment, year: number): Promise<LiveFacts> {
  const schema = schemaOf(env);
  try {
    return await withClient(env, async (db) => ({
      live: await readLiveView(db, env),
      lastYearUsage: await readUsage(db, schema, year - 1),
      thisYearRuns: await readUsedRuns(db, schema, year),
    }));
  } catch (error) {
    const liveError = error instanceof Error ? error.message : String(error);
    return { live: null, liveError, lastYearUsage: [], thisYearRuns: [] };
  }
}

/** Free space where the tablespace is or will be: its directory, or the nearest existing parent. */
async function measureNearest(dir: string): Promise<{ space: DiskSpace; at: string } | null> {
  for (let at = dir; ; at = path.dirname(at)) {
    const space = await diskSpace(at);
    if (space) return { space, at };
    if (path.dirname(at) === at) return null;
  }
}

/** Room on the disk of each of year Y's tablespaces, measured only where the database is local. */
async function measureDisks(env: Environment, year: number, live: LiveView | null): Promise<DiskFigures> {
  const disk: DiskFigures = {};
  for (const t of (env.tablespaces ?? []).filter((x) => x.year === year)) {
    if (!isLocalDatabase(env.database.host)) {
      disk[t.location] = {
        space: null,
        reason: `could not be measured: the database runs on ${env.database.host}, not on this machine; run 'df -h ${t.location}' there`,
      };
      continue;
    }
    // Live: where it is. Not yet created: where apply will put it (a sandbox maps declared paths
    // under its server's folder).
    const location =
      live?.tablespaces.find((l) => l.name === t.name)?.location ||
      (isMapped(env) && live?.dataDirectory
        ? physicalLocation(env, live.dataDirectory, t.location)
        : t.location);
    const measured = await measureNearest(location);
    disk[t.location] = measured
      ? { space: measured.space, reason: measured.at === location ? undefined : `measured at ${measured.at}` }
      : { space: null, reason: `could not be measured: no directory on the path ${location}` };
  }
  return disk;
}

export async function check(options: {
  stack: string;
  year: number;
  days?: number;
}): Promise<ReadinessReport> {
  checkYear(options.year);
  const { env } = await loadForRollover(options.stack);
  const year = options.year;
  const facts = await readLiveFacts(env, year);
  // Decided before anything is sent: a sandbox stack's probes stay on this machine.
  const scope = networkScope(env);
  const probes = await Promise.all(interfaceTargets(env, PROBE_CAP_MS).map((t) => probe(t, scope)));
  const day = today(env);
  // A report goes to an issue: no secret value may be in it, whatever an error message held.
  return redactDeep(
    evaluateReadiness({
      env,
      stack: env.name,
      year,
      today: isoDay(day),
      ...facts,
      lastYearDays: daysElapsed(year - 1, day),
      stockDays: options.days ?? DEFAULT_STOCK_DAYS,
      probes,
      disk: await measureDisks(env, year, facts.live),
    }),
    secretValues(env),
  );
}
