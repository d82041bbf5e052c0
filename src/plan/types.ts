/**
 * The plan: the JSON contract of `plan --json` (docs/architecture.md), shared by the database
 * providers, the host (Ansible) source, the output renderers, saved plans and the pipelines. One
 * zod schema per part; the TypeScript types are inferred from them, so a plan read from a file is
 * checked against exactly the type the planner produces.
 */
import * as z from "zod";
import { formatPath } from "../config/issues.ts";
import type { Environment } from "../model/environment.ts";

export const PLAN_VERSION = 1;

export const ACTIONS = ["create", "update", "delete", "replace"] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

/** An object's fields as the plan shows them (a row's columns by field name, a file's content). */
export const Fields = z.record(z.string(), z.unknown());
export type Fields = z.infer<typeof Fields>;

export const Change = z.object({
  /** What kind of thing: a database kind (`invoicingPoints`) or a host part (`host.appConfig`). */
  kind: z.string(),
  /** Its identity within the kind, e.g. `001` or `app1/app-config`. */
  id: z.string(),
  action: Action,
  /** Loses data or stops something in use; refused without --allow-destroy. */
  destructive: z.boolean(),
  before: Fields.nullable(),
  after: Fields.nullable(),
  /** Why the change looks the way it does, e.g. "disabled instead of deleted: 1,204 bills reference it". */
  note: z.string().optional(),
  /** The PlanSource that produced it (set by the planner), so a saved plan is applied source by source. */
  source: z.string().optional(),
  /**
   * How many issued bills use the object this change disables or removes (shown to the reviewer).
   * A count that moves with every bill issued: never compared when a saved plan is checked.
   */
  bills: z.number().optional(),
});
export type Change = z.infer<typeof Change>;

export const PlanSummary = z.object({
  create: z.number(),
  update: z.number(),
  delete: z.number(),
  replace: z.number(),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

/** Where a declaration came from: `apply --plan` refuses a plan made from another one. */
export const Revision = z.object({
  /** `git rev-parse HEAD` of the repository holding the stack; null outside a repository. */
  commit: z.string().nullable(),
  /** The working tree had uncommitted changes (tracked files, or new files beside the stack). */
  dirty: z.boolean(),
  /** sha256 of those changes (the diff and the new files), when dirty. */
  diffHash: z.string().optional(),
});
export type Revision = z.infer<typeof Revision>;

/**
 * A source (or a part of one) the plan does not cover, and why. `notApplicable`: there is nothing
 * for it to check (the stack declares nothing it manages, or the part is left out on purpose, like
 * a Windows PC); without it the source could not be checked this time (a host unreachable, a
 * release missing), so "no changes" or "no drift" says nothing about it.
 */
export const Skipped = z.object({
  source: z.string(),
  reason: z.string(),
  notApplicable: z.literal(true).optional(),
});
export type Skipped = z.infer<typeof Skipped>;

export const Plan = z.object({
  version: z.literal(PLAN_VERSION),
  stack: z.string(),
  /** sha256 of the live state read for this plan; apply of a saved plan refuses when it moved. */
  liveHash: z.string(),
  /** liveHash of each source (database, hosts), so each can check its own part under its own lock. */
  sourceHashes: z.record(z.string(), z.string()),
  changes: z.array(Change),
  summary: PlanSummary,
  /** Sources not planned (and why), so a reviewer sees what the plan does not cover. */
  skipped: z.array(Skipped).optional(),
  /** The declaration the plan was made from: its commit, and whether the working tree had changes. */
  revision: Revision.optional(),
});
export type Plan = z.infer<typeof Plan>;

/**
 * A plan read back from its JSON (a saved plan, a pipeline's artifact), checked against the schema.
 * When it is not one: whether it is not JSON at all, and what is wrong (`changes[0].action: ...`).
 */
export function parsePlan(
  text: string,
): { ok: true; plan: Plan } | { ok: false; json: boolean; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, json: false, problem: (error as Error).message };
  }
  const parsed = Plan.safeParse(value);
  if (parsed.success) return { ok: true, plan: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, json: true, problem: `${formatPath(issue.path) || "(top level)"}: ${issue.message}` };
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
  available(env: Environment): Promise<{ ok: true } | { ok: false; reason: string; notApplicable?: true }>;
  plan(env: Environment): Promise<{ changes: Change[]; liveHash: string }>;
  /** Parts this source leaves out on purpose (Windows PCs for the hosts), listed in `plan.skipped`. */
  skipped?(env: Environment): Skipped[];
  /**
   * Applies exactly `changes` (this source's part of a reviewed plan). Refuses, changing nothing,
   * when `expectedLiveHash` is given and the live state read under the source's lock differs.
   * What a failure leaves depends on the system: the database applies in one transaction (a
   * failure or a killed process leaves it as it was); the hosts are applied host by host by
   * Ansible (a failure stops the run naming the host and task, hosts before it may be changed,
   * and a rerun converges).
   */
  apply(
    env: Environment,
    changes: Change[],
    options: { allowDestroy: boolean; expectedLiveHash?: string; audit?: AuditHook },
  ): Promise<void>;
}
