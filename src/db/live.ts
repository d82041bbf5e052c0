/**
 * The live state of the e-bill database: every kind read with one query each, and its hash.
 * The hash covers every kind (declared or not) and the usage facts (is a row used by issued
 * bills, does a partition hold data), because the plan's decisions depend on them: a saved plan
 * is refused when any of it moved.
 */
import { DATABASE_KINDS, type DatabaseKind, type Environment } from "../model/environment.ts";
import { byCodePoint, canonicalJson, sha256 } from "../canonical.ts";
import { PROVIDERS } from "./providers/index.ts";
import type { Db, LiveObject } from "./providers/types.ts";
import { schemaOf } from "./reference-schema.ts";

export type LiveState = Record<DatabaseKind, LiveObject[]>;

export async function readLiveState(db: Db, env: Environment): Promise<LiveState> {
  const ctx = { env, schema: schemaOf(env) };
  const state = {} as LiveState;
  // Sequential on one connection: a transaction's queries cannot overlap anyway.
  for (const provider of PROVIDERS) {
    const objects = await provider.read(db, ctx);
    state[provider.kind] = objects.sort((a, b) => byCodePoint(a.id, b.id));
  }
  return state;
}

export function hashLiveState(state: LiveState): string {
  const hashed = (kind: DatabaseKind) =>
    state[kind].map((o) => ({ id: o.id, fields: o.fields, usage: o.usage }));
  return sha256(canonicalJson(DATABASE_KINDS.map((kind) => [kind, hashed(kind)])));
}

/** Does the product schema exist? (plan on a database without it says what to do instead of failing obscurely). */
export async function schemaExists(db: Db, schema: string): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    "SELECT to_regclass(format('%I.%I', $1::text, 'bill')) IS NOT NULL AS ok",
    [schema],
  );
  return rows[0]!.ok;
}
