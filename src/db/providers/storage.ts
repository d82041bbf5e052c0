/**
 * Yearly storage: tablespaces and the yearly partitions of the bill tables.
 *
 * CREATE / DROP TABLESPACE cannot run inside a transaction block, so tablespaces are written in
 * phases around the apply transaction (see src/db/source.ts): creates (and location replaces)
 * before it, drops after its commit, and only the in-transaction part (the year recorded in the
 * tablespace's comment) inside it. Partitions are ordinary DDL and go inside the transaction, all
 * of them in one round trip.
 *
 * A tablespace or partition that holds data is NEVER dropped, whatever --allow-destroy says.
 */
import type { Fields } from "../../plan/types.ts";
import { PARTITIONED_TABLES, type Environment } from "../../model/environment.ts";
import {
  T,
  parsePartitionName,
  partitionDdl,
  qualified,
  quoteIdent,
  quoteLiteral,
  type PartitionedTable,
} from "../reference-schema.ts";
import { declaredLocation, isMapped, physicalLocation, prepareSandboxLocation } from "../tablespaces.ts";
import type { Context, Db, Provider } from "./types.ts";

const COMMENT_PREFIX = "ebill-ops: year=";

function yearComment(year: unknown): string {
  return `${COMMENT_PREFIX}${Number(year)}`;
}

function parseYear(comment: string | null): number | null {
  if (!comment?.startsWith(COMMENT_PREFIX)) return null;
  const year = Number(comment.slice(COMMENT_PREFIX.length));
  return Number.isInteger(year) ? year : null;
}

/** The data directory of the server: only needed (and only readable) for mapped sandbox locations. */
async function dataDirectory(db: Db, env: Environment): Promise<string> {
  if (!isMapped(env)) return "";
  const { rows } = await db.query<{ d: string }>("SELECT current_setting('data_directory') AS d");
  return rows[0]!.d;
}

export const tablespaces: Provider = {
  kind: "tablespaces",
  disableable: false,
  fields: { scalars: ["name", "year", "location"], lists: [] },
  identify: (f) => String(f.name),
  async read(db, { env, schema }) {
    // One query: every non-system tablespace, its location, the year we recorded, and how many
    // relations of this database other than managed yearly partitions live in it.
    const { rows } = await db.query<{
      name: string;
      location: string;
      comment: string | null;
      other_relations: number;
      data_directory: string | null;
    }>(
      `SELECT t.spcname AS name, pg_tablespace_location(t.oid) AS location,
              shobj_description(t.oid, 'pg_tablespace') AS comment,
              (SELECT count(*)::int FROM pg_class c
                WHERE c.reltablespace = t.oid AND c.relkind IN ('r', 'm', 'p')
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits i
                                   WHERE i.inhrelid = c.oid AND i.inhparent IN (to_regclass($1), to_regclass($2)))
              ) AS other_relations,
              ${isMapped(env) ? "current_setting('data_directory')" : "NULL::text"} AS data_directory
         FROM pg_tablespace t
        WHERE t.spcname NOT LIKE 'pg\\_%'`,
      [qualified(schema, T.bill), qualified(schema, T.billDetail)],
    );
    return rows.map((r) => ({
      id: r.name,
      fields: {
        name: r.name,
        year: parseYear(r.comment),
        location: declaredLocation(env, r.data_directory ?? "", r.location),
      },
      usage: { otherRelations: r.other_relations },
      facts: { location: r.location },
    }));
  },
  declared: (env) =>
    env.tablespaces?.map((t) => ({
      id: t.name,
      fields: { name: t.name, year: t.year, location: t.location },
    })),
  /** Inside the transaction: only the recorded year changes (a location change is a replace). */
  async write(db, _ctx, changes) {
    const updates = changes.filter((c) => c.action === "update");
    if (updates.length === 0) return;
    await db.query(
      updates
        .map(
          (c) => `COMMENT ON TABLESPACE ${quoteIdent(c.id)} IS ${quoteLiteral(yearComment(c.after!.year))}`,
        )
        .join(";\n"),
    );
  },
};

/** Before the transaction: creates (and replaces: drop, then create) of tablespaces. */
export async function createTablespaces(
  db: Db,
  env: Environment,
  changes: { action: string; id: string; after: Fields | null }[],
): Promise<string[]> {
  const done: string[] = [];
  if (changes.length === 0) return done;
  const dir = await dataDirectory(db, env);
  for (const change of changes) {
    const after = change.after!;
    if (change.action === "replace") await db.query(`DROP TABLESPACE ${quoteIdent(change.id)}`);
    const physical = physicalLocation(env, dir, String(after.location));
    if (isMapped(env)) await prepareSandboxLocation(dir, physical);
    // One statement each: PostgreSQL runs a multi-statement string as one implicit transaction,
    // which CREATE TABLESPACE refuses.
    await db.query(`CREATE TABLESPACE ${quoteIdent(change.id)} LOCATION ${quoteLiteral(physical)}`);
    await db.query(
      `COMMENT ON TABLESPACE ${quoteIdent(change.id)} IS ${quoteLiteral(yearComment(after.year))}`,
    );
    done.push(change.id);
  }
  return done;
}

/** After the commit (or to undo our own creates after a failure): drops empty tablespaces. */
export async function dropTablespaces(db: Db, names: string[]): Promise<void> {
  for (const name of names) await db.query(`DROP TABLESPACE IF EXISTS ${quoteIdent(name)}`);
}

// ---------------------------------------------------------------------------------------------

export const partitions: Provider = {
  kind: "partitions",
  disableable: false,
  fields: { scalars: ["table", "year", "tablespace"], lists: [] },
  identify: (f) => `${String(f.table)}_${String(f.year)}`,
  async read(db, { schema }) {
    // One query. Whether a partition holds rows is asked of each partition through query_to_xml,
    // so the answer costs one index-free probe per partition instead of counting the bill table.
    const { rows } = await db.query<{
      name: string;
      parent: string;
      tablespace: string;
      holds_data: boolean;
    }>(
      `SELECT c.relname AS name, p.relname AS parent,
              COALESCE(ts.spcname, (SELECT d.spcname FROM pg_tablespace d JOIN pg_database db ON db.dattablespace = d.oid
                                      WHERE db.datname = current_database())) AS tablespace,
              (xpath('/row/x/text()',
                 query_to_xml(format('SELECT EXISTS (SELECT 1 FROM %I.%I) AS x', n.nspname, c.relname), false, true, '')
              ))[1]::text = 'true' AS holds_data
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
        WHERE i.inhparent IN (to_regclass($1), to_regclass($2))`,
      [qualified(schema, T.bill), qualified(schema, T.billDetail)],
    );
    return rows.map((r) => {
      const parsed = parsePartitionName(r.name);
      const yearly = parsed && parsed.table === r.parent ? parsed : null;
      return {
        id: r.name,
        fields: { table: r.parent, year: yearly ? yearly.year : null, tablespace: r.tablespace },
        usage: { holdsData: r.holds_data },
      };
    });
  },
  declared: (env) =>
    env.partitions?.map((p) => ({
      id: `${p.table}_${p.year}`,
      fields: { table: p.table, year: p.year, tablespace: p.tablespace },
    })),
  async write(db: Db, { schema }: Context, changes) {
    const statements: string[] = [];
    const drops: string[] = [];
    for (const c of changes) {
      const name = qualified(schema, c.id);
      if (c.action === "create") {
        const table = c.after!.table as PartitionedTable;
        if (!PARTITIONED_TABLES.includes(table))
          throw new Error(`partition ${c.id}: unknown table ${String(table)}`);
        statements.push(partitionDdl(schema, table, Number(c.after!.year), String(c.after!.tablespace)));
      } else if (c.action === "update") {
        statements.push(`ALTER TABLE ${name} SET TABLESPACE ${quoteIdent(String(c.after!.tablespace))}`);
      } else if (c.action === "delete") {
        drops.push(c.id);
      }
    }
    // DDL takes no parameters; every name is quoted and the year is an integer. One round trip.
    if (statements.length > 0) await db.query(statements.join(";\n"));
    if (drops.length > 0) await dropEmptyPartitions(db, schema, drops);
  },
};

/**
 * The last line of defence before DROP TABLE: the partitions are locked (no bill can be inserted
 * any more), then their size on disk is asked. Unlike a row count, the size is not limited to
 * this transaction's snapshot: a bill committed by the product after the apply read its state
 * still shows. Anything but an empty (never used, or vacuumed) partition is refused.
 */
async function dropEmptyPartitions(db: Db, schema: string, names: string[]): Promise<void> {
  const tables = names.map((n) => qualified(schema, n));
  await db.query(`LOCK TABLE ${tables.join(", ")} IN ACCESS EXCLUSIVE MODE`);
  const { rows } = await db.query<{ name: string; bytes: string }>(
    `SELECT n AS name, pg_relation_size(format('%I.%I', $1::text, n)::regclass)::text AS bytes
       FROM unnest($2::text[]) AS n
      WHERE pg_relation_size(format('%I.%I', $1::text, n)::regclass) > 0`,
    [schema, names],
  );
  if (rows.length > 0)
    throw new Error(
      `refused; nothing was changed: ${rows.map((r) => `partition ${r.name} holds rows (${r.bytes} bytes on disk)`).join(", ")}. ` +
        `A partition holding data is never dropped (if its rows were deleted on purpose, VACUUM it first)`,
    );
  await db.query(tables.map((t) => `DROP TABLE ${t}`).join(";\n"));
}
