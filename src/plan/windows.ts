/**
 * Change windows and freezes: a hospital's billing must not be disturbed during clinic hours, nor
 * on the night of 31 December. Pure functions of (maintenance policy, instant) so they can be
 * table-tested; all clock times are local to `maintenance.timezone`.
 */
import type { Environment, Maintenance } from "../model/environment.ts";
import { localDate, type LocalDate } from "../base/time.ts";

const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

function minutes(clock: string): number {
  const [h, m] = clock.split(":").map(Number);
  return h! * 60 + m!;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

export function formatLocal(at: LocalDate): string {
  return `${DAY_NAMES[at.weekday]} ${at.year}-${pad(at.month)}-${pad(at.day)} ${pad(at.hour)}:${pad(at.minute)}`;
}

/** The change window that contains `at`, or undefined. A window whose end is before its start runs past midnight into the next day. */
export function matchingWindow(
  windows: Maintenance["changeWindows"],
  at: LocalDate,
): Maintenance["changeWindows"][number] | undefined {
  const t = at.hour * 60 + at.minute;
  const today = DAY_NAMES[at.weekday]!;
  const yesterday = DAY_NAMES[(at.weekday + 6) % 7]!;
  return windows.find((w) => {
    const start = minutes(w.start);
    const end = minutes(w.end);
    if (start === end) return w.days.includes(today); // a whole day
    if (start < end) return w.days.includes(today) && t >= start && t < end;
    // Past midnight: the evening part belongs to the listed day, the morning part to the day after it.
    return (w.days.includes(today) && t >= start) || (w.days.includes(yesterday) && t < end);
  });
}

/** The freeze that contains `at`, or undefined. A freeze whose `to` is before its `from` spans the new year. */
export function matchingFreeze(
  freezes: Maintenance["freezes"],
  at: LocalDate,
): Maintenance["freezes"][number] | undefined {
  // "MM-DDTHH:MM" strings compare correctly as text.
  const stamp = `${pad(at.month)}-${pad(at.day)}T${pad(at.hour)}:${pad(at.minute)}`;
  return freezes.find((f) =>
    f.from <= f.to ? stamp >= f.from && stamp < f.to : stamp >= f.from || stamp < f.to,
  );
}

export type ApplyGate = { allowed: true; note?: string } | { allowed: false; reason: string };

/**
 * May this stack be changed at `at`? Only production stacks are gated. An emergency reason lets
 * the change through (and is audited by the caller).
 */
export function applyGate(
  env: Pick<Environment, "kind" | "maintenance" | "name">,
  at: Date,
  emergency?: string,
): ApplyGate {
  if (env.kind !== "production") return { allowed: true };
  const { timezone, changeWindows, freezes } = env.maintenance;
  const local = localDate(at, timezone);
  const when = `${formatLocal(local)} ${timezone}`;
  const freeze = matchingFreeze(freezes, local);
  let reason: string | undefined;
  if (freeze) {
    reason = `${when} is inside the freeze ${freeze.from} -> ${freeze.to} (${freeze.reason})`;
  } else if (changeWindows.length > 0 && !matchingWindow(changeWindows, local)) {
    const list = changeWindows.map((w) => `${w.days.join(",")} ${w.start}-${w.end}`).join("; ");
    reason = `${when} is outside the change windows of stack ${env.name} (${list})`;
  }
  if (!reason) return { allowed: true };
  if (emergency !== undefined && emergency.trim() !== "")
    return { allowed: true, note: `emergency change: ${reason}; reason given: ${emergency.trim()}` };
  return {
    allowed: false,
    reason: `${reason}. Nothing was changed. Apply inside a window, or, if it cannot wait, pass --emergency "<reason>" (the reason is audited).`,
  };
}
