/**
 * The plan: the JSON contract of `plan --json` (DESIGN.md), shared by the database providers, the
 * host (Ansible) source, the output renderers and the pipelines.
 */
import type { Environment } from "../model/environment.ts";

export const PLAN_VERSION = 1;

export type Action = "create" | "update" | "delete" | "replace";

export type Fields = Record<string, unknown>;

export interface Change {
  /** What kind of thing: a database kind (`invoicingPoints`) or a host part (`host.appConfig`). */
  kind: string;
  /** Its identity within the kind, e.g. `001` or `app1/app-config`. */
  id: string;
  action: Action;
  /** Loses data or stops something in use; refused without --allow-destroy. */
  destructive: boolean;
  before: Fields | null;
  after: Fields | null;
  /** Why the change looks the way it does, e.g. "disabled instead of deleted: 1,204 bills reference it". */
  note?: string;
  /** The PlanSource that produced it (set by the planner), so a saved plan is applied source by source. */
  source?: string;
  /**
   * How many issued bills use the object this change disables or removes (shown to the reviewer).
   * A count that moves with every bill issued: never compared when a saved plan is checked.
   */
  bills?: number;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  replace: number;
}

export interface Plan {
  version: typeof PLAN_VERSION;
  stack: string;
  /** sha256 of the live state read for this plan; apply of a saved plan refuses when it moved. */
  liveHash: string;
  /** liveHash of each source (database, hosts), so each can check its own part under its own lock. */
  sourceHashes: Record<string, string>;
  changes: Change[];
  summary: PlanSummary;
  /** Sources not planned (and why), so a reviewer sees what the plan does not cover. */
  skipped?: { source: string; reason: string }[];
  /** The declaration the plan was made from: its commit, and whether the working tree had changes. */
  revision?: Revision;
}

/** Where a declaration came from: `apply --plan` refuses a plan made from another one. */
export interface Revision {
  /** `git rev-parse HEAD` of the repository holding the stack; null outside a repository. */
  commit: string | null;
  /** The working tree had uncommitted changes (tracked files, or new files beside the stack). */
  dirty: boolean;
  /** sha256 of those changes (the diff and the new files), when dirty. */
  diffHash?: string;
}

/** One row of the apply audit (ebill_ops.apply_audit). */
export interface AuditRecord {
  stack: string;
  /** `git rev-parse HEAD` of the repository holding the stack; null outside a repository. */
  commit: string | null;
  /** Applied from a working tree with uncommitted changes (then diffHash names them). */
  dirty?: boolean;
  diffHash?: string;
  actor: string;
  /** The real time (ISO) the apply started, whatever EBILL_OPS_TODAY says. */
  at: string;
  /** The rehearsed "now" (EBILL_OPS_TODAY) the apply was judged by, when one was set. */
  rehearsedAt?: string;
  planHash: string;
  changes: Change[];
  /**
   * ok: everything applied. failed: refused or failed (error says why and what was already applied).
   * started: begun and not finished; an apply killed half-way through its non-transactional steps
   * (tablespaces, hosts) leaves this, the error says which steps were pending.
   */
  result: "ok" | "failed" | "started";
  error?: string;
  emergency?: string;
}

/**
 * The audit row a source writes together with its own changes (the database source: inside its
 * transaction), so no committed change is ever without its record. The source sets `id` once it
 * has written the row and `written` to the result the row says.
 */
export interface AuditHook {
  record: AuditRecord;
  /** No other source applies after this one: its commit finishes the apply. */
  final: boolean;
  id?: number;
  written?: AuditRecord["result"];
}

export function summarize(changes: readonly Change[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) summary[c.action]++;
  return summary;
}

/**
 * One system that the plan covers (the database, the hosts). Each reads its live state in one go,
 * returns the changes needed and applies exactly those changes.
 */
export interface PlanSource {
  name: string;
  /** The source commits `options.audit`'s record in the same transaction as its changes. */
  auditsInTransaction?: boolean;
  /** False when the stack declares nothing this source manages, or it cannot run here (says why). */
  available(env: Environment): Promise<{ ok: true } | { ok: false; reason: string }>;
  plan(env: Environment): Promise<{ changes: Change[]; liveHash: string }>;
  /** Parts this source leaves out on purpose (Windows PCs for the hosts), listed in `plan.skipped`. */
  skipped?(env: Environment): { source: string; reason: string }[];
  /**
   * Applies exactly `changes` (this source's part of a reviewed plan). Refuses, changing nothing,
   * when `expectedLiveHash` is given and the live state read under the source's lock differs.
   * All or nothing: a failure or a killed process leaves the system as it was.
   */
  apply(
    env: Environment,
    changes: Change[],
    options: { allowDestroy: boolean; expectedLiveHash?: string; audit?: AuditHook },
  ): Promise<void>;
}
