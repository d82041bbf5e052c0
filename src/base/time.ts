/** Calendar facts in the hospital's time zone: a change window or 31 December is local time. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Monday ... 6 = Sunday */
  weekday: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export function localDate(at: Date, timeZone: string): LocalDate {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      weekday: "short",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAY_INDEX[parts.weekday!] ?? 0,
  };
}

/** `EBILL_OPS_TODAY=2026-12-20` (or an ISO time) fixes "now" for rehearsals and tests. */
export function now(): Date {
  const fixed = process.env.EBILL_OPS_TODAY;
  if (!fixed) return new Date();
  const date = new Date(/T/.test(fixed) ? fixed : `${fixed}T12:00:00+08:00`);
  if (Number.isNaN(date.getTime()))
    throw new Error(`EBILL_OPS_TODAY='${fixed}' is not a date; use YYYY-MM-DD`);
  return date;
}

/** The zone a stack's dates are judged in unless it declares another (`maintenance.timezone`). */
export const HOSPITAL_TIME_ZONE = "Asia/Shanghai";

/**
 * The calendar year it is now in the hospital's time zone: what a stack that follows the calendar
 * (the sandbox) declares as its fiscal year. It reads the one clock, so EBILL_OPS_TODAY rehearses
 * another year, also where a .ts stack is evaluated in a child process that gets EBILL_OPS_TODAY.
 */
export function currentYear(timeZone: string = HOSPITAL_TIME_ZONE): number {
  return localDate(now(), timeZone).year;
}

/** `YYYY-MM-DD` of a local date. */
export function isoDay(d: Pick<LocalDate, "year" | "month" | "day">): string {
  return `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
}
