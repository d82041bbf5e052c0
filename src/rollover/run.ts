/**
 * Year-end jobs wired to files, the database and the network: prepare and check (carry-over is in
 * close-year.ts).
 * The decisions live in the pure modules beside this one (derive, readiness, carry-over).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { loadValidStack, resolveStackFile } from "../config/load.ts";
import { withClient } from "../db/connect.ts";
import { schemaOf } from "../db/reference-schema.ts";
import { isMapped, physicalLocation } from "../db/tablespaces.ts";
import type { Environment } from "../model/environment.ts";
import { localDate, now } from "../base/time.ts";
import { redactDeep, secretValues } from "../config/redact.ts";
import { codeForYear, daysElapsed, deriveYear, type PointUsage, type SizingLine } from "./derive.ts";
import type { LiveState, UsageRow, UsedRun } from "./live.ts";
import { offlineSizing, type OfflineOptions, type SizingBasis } from "./offline-sizing.ts";
import {
  diskSpace,
  interfaceTargets,
  isLocalDatabase,
  networkScope,
  probe,
  type DiskSpace,
} from "./probe.ts";
import { readLiveState, readUsage, readUsedRuns } from "./read-live.ts";
import { evaluateReadiness, type ReadinessReport } from "./readiness.ts";
import {
  ensureYearListed,
  LayoutError,
  locateYearFiles,
  writePlainStack,
  writeTsStack,
  type WriteResult,
} from "./write-year.ts";
import { run } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

/**
 * Rollover reports readiness item by item itself. The validation rules no longer read the date
 * (the year-end banner does), so this ordinary day changes nothing today; it keeps rollover
 * loading stacks as on any day whatever a rule might do with the date.
 */
const ORDINARY_DAY = new Date("2000-06-15T12:00:00Z");

export async function loadForRollover(stack: string): Promise<{ file: string; env: Environment }> {
  const file = await resolveStackFile(stack);
  const { env } = await loadValidStack(file, { today: ORDINARY_DAY });
  return { file, env };
}

export function today(env: Environment) {
  return localDate(now(), env.maintenance.timezone);
}

export const isoDay = (d: { year: number; month: number; day: number }) =>
  `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

export function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2020 || year > 2099)
    throw new Error(`--year ${year} is not a fiscal year`);
}

// ---------------------------------------------------------------------------------------------
// prepare

export interface PrepareResult extends WriteResult {
  file: string;
  year: number;
  /** Empty when the year was already declared and kept. */
  sizing: SizingLine[];
  /** Whether anything was written. */
  changed: boolean;
  /** What the reviewer must still do by hand. */
  notes: string[];
  /** Where the stock sizes came from (null when the year was already there and kept). */
  basis: SizingBasis | null;
}

/** Things prepare cannot decide: codes only the fiscal platform issues, print clients' templates. */
function reviewNotes(env: Environment, year: number): string[] {
  const notes: string[] = [];
  const examples = (env.billTypes ?? []).filter((b) => b.year === year - 1 && b.example);
  if (examples.length > 0)
    notes.push(
      `the ${year} bill codes are derived from EXAMPLE codes (${examples.map((b) => b.code).join(", ")}); replace them with the codes the fiscal platform issued for ${year}`,
    );
  const lastYearCodes = new Set((env.billTypes ?? []).filter((b) => b.year === year - 1).map((b) => b.code));
  (env.printComponents ?? []).forEach((c, i) => {
    if (lastYearCodes.has(c.template))
      notes.push(
        `printComponents[${i}] (host ${c.host}) prints template ${c.template}; switch it to ${codeForYear(c.template, year)} when ${year} starts`,
      );
  });
  return notes;
}

async function yearFileExists(file: string, year: number): Promise<boolean> {
  if (!file.endsWith(".ts")) return false;
  const { yearFile } = await locateYearFiles(file, year);
  return stat(yearFile).then(
    () => true,
    () => false,
  );
}

export async function prepare(options: {
  stack: string;
  year: number;
  force?: boolean;
  /** Usage override for callers without a database (tests of the writer); normally read live. */
  usage?: PointUsage[];
  /** Size the stock offline (no database connection): --issued-per-day or --from-carry-over. */
  offline?: OfflineOptions;
}): Promise<PrepareResult> {
  checkYear(options.year);
  const { file, env } = await loadForRollover(options.stack);
  const year = options.year;
  if (!(env.billTypes ?? []).some((b) => b.year === year - 1))
    throw new Error(
      `${file} declares no bill types for ${year - 1}; rollover prepare derives ${year} from ${year - 1}. Declare ${year - 1} first.`,
    );
  const force = options.force ?? false;
  const alreadyThere =
    !force &&
    ((await yearFileExists(file, year)) ||
      (!file.endsWith(".ts") && (env.billTypes ?? []).some((b) => b.year === year)));

  let sizing: SizingLine[] = [];
  let basis: SizingBasis | null = null;
  let result: WriteResult;
  if (alreadyThere) {
    // Kept as reviewed; only the stack's reference to it is completed if missing.
    result = file.endsWith(".ts") ? await ensureYearListed(file, year) : { written: [], unchanged: [file] };
  } else {
    // Offline sizing never opens a connection: the database may be one this machine must not reach.
    const offline = await offlineSizing(env, year, options.offline ?? {});
    const lastYearDays = offline?.days ?? daysElapsed(year - 1, today(env));
    const usage =
      options.usage ??
      offline?.usage ??
      (await withClient(env, (db) => readUsage(db, schemaOf(env), year - 1))).map((u) => ({
        place: u.place,
        billCode: u.billCode,
        issued: u.count,
      }));
    basis = offline?.basis ?? { kind: "database" };
    const base = withoutYear(env, year);
    const derived = deriveYear(base, year, usage, lastYearDays);
    sizing = derived.sizing;
    const write = { stackFile: file, declaration: derived.declaration, force };
    result = file.endsWith(".ts")
      ? await writeTsStack({
          ...write,
          hospital: env.hospital.name,
          stack: env.name,
          sizing,
          margin: env.maintenance.stockSafetyMargin,
          basis,
        })
      : await writePlainStack(write);
  }
  if (result.written.length > 0) await validateInChild(file);
  const changed = result.written.length > 0;
  return { ...result, file, year, sizing, changed, notes: changed ? reviewNotes(env, year) : [], basis };
}

/** The environment without year `year`'s parts, so --force derives them afresh. */
function withoutYear(env: Environment, year: number): Environment {
  const codes = new Set((env.billTypes ?? []).filter((b) => b.year === year).map((b) => b.code));
  return {
    ...env,
    tablespaces: env.tablespaces?.filter((t) => t.year !== year),
    partitions: env.partitions?.filter((p) => p.year !== year),
    billTypes: env.billTypes?.filter((b) => b.year !== year),
    printTemplates: env.printTemplates?.filter((t) => !codes.has(t.billCode)),
    billStock: env.billStock?.filter((s) => !codes.has(s.billCode)),
    invoicingPoints: env.invoicingPoints?.map((p) => ({
      ...p,
      billCodes: p.billCodes.filter((c) => !codes.has(c)),
    })),
  };
}

/**
 * The written files must pass `validate`. A fresh process, because this one has the stack module
 * cached from before the edit (ES modules are loaded once per process).
 */
async function validateInChild(file: string): Promise<void> {
  const result = await run(process.execPath, [
    path.join(REPO_ROOT, "bin/ebill-ops.mjs"),
    "validate",
    "--stack",
    file,
  ]);
  if (result.code !== 0)
    throw new Error(
      `rollover prepare wrote ${file}, but it does not pass validate; fix the written files (git diff shows them):\n${result.stderr || result.stdout}`,
    );
}

export { LayoutError };

// ---------------------------------------------------------------------------------------------
// check

/** January: the stock must last at least the first month of the new year by default. */
export const DEFAULT_STOCK_DAYS = 31;
/** Probes wait at most this long even if the declared interface timeout is longer. */
const PROBE_CAP_MS = 10_000;

export async function check(options: {
  stack: string;
  year: number;
  days?: number;
}): Promise<ReadinessReport> {
  checkYear(options.year);
  const { env } = await loadForRollover(options.stack);
  const year = options.year;
  const schema = schemaOf(env);
  let live: LiveState | null = null;
  let liveError: string | undefined;
  let lastYearUsage: UsageRow[] = [];
  let thisYearRuns: UsedRun[] = [];
  try {
    await withClient(env, async (db) => {
      live = await readLiveState(db, schema);
      lastYearUsage = await readUsage(db, schema, year - 1);
      thisYearRuns = await readUsedRuns(db, schema, year);
    });
  } catch (error) {
    liveError = error instanceof Error ? error.message : String(error);
  }

  // Decided before anything is sent: a sandbox stack's probes stay on this machine.
  const scope = networkScope(env);
  const probes = await Promise.all(interfaceTargets(env, PROBE_CAP_MS).map((t) => probe(t, scope)));

  const disk: Record<string, { space: DiskSpace | null; reason?: string }> = {};
  const liveState = live as LiveState | null;
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
      liveState?.tablespaces.find((l) => l.name === t.name)?.location ||
      (isMapped(env) && liveState?.dataDirectory
        ? physicalLocation(env, liveState.dataDirectory, t.location)
        : t.location);
    const measured = await measureNearest(location);
    disk[t.location] = measured
      ? { space: measured.space, reason: measured.at === location ? undefined : `measured at ${measured.at}` }
      : { space: null, reason: `could not be measured: no directory on the path ${location}` };
  }

  const day = today(env);
  // A report goes to an issue: no secret value may be in it, whatever an error message held.
  return redactDeep(
    evaluateReadiness({
      env,
      stack: env.name,
      year,
      today: isoDay(day),
      live,
      liveError,
      lastYearUsage,
      lastYearDays: daysElapsed(year - 1, day),
      thisYearRuns,
      stockDays: options.days ?? DEFAULT_STOCK_DAYS,
      probes,
      disk,
    }),
    secretValues(env),
  );
}

/** Free space where the tablespace is or will be: its directory, or the nearest existing parent. */
async function measureNearest(dir: string): Promise<{ space: DiskSpace; at: string } | null> {
  for (let at = dir; ; at = path.dirname(at)) {
    const space = await diskSpace(at);
    if (space) return { space, at };
    if (path.dirname(at) === at) return null;
  }
}
