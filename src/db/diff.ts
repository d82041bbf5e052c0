/**
 * The database planner: declared objects against live ones, kind by kind, as Changes.
 *
 * Ownership: a kind the stack declares (its array is present, even empty) is owned whole, so live
 * objects it does not declare are planned away; a kind the stack leaves out is not touched.
 *
 * Planned away means, in order of precedence:
 * - tablespace or partition holding data: a `delete` marked destructive with a note saying it is
 *   never dropped; apply refuses it whatever --allow-destroy says (so the reviewer sees it);
 * - a row used by issued bills or by bill stock that stays (bill types, invoicing points,
 *   payment channels, stock ranges): an `update` to `enabled: false` with a note, destructive
 *   because it stops something in use; nothing when it is already disabled;
 * - anything else: a `delete`, destructive only when it loses something in use (a role that
 *   operators the stack does not manage still hold).
 *
 * Changes come out in DATABASE_KINDS order for creates and updates, reverse order for deletes,
 * and by id within a kind, so equal inputs give byte-equal plans.
 */
import { DATABASE_KINDS, type DatabaseKind, type Environment } from "../model/environment.ts";
import type { Change, Fields } from "../plan/types.ts";
import { byCodePoint } from "../base/canonical.ts";
import { judge, type WriteFacts } from "./invariants.ts";
import type { LiveState } from "./live.ts";
import { sameFields } from "./providers/columns.ts";
import { providerOf } from "./providers/index.ts";
import type { Declared, LiveObject } from "./providers/types.ts";

export const SOURCE_NAME = "database";

interface Index {
  declared: Partial<Record<DatabaseKind, Map<string, Declared>>>;
  live: LiveState;
  /** Bill codes and places of the stock ranges that remain after the apply (computed once). */
  stock?: { codes: Set<unknown>; places: Set<unknown> };
}

/** Live objects of a kind that still exist after the apply (declared, kept because in use, or unmanaged). */
function surviving(index: Index, kind: DatabaseKind): Fields[] {
  const declared = index.declared[kind];
  if (!declared) return index.live[kind].map((o) => o.fields);
  const kept = index.live[kind].filter((o) => !declared.has(o.id) && o.usage.bills).map((o) => o.fields);
  return [...[...declared.values()].map((d) => d.fields), ...kept];
}

/** Why a live object may not simply be deleted; empty when it may. */
function usedBy(index: Index, kind: DatabaseKind, object: LiveObject): string[] {
  const reasons: string[] = [];
  if (object.usage.bills) reasons.push("issued bills reference it");
  if (kind === "billTypes" || kind === "invoicingPoints") {
    if (!index.stock) {
      const stock = surviving(index, "billStock");
      index.stock = {
        codes: new Set(stock.map((s) => s.billCode)),
        places: new Set(stock.map((s) => s.place)),
      };
    }
    if (kind === "billTypes" && index.stock.codes.has(object.id))
      reasons.push("bill stock of this code remains");
    if (kind === "invoicingPoints" && index.stock.places.has(object.id))
      reasons.push("bill stock is distributed to it");
  }
  return reasons;
}

function tablespaceHolds(index: Index, object: LiveObject): string[] {
  const reasons: string[] = [];
  const other = object.usage.otherRelations ?? 0;
  if (other > 0) reasons.push(`${other} other relation${other === 1 ? "" : "s"} live in it`);
  const inIt = index.live.partitions.filter((p) => p.fields.tablespace === object.id);
  const withData = inIt.filter((p) => p.usage.holdsData).map((p) => p.id);
  if (withData.length > 0)
    reasons.push(`partition${withData.length === 1 ? "" : "s"} ${withData.join(", ")} hold data`);
  const declaredPartitions = index.declared.partitions;
  const staying = inIt
    .filter((p) => !p.usage.holdsData && (!declaredPartitions || declaredPartitions.has(p.id)))
    .map((p) => p.id);
  if (staying.length > 0)
    reasons.push(`partition${staying.length === 1 ? "" : "s"} ${staying.join(", ")} stay in it`);
  return reasons;
}

function removal(index: Index, kind: DatabaseKind, object: LiveObject): Change | null {
  const provider = providerOf(kind);
  const base = { kind, id: object.id, before: object.fields };
  if (kind === "tablespaces") {
    // Without ebill-ops' year comment it was not created by ebill-ops (another database's, a DBA's):
    // the stack does not own it, so it is never planned away.
    if (object.fields.year === null) return null;
    const reasons = tablespaceHolds(index, object);
    if (reasons.length > 0)
      return {
        ...base,
        action: "delete",
        destructive: true,
        after: null,
        note: `never dropped: ${reasons.join("; ")}. Apply refuses this; declare the tablespace again`,
      };
    return { ...base, action: "delete", destructive: false, after: null };
  }
  if (kind === "partitions") {
    if (object.usage.holdsData)
      return {
        ...base,
        action: "delete",
        destructive: true,
        after: null,
        note: "never dropped: the partition holds bills. Apply refuses this; declare the partition again",
      };
    return { ...base, action: "delete", destructive: false, after: null };
  }
  const reasons = usedBy(index, kind, object);
  if (reasons.length > 0 && provider.disableable) {
    if (object.fields.enabled === false) return null;
    return {
      ...base,
      action: "update",
      destructive: true,
      after: { ...object.fields, enabled: false },
      note: `disabled instead of deleted: ${reasons.join("; ")}`,
    };
  }
  if (kind === "roles") {
    const holders = index.declared.operators
      ? []
      : index.live.operators.filter((o) => (o.fields.roles as string[]).includes(object.id)).map((o) => o.id);
    if (holders.length > 0)
      return {
        ...base,
        action: "delete",
        destructive: true,
        after: null,
        note: `operators not managed by this stack lose the role: ${holders.join(", ")}`,
      };
  }
  return { ...base, action: "delete", destructive: false, after: null };
}

/** A used stock range may not end before its highest issued number (the bills would fall outside). */
function stockCutBelowUsed(kind: string, after: Fields, live: LiveObject | undefined): string | null {
  const lastUsed = live?.facts?.lastUsed;
  if (kind !== "billStock" || !lastUsed || String(after.last) >= lastUsed) return null;
  return `refused: bill number ${lastUsed} of this range was already issued; the range cannot end at ${String(after.last)}`;
}

/** The change that brings one live object (or none) to its declared fields; null when they match. */
export function changeOf(
  kind: DatabaseKind,
  declared: Declared,
  live: LiveObject | undefined,
): Change | null {
  if (!live)
    return {
      kind,
      id: declared.id,
      action: "create",
      destructive: false,
      before: null,
      after: declared.fields,
    };
  if (sameFields(providerOf(kind).fields, declared.fields, live.fields)) return null;
  if (kind === "tablespaces" && declared.fields.location !== live.fields.location) {
    return {
      kind,
      id: declared.id,
      action: "replace",
      destructive: true,
      before: live.fields,
      after: declared.fields,
      note: "a tablespace cannot move: it is dropped and created at the new location; apply refuses this while anything lives in it",
    };
  }
  const change: Change = {
    kind,
    id: declared.id,
    action: "update",
    destructive: false,
    before: live.fields,
    after: declared.fields,
  };
  const cut = stockCutBelowUsed(kind, declared.fields, live);
  if (cut) {
    change.destructive = true;
    change.note = cut;
  }
  if (
    kind === "partitions" &&
    live.usage.holdsData &&
    declared.fields.tablespace !== live.fields.tablespace
  ) {
    change.destructive = true;
    change.note =
      "refused: the partition holds bills; moving it rewrites and locks the bill table. Move it by hand in a maintenance window";
  }
  return change;
}

function indexOf(env: Environment, live: LiveState): Index {
  const index: Index = { declared: {}, live };
  for (const kind of DATABASE_KINDS) {
    const declared = providerOf(kind).declared(env);
    if (declared) index.declared[kind] = new Map(declared.map((d) => [d.id, d]));
  }
  return index;
}

/**
 * What planChanges does with ONE live object once `env` stops declaring it (disable when in use,
 * never drop data, ...); null when it is not live or needs nothing. For callers that manage objects
 * one at a time (the Pulumi dynamic provider's delete).
 */
export function removalOf(env: Environment, live: LiveState, kind: DatabaseKind, id: string): Change | null {
  const object = live[kind].find((o) => o.id === id);
  if (!object) return null;
  const index = indexOf(env, live);
  const declared = new Map(index.declared[kind] ?? []);
  declared.delete(id);
  index.declared[kind] = declared;
  return removal(index, kind, object);
}

export function planChanges(env: Environment, live: LiveState): Change[] {
  const index = indexOf(env, live);
  const forward: Change[] = [];
  const backward: Change[][] = [];
  for (const kind of DATABASE_KINDS) {
    const declared = index.declared[kind];
    if (!declared) continue;
    const liveById = new Map(live[kind].map((o) => [o.id, o]));
    const upserts: Change[] = [];
    for (const [id, object] of declared) {
      const change = changeOf(kind, object, liveById.get(id));
      if (change) upserts.push(change);
    }
    const removals: Change[] = [];
    for (const object of live[kind]) {
      if (declared.has(object.id)) continue;
      const change = removal(index, kind, object);
      if (!change) continue;
      (change.action === "delete" ? removals : upserts).push(change);
    }
    upserts.sort((a, b) => byCodePoint(a.id, b.id));
    forward.push(...upserts);
    backward.unshift(removals.sort((a, b) => byCodePoint(a.id, b.id)));
  }
  return [...forward, ...backward.flat()];
}

/**
 * Marks the planned changes as the write layer will judge them (src/db/invariants.ts): what it never
 * does is shown destructive with a "refused" note, what needs --allow-destroy is shown destructive
 * with the reason. A note the planner wrote itself (e.g. "disabled instead of deleted") is kept.
 */
export function annotate(env: Environment, live: LiveState, changes: Change[], facts: WriteFacts): void {
  judge(env, live, changes, facts).forEach((verdict, i) => {
    const change = changes[i]!;
    if (verdict.never.length > 0) {
      change.destructive = true;
      change.note ??= `refused: ${verdict.never.join("; ")}. Apply refuses this`;
    } else if (verdict.destructive.length > 0) {
      change.destructive = true;
      change.note ??= verdict.destructive.join("; ");
    }
  });
}
