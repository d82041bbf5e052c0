/** The time window of a diagnosis or retry: `--since 2h` (30m, 1d) or a local time, in the hospital's zone. */
import { now } from "../base/time.ts";
import type { Environment } from "../model/environment.ts";
import { localTimestamp } from "../simulator/clock.ts";

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export const timeZoneOf = (env: Environment) => env.maintenance?.timezone ?? "Asia/Shanghai";

/** `2h` -> the local time two hours ago; `2026-06-15 08:00` as given. Throws saying what is accepted. */
export function sinceOf(text: string, env: Environment, at: Date = now()): string {
  const t = text.trim();
  const relative = /^(\d+)\s*([mhd])$/.exec(t);
  if (relative)
    return localTimestamp(
      new Date(at.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!),
      timeZoneOf(env),
    );
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(t)) return t.replace("T", " ");
  throw new Error(
    `--since '${text}' is neither a duration (30m, 2h, 1d) nor a local time (YYYY-MM-DD or YYYY-MM-DD HH:MM)`,
  );
}
