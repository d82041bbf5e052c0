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
import { canonicalJson } from "../base/canonical.ts";
import type { Change, Plan } from "./types.ts";

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

/** What a saved plan says of one change, without what moves on its own (the bill counts). */
function reviewedParts(c: Change): Record<string, unknown> {
  return {
    action: c.action,
    destructive: c.destructive,
    before: c.before,
    after: c.after,
    note: c.note ?? null,
  };
}

function changeKey(c: Change): string {
  return `${c.source ?? "?"}: ${c.action} ${c.kind} ${c.id}`;
}

/**
 * `apply --plan F`: the plan made now from the stack and the live systems against the saved one,
 * field by field: stack, the commit (and working-tree state) it was made from, the live state it
 * read, the sources it covered, and every change. Empty when they are equal; else one line per
 * difference. Only then is the NEW plan applied: the file's own changes are never executed, so
 * editing it can only make the apply refuse.
 */
export function compareWithSaved(saved: Plan, current: Plan): string[] {
  const differences: string[] = [];
  if (saved.version !== current.version)
    differences.push(
      `the plan file is version ${String(saved.version)}, this ebill-ops makes version ${current.version}`,
    );
  if (saved.stack !== current.stack)
    differences.push(`the plan is for stack '${saved.stack}', not '${current.stack}'`);
  const was = saved.revision;
  const now = current.revision;
  if (!was)
    differences.push(
      "the plan file records no commit (made by an older ebill-ops, or edited): nothing ties it to a reviewed declaration",
    );
  else if (now) {
    if (was.commit !== now.commit)
      differences.push(
        `the plan was made at commit ${was.commit ?? "(none: not in a git repository)"}, the stack is now at ${now.commit ?? "(none)"}`,
      );
    else if (was.dirty !== now.dirty || (was.diffHash ?? null) !== (now.diffHash ?? null))
      differences.push(
        `the plan was made from ${was.dirty ? `uncommitted changes ${was.diffHash?.slice(0, 12) ?? ""}` : "a clean working tree"}, ` +
          `the working tree now has ${now.dirty ? `uncommitted changes ${now.diffHash?.slice(0, 12) ?? ""}` : "none"}`,
      );
  }
  if (saved.liveHash !== current.liveHash)
    differences.push(
      `the live state changed since the plan was made (live state ${saved.liveHash.slice(0, 12)} then, ${current.liveHash.slice(0, 12)} now); make a new plan`,
    );
  const skippedThen = (saved.skipped ?? []).map((s) => s.source).sort();
  const skippedNow = (current.skipped ?? []).map((s) => s.source).sort();
  if (canonicalJson(skippedThen) !== canonicalJson(skippedNow))
    differences.push(
      `the plan covered other sources (not planned then: ${skippedThen.join(", ") || "none"}; now: ${skippedNow.join(", ") || "none"})`,
    );
  const then = new Map(saved.changes.map((c) => [changeKey(c), c]));
  const fresh = new Map(current.changes.map((c) => [changeKey(c), c]));
  for (const [k, c] of fresh) {
    const s = then.get(k);
    if (!s) {
      differences.push(`not in the reviewed plan: ${k}`);
      continue;
    }
    const a = reviewedParts(s);
    const b = reviewedParts(c);
    const parts = Object.keys(a).filter((p) => canonicalJson(a[p]) !== canonicalJson(b[p]));
    if (parts.length > 0) differences.push(`differs from the reviewed plan (${parts.join(", ")}): ${k}`);
  }
  for (const k of then.keys())
    if (!fresh.has(k)) differences.push(`in the reviewed plan but not planned now: ${k}`);
  return differences;
}
