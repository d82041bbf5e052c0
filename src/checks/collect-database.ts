/**
 * The database's facts in a constant number of round trips whatever the number of tables,
 * partitions or sessions: ONE statement for the server's state (each part an aggregate built in
 * SQL) and ONE for the billing (bills, voids, stock and its use). Read-only; no query text of any
 * session is read (it may hold patients' data), only states and ages.
 *
 * Ages of transactions and sessions are the server's own (clock_timestamp()); "now" for the
 * billing windows is the tool's clock in the hospital's time zone (EBILL_OPS_TODAY rehearses), as
 * `bill.issued_at` is local time.
 */
import path from "node:path";
import { connect } from "../db/connect.ts";
import { T, qualified } from "../db/reference-schema.ts";
import { S } from "../db/schema-service.ts";
import { PARTITIONED_TABLES, type Environment } from "../model/environment.ts";
import { yearsOfBound } from "../db/reference-schema.ts";
import { diskSpace, isLocalDatabase, type DiskSpace } from "../probe/probe.ts";
import { localDate } from "../base/time.ts";
import type { BusinessFacts, DatabaseFacts, TablespaceFacts } from "./facts.ts";
import type { Collected } from "./types.ts";

/** The bill tables' yearly partitions (bill_2026, bill_detail_2026) whose statistics are checked. */
const PARTITION_PATTERN = `^(${PARTITIONED_TABLES.join("|")})_[0-9]{4}$`;

/** The server's state: one statement, one row, one JSON value. */
export const SERVER_FACTS_SQL = `
SELECT json_build_object(
  'version', version(),
  'database', current_database(),
  'sizeBytes', pg_database_size(current_database()),
  'dataDirectory', CASE WHEN pg_has_role('pg_read_all_settings', 'MEMBER') THEN current_setting('data_directory') END,
  'hasDelivery', to_regclass(quote_ident($1) || '.bill_delivery') IS NOT NULL,
  'tablespaces', (
    SELECT coalesce(json_agg(json_build_object(
             'name', t.spcname,
             'location', nullif(pg_tablespace_location(t.oid), ''),
             'sizeBytes', CASE WHEN t.spcname = 'pg_default' OR has_tablespace_privilege(t.oid, 'CREATE')
                                    OR pg_has_role('pg_read_all_stats', 'MEMBER')
                               THEN pg_tablespace_size(t.oid) END) ORDER BY t.spcname), '[]')
      FROM pg_tablespace t WHERE t.spcname <> 'pg_global'),
  'connections', json_build_object(
    'used', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
    'max', current_setting('max_connections')::int,
    'reserved', current_setting('superuser_reserved_connections')::int),
  'sessions', (
    SELECT coalesce(json_agg(json_build_object(
             'pid', a.pid,
             'user', a.usename,
             'application', a.application_name,
             'client', host(a.client_addr),
             'state', a.state,
             'transactionSeconds', extract(epoch FROM clock_timestamp() - a.xact_start),
             'stateSeconds', extract(epoch FROM clock_timestamp() - a.state_change),
             'waitingForLock', a.wait_event_type = 'Lock',
             'statementSeconds', extract(epoch FROM clock_timestamp() - a.query_start)) ORDER BY a.pid), '[]')
      FROM pg_stat_activity a
     WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
       AND (a.xact_start IS NOT NULL OR a.wait_event_type = 'Lock')),
  'invisibleSessions', (
    SELECT count(*) FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS NULL),
  'tables', (
    SELECT coalesce(json_agg(json_build_object(
             'name', s.relname,
             'liveRows', s.n_live_tup,
             'deadRows', s.n_dead_tup,
             'modifiedSinceAnalyze', s.n_mod_since_analyze,
             'lastVacuum', s.last_vacuum,
             'lastAutovacuum', s.last_autovacuum,
             'lastAnalyze', s.last_analyze,
             'lastAutoanalyze', s.last_autoanalyze) ORDER BY s.relname), '[]')
      FROM pg_stat_user_tables s WHERE s.schemaname = $1 AND s.relname ~ $2),
  'xid', (
    SELECT json_build_object('database', datname, 'age', age(datfrozenxid))
      FROM pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1),
  'partitions', (
    SELECT coalesce(json_agg(json_build_object(
             'table', p.relname, 'partition', c.relname, 'bound', pg_get_expr(c.relpartbound, c.oid))
             ORDER BY c.relname), '[]')
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = $1 AND p.relname = ANY($3))
) AS facts`;

/**
 * The billing: one statement. $1 now (local), $2/$3 the quarter's first and last day, $4 whether
 * the quarter's daily counts are wanted (a full inspection; the monitor skips them).
 */
export function businessFactsSql(schema: string, withDelivery = false): string {
  const t = (name: string) => qualified(schema, name);
  // The archive / push state (src/db/schema-service.ts) exists in a product schema that records
  // it; an older one does not, and the statement must not name a table that is not there.
  const open = (leg: string) =>
    `'${leg}Open', (SELECT count(*) FROM ${t(S.billDelivery)} WHERE ${leg}_state <> 'done' AND issued_at <= $1::timestamp),
     '${leg}Oldest', (SELECT to_char(min(issued_at), 'YYYY-MM-DD HH24:MI:SS') FROM ${t(S.billDelivery)}
                      WHERE ${leg}_state <> 'done' AND issued_at <= $1::timestamp)`;
  const delivery = withDelivery
    ? `\n  'delivery', json_build_object(${open("archive")}, ${open("push")}),`
    : "";
  return `
SELECT json_build_object(${delivery}
  'billTypes', (SELECT coalesce(json_agg(json_build_object('code', trim(code), 'year', year, 'enabled', enabled)), '[]')
                  FROM ${t(T.billType)}),
  'points', (SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'enabled', enabled)), '[]')
               FROM ${t(T.invoicingPoint)}),
  'recent', (SELECT coalesce(json_agg(json_build_object('place', place_code, 'billCode', code, 'count', n, 'voided', v)), '[]')
               FROM (SELECT place_code, trim(bill_code) AS code, count(*) AS n,
                            count(*) FILTER (WHERE state = 'voided') AS v
                       FROM ${t(T.bill)}
                      WHERE issued_at > $1::timestamp - interval '30 days' AND issued_at <= $1::timestamp
                      GROUP BY 1, 2) r),
  'lastDay', (SELECT count(*) FROM ${t(T.bill)}
               WHERE issued_at > $1::timestamp - interval '1 day' AND issued_at <= $1::timestamp),
  'previous28Days', (SELECT count(*) FROM ${t(T.bill)}
                      WHERE issued_at > $1::timestamp - interval '29 days'
                        AND issued_at <= $1::timestamp - interval '1 day'),
  'stock', (SELECT coalesce(json_agg(json_build_object(
                     'place', s.place_code, 'billCode', trim(s.bill_code), 'batch', s.batch,
                     'first', s.first_no, 'last', s.last_no, 'purpose', s.purpose, 'enabled', s.enabled,
                     'used', u.used)), '[]')
              FROM ${t(T.billStock)} s
              CROSS JOIN LATERAL (SELECT count(*) AS used FROM ${t(T.bill)} b
                                   WHERE b.bill_code = s.bill_code AND b.bill_no BETWEEN s.first_no AND s.last_no) u),
  'daily', CASE WHEN $4::boolean THEN (
             SELECT coalesce(json_agg(json_build_object('day', d, 'count', n) ORDER BY d), '[]')
               FROM (SELECT to_char(issued_at, 'YYYY-MM-DD') AS d, count(*) AS n FROM ${t(T.bill)}
                      WHERE issued_at >= $2::date AND issued_at < $3::date + 1 AND issued_at <= $1::timestamp
                      GROUP BY 1) x) END
) AS facts`;
}

/** `YYYY-MM-DD HH:MM:SS` of an instant in the hospital's time zone (bill.issued_at is local time). */
export function localTimestamp(at: Date, timeZone: string): string {
  const d = localDate(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  const seconds = p(at.getUTCSeconds());
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}:${seconds}`;
}

/** Free space where a directory is, or its nearest parent this process may see. */
async function diskNear(dir: string): Promise<DiskSpace | null> {
  for (let at = dir; ; at = path.dirname(at)) {
    const space = await diskSpace(at);
    if (space) return space;
    if (path.dirname(at) === at) return null;
  }
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: { facts: unknown }[] }>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Reads the facts through `db`, counting the statements sent. */
export async function readDatabaseFacts(
  db: Queryable,
  env: Environment,
  options: { now: Date; quarter?: { from: string; to: string } },
): Promise<Omit<DatabaseFacts, "tablespaces"> & { tablespaces: Omit<TablespaceFacts, "disk">[] }> {
  let roundTrips = 0;
  const query = (text: string, values: unknown[]) => {
    roundTrips++;
    return db.query(text, values);
  };
  const schema = env.database.schema ?? "ebill";
  const { hasDelivery, ...server } = (
    await query(SERVER_FACTS_SQL, [schema, PARTITION_PATTERN, [...PARTITIONED_TABLES]])
  ).rows[0]!.facts as Omit<DatabaseFacts, "business" | "roundTrips" | "partitions"> & {
    partitions: { table: string; partition: string; bound: string }[];
    hasDelivery: boolean;
  };
  let business: DatabaseFacts["business"];
  try {
    const now = localTimestamp(options.now, env.maintenance.timezone);
    const quarter = options.quarter ?? { from: now.slice(0, 10), to: now.slice(0, 10) };
    const row = (
      await query(businessFactsSql(schema, hasDelivery), [
        now,
        quarter.from,
        quarter.to,
        Boolean(options.quarter),
      ])
    ).rows[0]!.facts as BusinessFacts & { daily: BusinessFacts["daily"] | null };
    const { daily, ...rest } = row;
    business = { ok: true, value: { ...rest, ...(daily ? { daily } : {}) } };
  } catch (error) {
    business = { ok: false, reason: message(error) };
  }
  return {
    ...server,
    partitions: server.partitions.map((p) => ({
      table: p.table,
      partition: p.partition,
      years: yearsOfBound(p.bound),
    })),
    business,
    roundTrips,
  };
}

/** The database's facts, or why they could not be read (no connection, no answer). */
export async function collectDatabase(
  env: Environment,
  options: { now: Date; quarter?: { from: string; to: string } },
): Promise<Collected<DatabaseFacts>> {
  let client;
  try {
    client = await connect(env);
  } catch (error) {
    return { ok: false, reason: message(error) };
  }
  try {
    const facts = await readDatabaseFacts(client as unknown as Queryable, env, options);
    // The disks under the tablespaces can be measured here only when the database runs here.
    const local = isLocalDatabase(env.database.host);
    const tablespaces: TablespaceFacts[] = await Promise.all(
      facts.tablespaces.map(async (t) => {
        const location = t.name === "pg_default" ? facts.dataDirectory : t.location;
        return {
          ...t,
          location,
          ...(local && location ? { disk: await diskNear(location) } : {}),
        };
      }),
    );
    return { ok: true, value: { ...facts, tablespaces } };
  } catch (error) {
    return { ok: false, reason: message(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
