#!/usr/bin/env -S npx zx
/**
 * Runbook: a snapshot of one product table, kept with a data fix's paper trail (docs/tasks.md).
 *
 *   npx zx tasks/runbooks/table-snapshot.mjs --table ebill.bill_stock [--out fix-evidence]
 *
 * Before an engineer applies a fix in production, the hospital's information department keeps the
 * table as it was, outside the database: `fix apply` already keeps the before-image of every row
 * it touches (ebill_ops.fix_row, what `fix undo` restores), this is the copy on paper for the
 * record. It drives psql (\copy as CSV, ordered, so two snapshots of the same data are identical)
 * and tar, and writes <out>/<table>-<UTC time>.tar.gz holding the CSV and a manifest (table, rows,
 * sha256 of the CSV, server version). The connection comes from libpq's variables (PGHOST, PGPORT,
 * PGDATABASE, PGUSER, PGPASSWORD or ~/.pgpass): the password never appears on a command line.
 * Written with zx because it is a sequence of shell tools; the TypeScript core stays in src/.
 */
import { $, argv, fs, os, path } from "zx";

$.verbose = false;
const fail = (/** @type {string} */ message) => {
  process.stderr.write(`table-snapshot: ${message}\n`);
  process.exit(1);
};

const table = String(argv.table ?? "");
if (!/^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/.test(table))
  fail(
    "--table schema.table is required (lower-case identifiers, e.g. ebill.bill_stock); nothing was written",
  );
const out = path.resolve(String(argv.out ?? "fix-evidence"));
for (const tool of ["psql", "tar"])
  if (!(await $`command -v ${tool}`.nothrow()).ok)
    fail(`${tool} is not installed (apt-get install postgresql-client tar)`);

const psql = (/** @type {string} */ sql) => $`psql -X -q -A -t -v ON_ERROR_STOP=1 -c ${sql}`;
const [schema, name] = table.split(".");
const exists = await psql(`SELECT to_regclass('"${schema}"."${name}"') IS NOT NULL`).nothrow();
if (!exists.ok) fail(`cannot query the database: ${exists.stderr.trim()}`);
if (exists.stdout.trim() !== "t")
  fail(`no table ${table} in database ${process.env.PGDATABASE ?? "(PGDATABASE unset)"}`);

const work = await fs.mkdtemp(path.join(os.tmpdir(), "table-snapshot-"));
try {
  const csv = path.join(work, `${table}.csv`);
  // Ordered by the whole row: the same data gives the same file, byte for byte.
  await psql(
    `\\copy (SELECT * FROM "${schema}"."${name}" t ORDER BY t::text COLLATE "C") TO '${csv}' WITH (FORMAT csv, HEADER)`,
  );
  const rows = Number((await psql(`SELECT count(*) FROM "${schema}"."${name}"`)).stdout.trim());
  const version = (await psql("SHOW server_version")).stdout.trim();
  const sha256 = (await $`sha256sum ${csv}`).stdout.split(" ")[0];
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await fs.writeFile(
    path.join(work, "manifest.txt"),
    [`table: ${table}`, `rows: ${rows}`, `sha256: ${sha256}`, `taken: ${at}`, `server: ${version}`, ""].join(
      "\n",
    ),
  );
  await fs.mkdir(out, { recursive: true });
  const archive = path.join(out, `${table}-${at.replace(/[-:]/g, "")}.tar.gz`);
  await $`tar -czf ${archive} -C ${work} ${`${table}.csv`} manifest.txt`;
  process.stdout.write(`${archive}\n${rows} rows of ${table}, sha256 ${sha256}\n`);
} finally {
  await fs.rm(work, { recursive: true, force: true });
}
