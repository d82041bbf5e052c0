/**
 * Database benchmark (not a test): plan and apply of generated environments with 1,000 / 10,000 /
 * 50,000 configuration rows, batched providers side by side with the straightforward alternative
 * of one statement per row, in one run against a real embedded PostgreSQL.
 *
 *   npm run bench:db                # all sizes
 *   npx tsx bench/db.ts 1000 10000  # chosen sizes
 *
 * For each size and each way: plan with every row to create ("all changes"), apply, then plan
 * again ("no changes"); time and number of database round trips (queries sent) of each. The
 * database holds the sandbox seed (3,500 bills), so the usage checks do real work.
 *
 * The floor, measured in the same run on the same rows (issue 13's targets are ratios to it):
 * - a no-change plan cannot be cheaper than one SELECT of every configuration row plus a plain
 *   JavaScript diff of those rows against the declared ones (a Map by key, a !== per column);
 * - an apply cannot be cheaper, per row written, than one batched upsert of one table
 *   (INSERT ... SELECT FROM unnest ... ON CONFLICT DO UPDATE), here of the code mappings; nor than
 *   the same rows written bare, one plain batched insert per table with the tables' own foreign
 *   keys (shown beside it: link rows pay two foreign-key checks each, which a table without
 *   foreign keys does not show).
 * Each figure is the best of three runs, so a neighbour's burst of CPU does not count.
 *
 *   npx tsx bench/db.ts --batched-only 50000   # skip the slow per-row way
 */
import { pathToFileURL } from "node:url";
import type pg from "pg";
import type { Db } from "../src/db/providers/types.ts";
import { T, qualified } from "../src/db/reference-schema.ts";
import { applyDatabase, planDatabase } from "../src/db/source.ts";
import type { Environment } from "../src/model/environment.ts";
import type { Change } from "../src/plan/types.ts";
import { startSandboxDatabase } from "../test/harness/postgres.ts";

/**
 * Counts round trips (every query() is one), and times the ones that write the apply's audit row:
 * the record of every change, which the apply commits with them, is part of the apply's cost. Its
 * list of changes is stored on a connection of its own while the rows are written (not counted as
 * trips here); the apply's time includes any wait for it.
 */
function counting(client: pg.Client): Db & { count: number; auditMs: number } {
  const db = {
    count: 0,
    auditMs: 0,
    async query(text: string, values?: unknown[]) {
      db.count++;
      if (!/^\s*(INSERT INTO|UPDATE) "ebill_ops"\."apply_audit"/.test(text))
        return client.query(text, values);
      const started = process.hrtime.bigint();
      try {
        return await client.query(text, values);
      } finally {
        db.auditMs += Number(process.hrtime.bigint() - started) / 1e6;
      }
    },
  };
  return db as unknown as Db & { count: number; auditMs: number };
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** The sandbox stack plus generated rows, `total` configuration rows in all (links not counted). */
export function generate(base: Environment, total: number): Environment {
  const share = (f: number) => Math.max(1, Math.floor(total * f));
  const nTypes = share(0.1);
  const nPoints = share(0.1);
  const nChannels = share(0.05);
  const nMappings = share(0.3);
  const nStock = share(0.15);
  const nRoles = share(0.05);
  const nOperators = total - (nTypes * 2 + nPoints + nChannels + nMappings + nStock + nRoles);
  const code = (i: number) => `47${pad(i, 6)}`;
  const point = (i: number) => `P${pad(i, 6)}`;
  const env = structuredClone(base);
  env.billTypes = Array.from({ length: nTypes }, (_, i) => ({
    code: code(i),
    name: `票据${i}`,
    kind: "outpatient" as const,
    year: 2026,
    enabled: true,
    example: true,
  }));
  env.printTemplates = env.billTypes.map((t, i) => ({
    billCode: t.code,
    name: `模板${i}`,
    version: "2026.1",
    paper: "A5",
  }));
  env.invoicingPoints = Array.from({ length: nPoints }, (_, i) => ({
    code: point(i),
    name: `开票点${i}`,
    enabled: true,
    billCodes: [code(i % nTypes)],
  }));
  env.paymentChannels = Array.from({ length: nChannels }, (_, i) => ({
    code: `C${pad(i, 6)}`,
    name: `渠道${i}`,
    kind: "other" as const,
    enabled: true,
  }));
  env.codeMappings = Array.from({ length: nMappings }, (_, i) => ({
    system: "his" as const,
    kind: "department" as const,
    local: `D${pad(i, 7)}`,
    remote: `R${pad(i, 7)}`,
  }));
  env.billStock = Array.from({ length: nStock }, (_, i) => ({
    billCode: code(i % nTypes),
    batch: "2026-01",
    first: pad(i * 1000 + 1, 10),
    last: pad(i * 1000 + 1000, 10),
    place: point(i % nPoints),
    purpose: "issue" as const,
  }));
  env.roles = Array.from({ length: nRoles }, (_, i) => ({
    code: `role${i}`,
    name: `角色${i}`,
    permissions: ["bill.query", "bill.print"],
  }));
  env.operators = Array.from({ length: Math.max(1, nOperators) }, (_, i) => ({
    account: `op${pad(i, 6)}`,
    name: `操作员${i}`,
    roles: [`role${i % nRoles}`],
    places: [point(i % nPoints)],
    enabled: true,
  }));
  return env;
}

// ---------------------------------------------------------------------------------------------
// The straightforward alternative: one statement per row.

interface NaiveKind {
  list: string;
  one: string;
  key: (f: Record<string, unknown>) => unknown[];
  insert: (f: Record<string, unknown>) => [string, unknown[]][];
  rows: (env: Environment) => Record<string, unknown>[];
}

function naiveKinds(schema: string): NaiveKind[] {
  const q = (t: string) => qualified(schema, t);
  return [
    {
      list: `SELECT code FROM ${q(T.billType)}`,
      one: `SELECT *, EXISTS (SELECT 1 FROM ${q(T.bill)} b WHERE b.bill_code = t.code) AS bills FROM ${q(T.billType)} t WHERE code = $1`,
      key: (f) => [f.code],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.billType)} (code, name, kind, year, enabled, example) VALUES ($1, $2, $3, $4, $5, $6)`,
          [f.code, f.name, f.kind, f.year, f.enabled, f.example],
        ],
      ],
      rows: (env) => env.billTypes ?? [],
    },
    {
      list: `SELECT bill_code FROM ${q(T.printTemplate)}`,
      one: `SELECT * FROM ${q(T.printTemplate)} WHERE bill_code = $1`,
      key: (f) => [f.billCode],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.printTemplate)} (bill_code, name, version, paper) VALUES ($1, $2, $3, $4)`,
          [f.billCode, f.name, f.version, f.paper],
        ],
      ],
      rows: (env) => env.printTemplates ?? [],
    },
    {
      list: `SELECT code FROM ${q(T.invoicingPoint)}`,
      one: `SELECT p.*, ARRAY(SELECT bill_code FROM ${q(T.invoicingPointBillType)} l WHERE l.place_code = p.code) AS codes,
                   EXISTS (SELECT 1 FROM ${q(T.bill)} b WHERE b.place_code = p.code) AS bills
              FROM ${q(T.invoicingPoint)} p WHERE code = $1`,
      key: (f) => [f.code],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.invoicingPoint)} (code, name, enabled) VALUES ($1, $2, $3)`,
          [f.code, f.name, f.enabled],
        ],
        ...(f.billCodes as string[]).map((c): [string, unknown[]] => [
          `INSERT INTO ${q(T.invoicingPointBillType)} (place_code, bill_code) VALUES ($1, $2)`,
          [f.code, c],
        ]),
      ],
      rows: (env) => env.invoicingPoints ?? [],
    },
    {
      list: `SELECT code FROM ${q(T.paymentChannel)}`,
      one: `SELECT *, EXISTS (SELECT 1 FROM ${q(T.bill)} b WHERE b.channel_code = c.code) AS bills FROM ${q(T.paymentChannel)} c WHERE code = $1`,
      key: (f) => [f.code],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.paymentChannel)} (code, name, kind, enabled) VALUES ($1, $2, $3, $4)`,
          [f.code, f.name, f.kind, f.enabled],
        ],
      ],
      rows: (env) => env.paymentChannels ?? [],
    },
    {
      list: `SELECT system, kind, local_code FROM ${q(T.codeMapping)}`,
      one: `SELECT * FROM ${q(T.codeMapping)} WHERE system = $1 AND kind = $2 AND local_code = $3`,
      key: (f) => [f.system, f.kind, f.local],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.codeMapping)} (system, kind, local_code, remote_code, remote_name) VALUES ($1, $2, $3, $4, $5)`,
          [f.system, f.kind, f.local, f.remote, f.remoteName ?? null],
        ],
      ],
      rows: (env) => env.codeMappings ?? [],
    },
    {
      list: `SELECT bill_code, batch, first_no FROM ${q(T.billStock)}`,
      one: `SELECT s.*, EXISTS (SELECT 1 FROM ${q(T.bill)} b WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no) AS bills
              FROM ${q(T.billStock)} s WHERE bill_code = $1 AND batch = $2 AND first_no = $3`,
      key: (f) => [f.billCode, f.batch, f.first],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.billStock)} (bill_code, batch, first_no, last_no, place_code, purpose) VALUES ($1, $2, $3, $4, $5, $6)`,
          [f.billCode, f.batch, f.first, f.last, f.place, f.purpose],
        ],
      ],
      rows: (env) => env.billStock ?? [],
    },
    {
      list: `SELECT code FROM ${q(T.role)}`,
      one: `SELECT r.*, ARRAY(SELECT permission FROM ${q(T.rolePermission)} p WHERE p.role_code = r.code) AS permissions FROM ${q(T.role)} r WHERE code = $1`,
      key: (f) => [f.code],
      insert: (f) => [
        [`INSERT INTO ${q(T.role)} (code, name) VALUES ($1, $2)`, [f.code, f.name]],
        ...(f.permissions as string[]).map((p): [string, unknown[]] => [
          `INSERT INTO ${q(T.rolePermission)} (role_code, permission) VALUES ($1, $2)`,
          [f.code, p],
        ]),
      ],
      rows: (env) => env.roles ?? [],
    },
    {
      list: `SELECT account FROM ${q(T.operator)}`,
      one: `SELECT o.*, ARRAY(SELECT role_code FROM ${q(T.operatorRole)} r WHERE r.account = o.account) AS roles,
                   ARRAY(SELECT place_code FROM ${q(T.operatorPlace)} p WHERE p.account = o.account) AS places
              FROM ${q(T.operator)} o WHERE account = $1`,
      key: (f) => [f.account],
      insert: (f) => [
        [
          `INSERT INTO ${q(T.operator)} (account, name, enabled) VALUES ($1, $2, $3)`,
          [f.account, f.name, f.enabled],
        ],
        ...(f.roles as string[]).map((r): [string, unknown[]] => [
          `INSERT INTO ${q(T.operatorRole)} (account, role_code) VALUES ($1, $2)`,
          [f.account, r],
        ]),
        ...(f.places as string[]).map((p): [string, unknown[]] => [
          `INSERT INTO ${q(T.operatorPlace)} (account, place_code) VALUES ($1, $2)`,
          [f.account, p],
        ]),
      ],
      rows: (env) => env.operators ?? [],
    },
  ];
}

/** Per-row plan: list each table's keys (for deletions), then read every declared row by its key. */
async function naivePlan(db: Db, env: Environment): Promise<number> {
  let changes = 0;
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  for (const kind of naiveKinds(env.database.schema)) {
    await db.query(kind.list);
    for (const row of kind.rows(env)) {
      const found = await db.query(kind.one, kind.key(row as Record<string, unknown>));
      if (found.rowCount === 0) changes++;
    }
  }
  await db.query("COMMIT");
  return changes;
}

/** Per-row apply: one INSERT per row and per link row, in one transaction. */
async function naiveApply(db: Db, env: Environment): Promise<void> {
  await db.query("BEGIN");
  for (const kind of naiveKinds(env.database.schema))
    for (const row of kind.rows(env))
      for (const [text, values] of kind.insert(row as Record<string, unknown>)) await db.query(text, values);
  await db.query("COMMIT");
}

// ---------------------------------------------------------------------------------------------
// The floor: what no implementation can go below on these rows.

/** A configuration table as the floor reads it: key columns, compared columns, the declared rows. */
interface FloorTable {
  table: string;
  key: string[];
  columns: string[];
  declared: (env: Environment) => Record<string, unknown>[];
}

function floorTables(): FloorTable[] {
  const v = (x: unknown) => (x === undefined ? null : x);
  return [
    {
      table: T.billType,
      key: ["code"],
      columns: ["code", "name", "kind", "year", "enabled", "example"],
      declared: (env) => env.billTypes ?? [],
    },
    {
      table: T.printTemplate,
      key: ["bill_code"],
      columns: ["bill_code", "name", "version", "paper"],
      declared: (env) =>
        (env.printTemplates ?? []).map((t) => ({
          bill_code: t.billCode,
          name: t.name,
          version: t.version,
          paper: t.paper,
        })),
    },
    {
      table: T.invoicingPoint,
      key: ["code"],
      columns: ["code", "name", "enabled"],
      declared: (env) => env.invoicingPoints ?? [],
    },
    {
      table: T.invoicingPointBillType,
      key: ["place_code", "bill_code"],
      columns: ["place_code", "bill_code"],
      declared: (env) =>
        (env.invoicingPoints ?? []).flatMap((p) =>
          p.billCodes.map((c) => ({ place_code: p.code, bill_code: c })),
        ),
    },
    {
      table: T.paymentChannel,
      key: ["code"],
      columns: ["code", "name", "kind", "enabled"],
      declared: (env) => env.paymentChannels ?? [],
    },
    {
      table: T.codeMapping,
      key: ["system", "kind", "local_code"],
      columns: ["system", "kind", "local_code", "remote_code", "remote_name"],
      declared: (env) =>
        (env.codeMappings ?? []).map((m) => ({
          system: m.system,
          kind: m.kind,
          local_code: m.local,
          remote_code: m.remote,
          remote_name: v(m.remoteName),
        })),
    },
    {
      table: T.billStock,
      key: ["bill_code", "batch", "first_no"],
      columns: ["bill_code", "batch", "first_no", "last_no", "place_code", "purpose", "enabled"],
      declared: (env) =>
        (env.billStock ?? []).map((s) => ({
          bill_code: s.billCode,
          batch: s.batch,
          first_no: s.first,
          last_no: s.last,
          place_code: s.place,
          purpose: s.purpose,
          enabled: true,
        })),
    },
    { table: T.role, key: ["code"], columns: ["code", "name"], declared: (env) => env.roles ?? [] },
    {
      table: T.rolePermission,
      key: ["role_code", "permission"],
      columns: ["role_code", "permission"],
      declared: (env) =>
        (env.roles ?? []).flatMap((r) => r.permissions.map((p) => ({ role_code: r.code, permission: p }))),
    },
    {
      table: T.operator,
      key: ["account"],
      columns: ["account", "name", "enabled"],
      declared: (env) => env.operators ?? [],
    },
    {
      table: T.operatorRole,
      key: ["account", "role_code"],
      columns: ["account", "role_code"],
      declared: (env) =>
        (env.operators ?? []).flatMap((o) => o.roles.map((r) => ({ account: o.account, role_code: r }))),
    },
    {
      table: T.operatorPlace,
      key: ["account", "place_code"],
      columns: ["account", "place_code"],
      declared: (env) =>
        (env.operators ?? []).flatMap((o) => o.places.map((p) => ({ account: o.account, place_code: p }))),
    },
  ];
}

/**
 * The floor of a no-change plan: one SELECT of every row of every configuration table, then a plain
 * diff (a Map of the live rows by key, one !== per declared column). Returns the differences found.
 */
async function floorPlan(db: Db, env: Environment): Promise<number> {
  let differences = 0;
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  for (const t of floorTables()) {
    const { rows } = await db.query(
      `SELECT ${t.columns.join(", ")} FROM ${qualified(env.database.schema, t.table)}`,
    );
    const key = (r: Record<string, unknown>) => t.key.map((k) => String(r[k])).join("\u0000");
    const live = new Map(rows.map((r) => [key(r), r]));
    const declared = t.declared(env) as Record<string, unknown>[];
    for (const d of declared) {
      const l = live.get(key(d));
      if (!l || t.columns.some((c) => l[c] !== d[c])) differences++;
    }
    differences += Math.max(0, live.size - declared.length);
  }
  await db.query("COMMIT");
  return differences;
}

/** The rows an apply of `env` writes: configuration rows and link rows. */
function rowsWritten(env: Environment): number {
  return floorTables().reduce((n, t) => n + t.declared(env).length, 0);
}

/** PostgreSQL type of a floor column's array parameter (the rest are text). */
const FLOOR_TYPES: Record<string, string> = { year: "int", enabled: "bool", example: "bool" };

/**
 * The same rows bare: one plain INSERT ... SELECT FROM unnest per table, in dependency order, in
 * one transaction, with the tables' own keys and foreign keys (a link row checks its owner and its
 * code: the per-row upsert floor of a table without foreign keys cannot show that cost). No read,
 * no judgement, no audit: what writing exactly these rows costs.
 */
async function floorInsertAll(db: Db, env: Environment): Promise<number> {
  let written = 0;
  await db.query("BEGIN");
  for (const t of floorTables()) {
    const rows = t.declared(env);
    if (rows.length === 0) continue;
    const params = t.columns.map((c, i) => `$${i + 1}::${FLOOR_TYPES[c] ?? "text"}[]`).join(", ");
    await db.query(
      `INSERT INTO ${qualified(env.database.schema, t.table)} (${t.columns.join(", ")}) SELECT * FROM unnest(${params})`,
      t.columns.map((c) => rows.map((r) => r[c] ?? null)),
    );
    written += rows.length;
  }
  await db.query("COMMIT");
  return written;
}

/** One batched upsert of the code mappings into their (empty) table: the floor per row written. */
async function floorUpsert(db: Db, env: Environment): Promise<number> {
  const t = floorTables().find((x) => x.table === T.codeMapping)!;
  const rows = t.declared(env);
  await db.query("BEGIN");
  await db.query(
    `INSERT INTO ${qualified(env.database.schema, t.table)} (${t.columns.join(", ")})
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (system, kind, local_code) DO UPDATE SET remote_code = EXCLUDED.remote_code, remote_name = EXCLUDED.remote_name`,
    t.columns.map((c) => rows.map((r) => r[c])),
  );
  await db.query("COMMIT");
  return rows.length;
}

async function clearConfiguration(client: pg.Client, schema: string): Promise<void> {
  const tables = [
    T.billType,
    T.printTemplate,
    T.invoicingPoint,
    T.paymentChannel,
    T.codeMapping,
    T.billStock,
    T.role,
    T.operator,
  ];
  await client.query(`TRUNCATE ${tables.map((t) => qualified(schema, t)).join(", ")} CASCADE`);
}

interface Measure {
  ms: number;
  trips: number;
  /** Of `ms`, the writing of the audit row. */
  auditMs: number;
}

async function measure(client: pg.Client, fn: (db: Db) => Promise<unknown>): Promise<Measure> {
  const db = counting(client);
  const started = process.hrtime.bigint();
  await fn(db);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, trips: db.count, auditMs: db.auditMs };
}

/** The fastest of `runs` measurements (`prepare` runs untimed before each). */
async function best(
  client: pg.Client,
  runs: number,
  fn: (db: Db) => Promise<unknown>,
  prepare: () => Promise<unknown> = async () => undefined,
): Promise<Measure> {
  let fastest: Measure | null = null;
  for (let i = 0; i < runs; i++) {
    await prepare();
    const m = await measure(client, fn);
    if (!fastest || m.ms < fastest.ms) fastest = m;
  }
  return fastest!;
}

const fmt = (m: Measure) => `${(m.ms / 1000).toFixed(2).padStart(7)} s ${String(m.trips).padStart(7)} trips`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

interface Options {
  sizes: number[];
  perRow: boolean;
  runs: number;
}

function options(argv: readonly string[]): Options {
  const sizes = argv.map(Number).filter((n) => n > 0);
  const runs = Number(argv.find((a) => a.startsWith("--runs="))?.slice("--runs=".length) ?? 3);
  return {
    sizes: sizes.length ? sizes : [1_000, 10_000, 50_000],
    perRow: !argv.includes("--batched-only"),
    runs: Number.isInteger(runs) && runs > 0 ? runs : 3,
  };
}

/** The batched providers on `env`, with the floor of the same rows beside them. */
async function batched(client: pg.Client, env: Environment, size: number, runs: number): Promise<void> {
  const schema = env.database.schema;
  let changes: Change[] = [];
  let liveHash = "";
  const planAll = await measure(client, async (db) => {
    ({ changes, liveHash } = await planDatabase(db, env));
  });
  const plan = async () => {
    await clearConfiguration(client, schema);
    ({ changes, liveHash } = await planDatabase(client, env));
  };
  const apply = await best(
    client,
    runs,
    (db) => applyDatabase(db, env, changes, { allowDestroy: false, expectedLiveHash: liveHash }),
    plan,
  );
  let left = -1;
  const planNone = await best(client, runs, async (db) => {
    left = (await planDatabase(db, env)).changes.length;
  });
  if (left !== 0) throw new Error(`batched: ${left} changes left after apply`);
  let differences = -1;
  const floor = await best(client, runs, async (db) => {
    differences = await floorPlan(db, env);
  });
  if (differences !== 0) throw new Error(`floor: ${differences} differences after apply`);
  let upserted = 0;
  const upsert = await best(
    client,
    runs,
    async (db) => {
      upserted = await floorUpsert(db, env);
    },
    () => clearConfiguration(client, schema),
  );
  const written = rowsWritten(env);
  const applyFloorMs = (upsert.ms / upserted) * written;
  let bare = 0;
  const insertAll = await best(
    client,
    runs,
    async (db) => {
      bare = await floorInsertAll(db, env);
    },
    () => clearConfiguration(client, schema),
  );
  if (bare !== written) throw new Error(`floor: ${bare} rows inserted, ${written} expected`);
  console.log(
    `${String(size).padStart(7)}  ${"batched".padEnd(8)} ${fmt(planAll)}   ${fmt(apply)}   ${fmt(planNone)}  (${changes.length} changes)`,
  );
  console.log(
    `${"".padStart(7)}  ${"floor".padEnd(8)} ${"".padEnd(26)}   ${`${(applyFloorMs / 1000).toFixed(2)} s for ${written} rows`.padEnd(26)}   ${fmt(floor)}`,
  );
  console.log(
    `${"".padStart(7)}  ${"ratio".padEnd(8)} ${"".padEnd(26)}   ${`apply ${ratio(apply.ms, applyFloorMs)} the floor`.padEnd(26)}   no-change plan ${ratio(planNone.ms, floor.ms)} the floor`,
  );
  console.log(
    `${"".padStart(7)}  ${"".padEnd(8)} ${"".padEnd(26)}   of which the audit row ${(apply.auditMs / 1000).toFixed(2)} s (its list stored meanwhile); without it ${ratio(apply.ms - apply.auditMs, applyFloorMs)} the floor`,
  );
  console.log(
    `${"".padStart(7)}  ${"".padEnd(8)} ${"".padEnd(26)}   the same rows bare (12 plain inserts) ${(insertAll.ms / 1000).toFixed(2)} s: apply ${ratio(apply.ms, insertAll.ms)} that`,
  );
  await clearConfiguration(client, schema);
  await applyDatabase(client, env, (await planDatabase(client, env)).changes, { allowDestroy: false });
  await withDisabledRows(client, env, runs, floor.ms);
}

/**
 * A no-change plan when some rows are disabled (every hospital has some): the plan then asks which
 * of them ebill-ops disabled. The audit holds the history of every apply measured before it.
 */
async function withDisabledRows(client: pg.Client, env: Environment, runs: number, floorMs: number) {
  const disabled = structuredClone(env);
  const points = disabled.invoicingPoints ?? [];
  for (let i = 0; i < points.length; i += 100) points[i]!.enabled = false;
  const plan = await planDatabase(client, disabled);
  await applyDatabase(client, disabled, plan.changes, {
    allowDestroy: true,
    expectedLiveHash: plan.liveHash,
  });
  const { rows } = await client.query<{ n: string }>(
    `SELECT COALESCE(sum(json_array_length(l.changes)), 0) AS n FROM "ebill_ops"."apply_audit" a
       JOIN "ebill_ops"."change_list" l ON l.id = a.change_list_id`,
  );
  let left = -1;
  const none = await best(client, runs, async (db) => {
    left = (await planDatabase(db, disabled)).changes.length;
  });
  if (left !== 0) throw new Error(`with disabled rows: ${left} changes left after apply`);
  await applyDatabase(client, env, (await planDatabase(client, env)).changes, { allowDestroy: true });
  console.log(
    `${"".padStart(7)}  ${"".padEnd(8)} ${"".padEnd(26)}   ${"".padEnd(26)}   ${fmt(none)}  (1% of points disabled by ebill-ops; ${Number(rows[0]!.n)} changes in the audit: ${ratio(none.ms, floorMs)} the floor)`,
  );
}

/** The straightforward alternative on `env`: one statement per row. */
async function perRow(client: pg.Client, env: Environment, size: number): Promise<void> {
  await clearConfiguration(client, env.database.schema);
  const nPlanAll = await measure(client, (db) => naivePlan(db, env));
  const nApply = await measure(client, (db) => naiveApply(db, env));
  let missing = -1;
  const nPlanNone = await measure(client, async (db) => {
    missing = await naivePlan(db, env);
  });
  if (missing !== 0) throw new Error(`per-row: ${missing} rows missing after apply`);
  console.log(
    `${String(size).padStart(7)}  ${"per-row".padEnd(8)} ${fmt(nPlanAll)}   ${fmt(nApply)}   ${fmt(nPlanNone)}`,
  );
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const sandbox = await startSandboxDatabase();
  const client = await sandbox.client();
  const schema = sandbox.env.database.schema;
  try {
    console.log(
      `PostgreSQL on 127.0.0.1:${sandbox.server.port}; the sandbox seed (3,500 bills) is loaded; best of ${o.runs} runs\n`,
    );
    const header = `${"rows".padStart(7)}  ${"way".padEnd(8)} ${"plan (all changes)".padEnd(26)} ${"apply".padEnd(26)} ${"plan (no changes)".padEnd(26)}`;
    console.log(header);
    for (const size of o.sizes) {
      const env = generate(sandbox.env, size);
      // Only configuration kinds: storage is the seed's, and stays as it is.
      delete (env as Partial<Environment>).tablespaces;
      delete (env as Partial<Environment>).partitions;
      await clearConfiguration(client, schema);
      await batched(client, env, size, o.runs);
      if (o.perRow) await perRow(client, env, size);
    }
  } finally {
    await client.end();
    await sandbox.stop();
  }
}

// Run when executed (npm run bench:db), not when imported for its generator.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
