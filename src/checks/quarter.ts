/** Quarters as inspections name them (`2026Q4`), in the hospital's time zone. */
import { localDate, type LocalDate } from "../base/time.ts";

export interface Quarter {
  year: number;
  /** 1-4 */
  q: number;
  /** `2026Q4`: the folder name under inspections/<stack>/. */
  id: string;
  /** First and last day, YYYY-MM-DD. */
  from: string;
  to: string;
  /** `2026年第4季度` */
  zh: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

export function quarterOf(year: number, q: number): Quarter {
  const firstMonth = (q - 1) * 3 + 1;
  const lastMonth = firstMonth + 2;
  const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
  return {
    year,
    q,
    id: `${year}Q${q}`,
    from: `${year}-${pad(firstMonth)}-01`,
    to: `${year}-${pad(lastMonth)}-${pad(lastDay)}`,
    zh: `${year}年第${q}季度`,
  };
}

/** `2026Q4` -> the quarter; a clear error otherwise. */
export function parseQuarter(text: string): Quarter {
  const m = /^(\d{4})Q([1-4])$/.exec(text.trim());
  if (!m) throw new Error(`--quarter '${text}' is not a quarter such as 2026Q4 (year, Q, 1-4)`);
  return quarterOf(Number(m[1]), Number(m[2]));
}

export const quarterOfDate = (d: Pick<LocalDate, "year" | "month">): Quarter =>
  quarterOf(d.year, Math.floor((d.month - 1) / 3) + 1);

/**
 * The quarter an inspection run today is about: the one yesterday belonged to, so a run on the
 * first day of a quarter (the inspect workflow's schedule) reports the quarter that just ended.
 */
export function defaultQuarter(now: Date, timeZone: string): Quarter {
  return quarterOfDate(localDate(new Date(now.getTime() - 86_400_000), timeZone));
}

/** Earlier quarters sort first. */
export const compareQuarters = (a: string, b: string): number => a.localeCompare(b);
