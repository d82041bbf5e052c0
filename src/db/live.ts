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
import { OPS, OPS_SCHEMA, qualified, schemaOf } from "./reference-schema.ts";

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
 * Which disabled rows were disabled by someone else than ebill-ops: a row is "ours" when the last
 * change the audit records for it (in a committed apply of this stack) wrote `enabled: false`.
 * Anything else (the newest recorded write enabled it, or the tool never wrote it) was turned off
 * in the product by a person, and re-enabling it is shown as such. One query, only for the rows
 * that are disabled now.
 */
async function markDisabledOutside(db: Db, env: Environment, state: LiveState): Promise<void> {
  const disabled = DATABASE_KINDS.flatMap((kind) =>
    state[kind].filter((o) => o.fields.enabled === false).map((o) => ({ kind, o })),
  );
  if (disabled.length === 0) return;
  const audit = qualified(OPS_SCHEMA, OPS.audit);
  const { rows: ready } = await db.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'db_committed') AS ok`,
    [audit],
  );
  const ours = new Set<string>();
  if (ready[0]!.ok) {
    const { rows } = await db.query<{ kind: string; id: string }>(
      `SELECT kind, id FROM (
         SELECT DISTINCT ON (c->>'kind', c->>'id') c->>'kind' AS kind, c->>'id' AS id, c->'after'->'enabled' AS enabled
           FROM ${audit} a CROSS JOIN LATERAL jsonb_array_elements(a.changes) AS c
          WHERE a.stack = $1 AND a.db_committed
            AND (c->>'kind', c->>'id') IN (SELECT * FROM unnest($2::text[], $3::text[]))
          ORDER BY c->>'kind', c->>'id', a.id DESC
       ) last WHERE enabled = 'false'::jsonb`,
      [env.name, disabled.map((d) => d.kind), disabled.map((d) => d.o.id)],
    );
    for (const r of rows) ours.add(`${r.kind}\u0000${r.id}`);
  }
  for (const { kind, o } of disabled) if (!ours.has(`${kind}\u0000${o.id}`)) o.usage.disabledOutside = true;
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
