/** What every year-end job starts with: the stack, today in its time zone, and a sane --year. */
import { localDate, now, type LocalDate } from "../base/time.ts";
import { loadValidStack, resolveStackFile } from "../config/load.ts";
import type { Environment } from "../model/environment.ts";

export async function loadForRollover(stack: string): Promise<{ file: string; env: Environment }> {
  const file = await resolveStackFile(stack);
  const { env } = await loadValidStack(file);
  return { file, env };
}

/** Today in the hospital's time zone (EBILL_OPS_TODAY rehearses another day). */
export function today(env: Environment): LocalDate {
  return localDate(now(), env.maintenance.timezone);
}

export function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2020 || year > 2099)
    throw new Error(`--year ${year} is not a fiscal year`);
}
