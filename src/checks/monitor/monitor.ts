/**
 * `monitor`: the quick subset of the checks, for a 15-minute schedule. With `notify` it compares
 * with the last run's state (a file on the runner), and sends ONE message per webhook for the
 * changes of this run (ok -> fail, fail -> ok with how long it lasted, ...), none when nothing
 * changed. A message that could not be delivered stays in the state's outbox and goes with the
 * next run's, so no change is lost and none is told twice to a webhook that got it.
 */
import { resolveSecret } from "../../config/secrets.ts";
import type { Environment } from "../../model/environment.ts";
import { redactDeep, secretValues } from "../../config/redact.ts";
import { runHealthChecks, type HealthRun } from "../run.ts";
import { webhookRequest } from "./messages.ts";
import { deliver, hookLabel } from "./send.ts";
import { readState, writeState, type MonitorState } from "./state.ts";
import { openProblems, transitions, type MonitorEvent } from "./transitions.ts";

/** Changes kept per webhook while it cannot be reached; older ones are dropped (and said so). */
const OUTBOX_LIMIT = 200;

export interface Delivery {
  webhook: string;
  events: number;
  /** Why it was not delivered (it stays in the outbox). */
  error?: string;
}

export interface MonitorResult {
  run: HealthRun;
  events: MonitorEvent[];
  deliveries: Delivery[];
  state: MonitorState | null;
}

export interface MonitorOptions {
  notify: boolean;
  stateFile: string;
  /** Real milliseconds for DingTalk's signed timestamp (tests pass their own). */
  clockMs?: () => number;
  /** The run, when the caller has made it (tests); otherwise the quick checks run now. */
  run?: HealthRun;
}

export async function monitor(env: Environment, options: MonitorOptions): Promise<MonitorResult> {
  const run = options.run ?? (await runHealthChecks(env, { quick: true }));
  if (!options.notify) return { run, events: [], deliveries: [], state: null };
  const before = await readState(options.stateFile, env.name);
  // What goes to a group chat or the state file never carries a secret value, whatever a message held.
  const findings = redactDeep(run.findings, secretValues(env));
  const { state, events } = transitions(before, findings, run.at);
  const hooks = env.maintenance.notifications;
  const outbox: MonitorState["outbox"] = {};
  for (const hook of hooks) {
    const pending = [...(before.outbox[hook.name] ?? []), ...events];
    outbox[hook.name] = pending.slice(-OUTBOX_LIMIT);
  }
  const ctx = {
    hospital: env.hospital.name,
    stack: env.name,
    timeZone: env.maintenance.timezone,
    at: run.at,
    open: openProblems(state),
  };
  const deliveries: Delivery[] = [];
  for (const hook of hooks) {
    const pending = outbox[hook.name]!;
    if (pending.length === 0) continue;
    try {
      const request = webhookRequest(hook, resolveSecret, ctx, pending, (options.clockMs ?? Date.now)());
      await deliver(env, hook, request);
      outbox[hook.name] = [];
      deliveries.push({ webhook: hookLabel(hook), events: pending.length });
    } catch (error) {
      deliveries.push({
        webhook: hookLabel(hook),
        events: pending.length,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const next: MonitorState = {
    ...state,
    updatedAt: run.at.toISOString(),
    outbox: Object.fromEntries(Object.entries(outbox).filter(([, pending]) => pending.length > 0)),
  };
  await writeState(options.stateFile, next);
  return { run, events, deliveries, state: next };
}
