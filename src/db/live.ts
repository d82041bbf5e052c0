/**
 * The live state of the e-bill database: every kind read with one query each, and its hash.
 * The hash covers every kind (declared or not) and the usage facts (is a row used by issued
 * bills, does a partition hold data), because the plan's decisions depend on them: a saved plan
 * is refused when any of it moved.
 */
import { DATABASE_KINDS, type DatabaseKind, type Environment } from "../model/environment.ts";
import { createHash } from "node:crypto";
import { byCodePoint } from "../base/canonical.ts";
import { fieldValues } from "./providers/columns.ts";
import { PROVIDERS, providerOf } from "./providers/index.ts";
import type { Db, LiveObject } from "./providers/types.ts";
import { schemaOf } from "./reference-schema.ts";
import { disabledByTool, rowKey } from "./disabled-by-tool.ts";

export type LiveState = Record<DatabaseKind, LiveObject[]>;

export async function readLiveState(db: Db, env: Environment): Promise<LiveState> {
  const ctx = { env, schema: schemaOf(env) };
  const state = {} as LiveState;
  // Sequential on one connection: a transaction's queries cannot overlap anyway.
  for (const provider of PROVIDERS) {
    const objects = await provider.read(db, ctx);
    state[provider.kind] = objects.sort((a, b) => byCodePoint(a.id, b.id));
  }
  await markDisabledOutside(db, env, state);
  return state;
}

/**
 * Marks the disabled rows ebill-ops did not disable (disabled-by-tool.ts tells): a person turned
 * them off in the product, and re-enabling one is shown as such. Nothing to ask when none is disabled.
 */
async function markDisabledOutside(db: Db, env: Environment, state: LiveState): Promise<void> {
  const disabled = DATABASE_KINDS.flatMap((kind) =>
    state[kind].filter((o) => o.fields.enabled === false).map((o) => ({ kind, o })),
  );
  if (disabled.length === 0) return;
  const ours = await disabledByTool(
    db,
    env.name,
    disabled.map((d) => [d.kind, d.o.id]),
  );
  for (const { kind, o } of disabled) if (!ours.has(rowKey(kind, o.id))) o.usage.disabledOutside = true;
}

/**
 * The hash of the live state, kind by kind: each object a JSON array of its id, its fields in its
 * provider's order and its usage, so no value can pass for another. Objects are sorted by id when
 * read, so equal states hash equally without sorting any keys.
 */
export function hashLiveState(state: LiveState): string {
  const hash = createHash("sha256");
  for (const kind of DATABASE_KINDS) {
    const { fields } = providerOf(kind);
    const rows = state[kind].map((o) => {
      const u = o.usage;
      return [
        o.id,
        ...fieldValues(fields, o.fields),
        u.bills ?? null,
        u.holdsData ?? null,
        u.otherRelations ?? null,
        u.disabledOutside ?? null,
      ];
    });
    hash.update(`${kind}\n${JSON.stringify(rows)}\n`);
  }
  return hash.digest("hex");
}

/** Does the product schema exist? (plan on a database without it says what to do instead of failing obscurely). */
export async function schemaExists(db: Db, schema: string): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    "SELECT to_regclass(format('%I.%I', $1::text, 'bill')) IS NOT NULL AS ok",
    [schema],
  );
  return rows[0]!.ok;
}
