/**
 * Bill-number range arithmetic. Numbers are 10-digit strings in the stack and the database; here
 * they are plain numbers (10 digits fit a double exactly).
 */

export interface NumberRange {
  first: number;
  last: number;
}

export const pad10 = (n: number): string => String(n).padStart(10, "0");

export const rangeSize = (r: NumberRange): number => r.last - r.first + 1;

/** Sorted, merged copy: overlapping or touching ranges become one. */
export function normalize(ranges: readonly NumberRange[]): NumberRange[] {
  const sorted = [...ranges].filter((r) => r.first <= r.last).sort((a, b) => a.first - b.first);
  const out: NumberRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.first <= prev.last + 1) prev.last = Math.max(prev.last, r.last);
    else out.push({ ...r });
  }
  return out;
}

/** `from` minus `remove`: what is left of the distributed stock once the used numbers are taken out. */
export function subtract(from: readonly NumberRange[], remove: readonly NumberRange[]): NumberRange[] {
  const cut = normalize(remove);
  const out: NumberRange[] = [];
  for (const r of normalize(from)) {
    let start = r.first;
    for (const c of cut) {
      if (c.last < start || c.first > r.last) continue;
      if (c.first > start) out.push({ first: start, last: c.first - 1 });
      start = Math.max(start, c.last + 1);
      if (start > r.last) break;
    }
    if (start <= r.last) out.push({ first: start, last: r.last });
  }
  return out;
}

export const total = (ranges: readonly NumberRange[]): number =>
  ranges.reduce((sum, r) => sum + rangeSize(r), 0);

export const formatRange = (r: NumberRange): string =>
  r.first === r.last ? pad10(r.first) : `${pad10(r.first)}-${pad10(r.last)}`;
