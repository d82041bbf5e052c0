/** Applying a plan the person has seen, through every source, with the audit (apply and rollback). */
import { actor } from "../base/actor.ts";
import { now } from "../base/time.ts";
import type { Plan, Revision } from "../plan/types.ts";
import { type AuditRecord, applyPlan } from "../plan/planner.ts";
import type { StackContext } from "./context.ts";
import { AUDIT, SOURCES } from "./sources.ts";

/** Applies a shown plan through every source, with progress lines and the audit (apply and rollback). */
export function applyShownPlan(
  ctx: StackContext,
  plan: Plan,
  options: {
    allowDestroy?: boolean;
    emergency?: string;
    revision: Revision;
    /** `apply --plan F`: the reviewed plan `plan` must equal. */
    reviewed?: { plan: Plan; file: string };
  },
): Promise<AuditRecord> {
  const at = new Date(); // the real time: the audit's own clock, never rehearsed
  const gateAt = now();
  return applyPlan(ctx.env, plan, SOURCES, {
    allowDestroy: Boolean(options.allowDestroy),
    emergency: options.emergency,
    progress: (line) => ctx.out(line + "\n"),
    commit: options.revision.commit,
    revision: options.revision,
    actor: actor(),
    at,
    gateAt,
    ...(rehearsing() ? { rehearsedAt: gateAt } : {}),
    reviewed: options.reviewed,
    writeAudit: AUDIT.write,
    redact: ctx.redact,
  });
}

/** Is "now" rehearsed (EBILL_OPS_TODAY set)? Then the audit keeps the rehearsed time beside the real one. */
export function rehearsing(): boolean {
  return Boolean(process.env.EBILL_OPS_TODAY);
}
