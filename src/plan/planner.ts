/**
 * The plan engine: asks each source (database, hosts) what it would change, merges their answers
 * into one Plan, and applies a plan source by source under each source's own lock, leaving an
 * audit record whether it worked or not.
 */
import { canonicalJson, sha256 } from "../base/canonical.ts";
import type { Environment } from "../model/environment.ts";
import { compareWithSaved } from "./compare.ts";
import {
  type AuditHook,
  type AuditRecord,
  type Change,
  type Plan,
  type PlanSource,
  type Revision,
  type Skipped,
  PLAN_VERSION,
  summarize,
} from "./types.ts";
import { applyGate } from "./windows.ts";

export type Notice = (message: string) => void;

/** The plan's liveHash: one hash over every source's hash, in name order. */
export function combineHashes(sourceHashes: Record<string, string>): string {
  const lines = Object.keys(sourceHashes)
    .sort()
    .map((name) => `${name}=${sourceHashes[name]}\n`);
  return sha256(lines.join(""));
}

/** What an audit record calls "the plan": sha256 of its canonical JSON. */
export function planHash(plan: Plan): string {
  return sha256(canonicalJson(plan));
}

/**
 * Runs every available source and merges their changes. A source that is not available is skipped
 * with a notice (never silently) and listed in `plan.skipped` so the reviewer sees it too.
 */
export async function makePlan(
  env: Environment,
  sources: readonly PlanSource[],
  notice: Notice = () => {},
): Promise<Plan> {
  const changes: Change[] = [];
  const sourceHashes: Record<string, string> = {};
  const skipped: Skipped[] = [];
  for (const source of sources) {
    const availability = await source.available(env);
    if (!availability.ok) {
      skipped.push({
        source: source.name,
        reason: availability.reason,
        ...(availability.notApplicable ? { notApplicable: true as const } : {}),
      });
      notice(`${source.name}: not planned: ${availability.reason}`);
      continue;
    }
    const part = await source.plan(env);
    skipped.push(...(source.skipped?.(env) ?? []));
    sourceHashes[source.name] = part.liveHash;
    for (const change of part.changes) changes.push({ ...change, source: source.name });
  }
  const plan: Plan = {
    version: PLAN_VERSION,
    stack: env.name,
    liveHash: combineHashes(sourceHashes),
    sourceHashes,
    changes,
    summary: summarize(changes),
  };
  if (skipped.length > 0) plan.skipped = skipped;
  return plan;
}

export function hasDestructive(plan: Plan): boolean {
  return plan.changes.some((c) => c.destructive);
}

export type { AuditRecord };

export interface ApplyOptions {
  allowDestroy: boolean;
  emergency?: string;
  /** One line per source as it goes. */
  progress: Notice;
  commit: string | null;
  /** The declaration's working tree state (dirty, diffHash); recorded, and judged for production. */
  revision?: Revision;
  actor: string;
  /** When the apply starts: the real time, recorded in the audit. */
  at: Date;
  /** The time judged against change windows and freezes (now(), which EBILL_OPS_TODAY can fix); default `at`. */
  gateAt?: Date;
  /** Set when "now" was rehearsed (EBILL_OPS_TODAY): recorded beside the real time. */
  rehearsedAt?: Date;
  /**
   * The plan a person reviewed (`apply --plan F`): the apply goes on only when `plan`, made afresh
   * from the stack and the live systems, equals it. Its own changes are never executed.
   */
  reviewed?: { plan: Plan; file: string };
  /**
   * Persists an audit record in its own transaction (the database's audit table): a new row, or
   * the row `id` a source already wrote, brought up to date. Errors here are reported, not thrown.
   */
  writeAudit: (env: Environment, record: AuditRecord, id?: number) => Promise<number | void>;
  /** Scrubs secrets from the error and changes before they are recorded. */
  redact: <T>(value: T) => T;
}

export class ApplyRefused extends Error {}

/**
 * Applies exactly the changes of `plan`, each source's part with that source's live hash from
 * when the plan was made, in source order. The audit record is part of the change: the database
 * source commits it in the same transaction as its changes; steps outside a transaction are
 * recorded as "started" first and completed after. A refusal or failure is recorded too; on
 * failure this throws after recording.
 */
export async function applyPlan(
  env: Environment,
  plan: Plan,
  sources: readonly PlanSource[],
  options: ApplyOptions,
): Promise<AuditRecord> {
  const record: AuditRecord = {
    stack: env.name,
    commit: options.commit,
    actor: options.actor,
    at: options.at.toISOString(),
    planHash: planHash(plan),
    changes: plan.changes,
    result: "ok",
  };
  if (options.rehearsedAt) record.rehearsedAt = options.rehearsedAt.toISOString();
  if (options.revision?.dirty) {
    record.dirty = true;
    if (options.revision.diffHash) record.diffHash = options.revision.diffHash;
  }
  if (options.emergency) record.emergency = options.emergency;
  const safe = options.redact(record);
  // Every record of this apply names the same redacted list of changes: it is stored once.
  const redacted = (r: AuditRecord): AuditRecord => ({
    ...options.redact({ ...r, changes: [] }),
    changes: safe.changes,
  });
  const withChanges = sources.filter((s) => plan.changes.some((c) => c.source === s.name));
  let hook: AuditHook | undefined;
  const applied: string[] = [];
  try {
    await checkApplicable(env, plan, sources, options);
    for (const [i, source] of withChanges.entries()) {
      const part = plan.changes.filter((c) => c.source === source.name);
      const started = Date.now();
      options.progress(`${source.name}: applying ${count(part.length, "change")} ...`);
      const expectedLiveHash = plan.sourceHashes[source.name];
      // One audit row per apply, shared by the sources in turn.
      hook ??= { record: safe, final: false };
      hook.final = i === withChanges.length - 1;
      if (hook.id === undefined && !source.auditsInTransaction) {
        // This source has no transaction to put the record in (hosts): the intent goes first, so
        // an apply killed half-way leaves a "started" row naming what was not finished.
        const later = withChanges.slice(i).map((s) => s.name);
        const id = await options.writeAudit(
          env,
          redacted({
            ...record,
            result: "started",
            error: `started; not finished yet: ${later.join(", ")}`,
          }),
        );
        if (typeof id === "number") Object.assign(hook, { id, written: "started" });
      }
      const audit = hook;
      await source.apply(env, part, { allowDestroy: options.allowDestroy, expectedLiveHash, audit });
      applied.push(source.name);
      options.progress(
        `${source.name}: applied ${count(part.length, "change")} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  } catch (error) {
    record.result = "failed";
    const message = error instanceof Error ? error.message : String(error);
    // With several sources, say which ones already went through: each is atomic on its own.
    record.error = applied.length > 0 ? `${message} (already applied: ${applied.join(", ")})` : message;
    await writeAuditSafely(env, options, redacted(record), hook?.id);
    throw error;
  }
  // The last source committed the record itself ("ok"), unless nothing did or steps followed it.
  if (hook?.written !== "ok") await writeAuditSafely(env, options, redacted(record), hook?.id);
  return record;
}

/** Writes a record already redacted; a failure to write it is a warning naming what to record by hand. */
async function writeAuditSafely(
  env: Environment,
  options: ApplyOptions,
  record: AuditRecord,
  id: number | undefined,
): Promise<void> {
  try {
    await options.writeAudit(env, record, id);
  } catch (error) {
    options.progress(
      `warning: the audit record could not be written (${options.redact(error instanceof Error ? error.message : String(error))}); ` +
        `record this apply by hand: ${JSON.stringify({ ...record, changes: record.changes.length })}`,
    );
  }
}

/** Everything that can be refused before any source is touched. */
async function checkApplicable(
  env: Environment,
  plan: Plan,
  sources: readonly PlanSource[],
  options: ApplyOptions,
): Promise<void> {
  if (plan.stack !== env.name)
    throw new ApplyRefused(
      `the plan is for stack '${plan.stack}', not '${env.name}'; nothing was changed. Make the plan with 'ebill-ops plan --stack ${env.name} --out <file>'.`,
    );
  if (options.reviewed) {
    const differences = compareWithSaved(options.reviewed.plan, plan);
    if (differences.length > 0)
      throw new ApplyRefused(
        `the plan made now from stack ${env.name} and the live systems is not the reviewed plan ${options.reviewed.file}; nothing was changed:\n` +
          differences
            .slice(0, 20)
            .map((d) => `  ${d}\n`)
            .join("") +
          (differences.length > 20 ? `  ... and ${differences.length - 20} more\n` : "") +
          "A saved plan is evidence of what was reviewed, never instructions: apply recomputes the plan and applies it only when both are equal. " +
          `Make a new plan ('ebill-ops plan --stack ${env.name} --out <file>') and have it reviewed.`,
      );
  }
  const gate = applyGate(env, options.gateAt ?? options.at, options.emergency);
  if (!gate.allowed) throw new ApplyRefused(gate.reason);
  if (gate.note) options.progress(gate.note);
  if (env.kind === "production" && options.revision?.dirty) {
    const what = `the working tree holding stack ${env.name} has uncommitted changes (diff sha256 ${options.revision.diffHash?.slice(0, 12) ?? "?"})`;
    if (!options.emergency?.trim())
      throw new ApplyRefused(
        `${what}: a production stack is applied from a commit, so the audit names exactly what was applied. Nothing was changed. ` +
          `Commit the change (and merge it through a pull request), or, if it cannot wait, pass --emergency "<reason>" (the reason and the diff's hash are audited).`,
      );
    options.progress(`emergency change: ${what}; applied anyway, the diff's hash is audited`);
  }
  if (!options.allowDestroy) {
    const destructive = plan.changes.filter((c) => c.destructive);
    if (destructive.length > 0)
      throw new ApplyRefused(
        `the plan has ${count(destructive.length, "destructive change")} (${destructive
          .slice(0, 10)
          .map((c) => `${c.kind} ${c.id}`)
          .join(", ")}${destructive.length > 10 ? ", ..." : ""}); nothing was changed. ` +
          `Review them in the plan and rerun with --allow-destroy if they are intended.`,
      );
  }
  const known = new Map(sources.map((s) => [s.name, s]));
  for (const name of new Set(plan.changes.map((c) => c.source ?? "(none)"))) {
    const source = known.get(name);
    if (!source)
      throw new ApplyRefused(
        `the plan has changes for source '${name}', which this ebill-ops does not know (known: ${[...known.keys()].join(", ")}); nothing was changed. Make a new plan.`,
      );
    const availability = await source.available(env);
    if (!availability.ok)
      throw new ApplyRefused(
        `the plan has changes for ${name}, which cannot run here: ${availability.reason}; nothing was changed.`,
      );
  }
}

export function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
