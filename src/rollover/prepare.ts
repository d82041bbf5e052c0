/**
 * `rollover prepare`: writes year Y's declaration (derived from Y-1, stock sized from Y-1's issuing
 * in the database or offline) as a reviewable change, and checks that it validates. The decisions
 * live in the pure modules beside this one (derive, offline-sizing, write-year).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { run } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";
import { withClient } from "../db/connect.ts";
import { schemaOf } from "../db/reference-schema.ts";
import type { Environment } from "../model/environment.ts";
import { codeForYear, daysElapsed, deriveYear, type PointUsage, type SizingLine } from "./derive.ts";
import { offlineSizing, type OfflineOptions, type SizingBasis } from "./offline-sizing.ts";
import { checkYear, loadForRollover, today } from "./stack.ts";
import {
  ensureYearListed,
  LayoutError,
  locateYearFiles,
  writePlainStack,
  writeTsStack,
  type WriteResult,
} from "./write-year.ts";
import { readUsage } from "./year-facts.ts";

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
