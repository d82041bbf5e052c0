/**
 * What changed since the last run, one event per check result whose status changed: ok -> warn or
 * fail (a problem), warn <-> fail (worse, better), warn or fail -> ok (recovered, with how long it
 * lasted). Pure.
 *
 * `unknown` changes nothing: a result that cannot be measured keeps its last known status, since
 * the check that could not measure it is the one to alert (a host that stops answering is
 * host.reachable failing, not every check of that host turning unknown). A result seen for the
 * first time counts as having been ok, so a problem present at the first run is reported once.
 */
import type { Finding } from "../types.ts";
import type { KnownStatus, MonitorState } from "./state.ts";

export interface MonitorEvent {
  id: string;
  target: string;
  /** The check's title, Chinese. */
  title: string;
  from: KnownStatus;
  to: KnownStatus;
  /** When the change was seen, and since when the previous status had lasted (ISO). */
  at: string;
  since: string;
  durationMs: number;
  evidence: string;
  advice?: string;
}

export const keyOf = (f: Pick<Finding, "id" | "target">) => `${f.id} ${f.target}`;

export function transitions(
  state: MonitorState,
  findings: readonly Finding[],
  at: Date,
): { state: MonitorState; events: MonitorEvent[] } {
  const now = at.toISOString();
  const checks: MonitorState["checks"] = {};
  const events: MonitorEvent[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const key = keyOf(f);
    seen.add(key);
    const before = state.checks[key];
    if (f.status === "unknown") {
      if (before) checks[key] = before;
      continue;
    }
    const previous = before ?? { status: "ok" as const, since: now };
    if (previous.status === f.status) {
      checks[key] = previous;
      continue;
    }
    checks[key] = { status: f.status, since: now };
    events.push({
      id: f.id,
      target: f.target,
      title: f.title.zh,
      from: previous.status,
      to: f.status,
      at: now,
      since: previous.since,
      durationMs: Math.max(0, at.getTime() - Date.parse(previous.since)),
      evidence: f.evidence,
      ...(f.advice ? { advice: f.advice } : {}),
    });
  }
  // A result no longer reported (a mount removed, a check left the quick set) is forgotten when it
  // was ok; a problem is kept, so its recovery is still told when it is seen again.
  for (const [key, value] of Object.entries(state.checks))
    if (!seen.has(key) && value.status !== "ok") checks[key] = value;
  return { state: { ...state, checks }, events };
}

/** Results currently warning or failing, as remembered. */
export const openProblems = (state: MonitorState): number =>
  Object.values(state.checks).filter((c) => c.status !== "ok").length;
