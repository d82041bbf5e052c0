/**
 * The simulator's clock: the real clock, or, when EBILL_OPS_TODAY pins "now" (tests, rehearsals),
 * that instant advanced by the time the process has been running, so a day of traffic still has
 * bills at distinct, increasing times on the pinned day.
 */
import { now } from "../base/time.ts";

let started: { real: number; service: number } | null = null;

export function serviceNow(): Date {
  if (!process.env.EBILL_OPS_TODAY) return new Date();
  started ??= { real: Date.now(), service: now().getTime() };
  return new Date(started.service + (Date.now() - started.real));
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in the hospital's zone: the product records local time (timestamp without time zone). */
export function localTimestamp(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const ms = String(at.getMilliseconds()).padStart(3, "0");
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}.${ms}`;
}
