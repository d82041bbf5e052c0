import type { Environment } from "../../model/environment.ts";
import type { Finding } from "./index.ts";

/** Stock ranges: first <= last, and no number of one bill code handed out twice. */
export function billStockRanges(env: Environment): Finding[] {
  const findings: Finding[] = [];
  const stock = env.billStock ?? [];
  stock.forEach((s, i) => {
    if (s.first > s.last)
      findings.push({
        path: `billStock[${i}].first`,
        message: `first number ${s.first} is after last ${s.last}`,
      });
  });
  // Sort per bill code and compare neighbours: O(n log n). (Copying each code's list on every
  // range made this quadratic: 40,000 ranges took 18.7 s.)
  const byCode = new Map<string, number[]>();
  stock.forEach((s, i) => {
    const list = byCode.get(s.billCode);
    if (list) list.push(i);
    else byCode.set(s.billCode, [i]);
  });
  for (const indexes of byCode.values()) {
    const sorted = indexes
      .filter((i) => stock[i]!.first <= stock[i]!.last)
      .sort((a, b) => (stock[a]!.first < stock[b]!.first ? -1 : 1));
    let widest = sorted[0];
    for (const i of sorted.slice(1)) {
      const prev = stock[widest!]!;
      const cur = stock[i]!;
      // Numbers are 10 digits, so string order is numeric order.
      if (cur.first <= prev.last)
        findings.push({
          path: `billStock[${i}]`,
          message: `range ${cur.first}-${cur.last} of bill code ${cur.billCode} overlaps billStock[${widest}] (${prev.first}-${prev.last})`,
        });
      if (cur.last > prev.last) widest = i;
    }
  }
  return findings;
}
