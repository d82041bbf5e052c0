/**
 * The simulator's clock: the real clock, or, when EBILL_OPS_TODAY pins "now" (tests, rehearsals),
 * that instant advanced by the time the process has been running, so a day of traffic still has
 * bills at distinct, increasing times on the pinned day.
 */
import { localDate, now } from "../base/time.ts";

let started: { real: number; service: number } | null = null;

export function serviceNow(): Date {
  if (!process.env.EBILL_OPS_TODAY) return new Date();
  started ??= { real: Date.now(), service: now().getTime() };
  return new Date(started.service + (Date.now() - started.real));
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in the hospital's zone: the product records local time (timestamp without time zone). */
export function localTimestamp(at: Date, timeZone: string): string {
  const d = localDate(at, timeZone);
  const p = (n: number, width = 2) => String(n).padStart(width, "0");
  // Zones in use are whole minutes from UTC: seconds and milliseconds are UTC's.
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}:${p(at.getUTCSeconds())}.${p(at.getUTCMilliseconds(), 3)}`;
}
