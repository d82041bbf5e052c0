/**
 * "Apply exactly the reviewed change": on merge, each stack is planned again on main, after the
 * approval, and this comparison decides whether that fresh plan is the one reviewers saw on the
 * pull request. Only then is it applied, with `apply --plan`, whose live-hash check refuses if
 * anything moves between this fresh plan and the apply.
 *
 * Changes are compared, not live hashes: the reviewed plan may be hours old and the hash covers
 * every live row read, so comparing hashes would refuse merges for unrelated activity; comparing
 * what would be changed (kind, id, action, before, after, destructive) refuses exactly when the
 * apply would do something nobody reviewed.
 */
import { canonicalJson } from "../canonical.ts";
import type { Change, Plan } from "../plan/types.ts";

export interface Comparison {
  same: boolean;
  /** Human lines, one per difference: "only in the new plan: update invoicingPoints 001". */
  differences: string[];
  liveMoved: boolean;
}

function key(c: Change): string {
  return `${c.action} ${c.kind} ${c.id}`;
}

function essence(c: Change): string {
  return canonicalJson({ before: c.before, after: c.after, destructive: c.destructive });
}

export function compareWithReviewed(reviewed: Plan, current: Plan): Comparison {
  const differences: string[] = [];
  if (reviewed.stack !== current.stack)
    differences.push(`the reviewed plan is for stack '${reviewed.stack}', not '${current.stack}'`);
  const before = new Map(reviewed.changes.map((c) => [key(c), c]));
  const now = new Map(current.changes.map((c) => [key(c), c]));
  for (const [k, c] of now) {
    const r = before.get(k);
    if (!r) differences.push(`not reviewed: ${k}`);
    else if (essence(r) !== essence(c)) differences.push(`differs from the reviewed plan: ${k}`);
  }
  for (const k of before.keys()) if (!now.has(k)) differences.push(`reviewed but no longer planned: ${k}`);
  return { same: differences.length === 0, differences, liveMoved: reviewed.liveHash !== current.liveHash };
}
