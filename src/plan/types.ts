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
  /** False when the stack declares nothing this source manages, or it cannot run here (says why). */
  available(env: Environment): Promise<{ ok: true } | { ok: false; reason: string }>;
  plan(env: Environment): Promise<{ changes: Change[]; liveHash: string }>;
  /**
   * Applies exactly `changes` (this source's part of a reviewed plan). Refuses, changing nothing,
   * when `expectedLiveHash` is given and the live state read under the source's lock differs.
   * All or nothing: a failure or a killed process leaves the system as it was.
   */
  apply(
    env: Environment,
    changes: Change[],
    options: { allowDestroy: boolean; expectedLiveHash?: string },
  ): Promise<void>;
}
