/**
 * What a data fix costs (issue 14), on a real sandbox database whose bill table is grown to 50,000
 * rows. `npm run bench:tasks`. Prints a table; docs/tasks.md has the figures.
 *
 * - the parser check alone (libpg-query's WebAssembly loaded once, then one statement);
 * - `fix plan` as a user runs it (node, the stack, the check, the connection, the statement in a
 *   rolled-back transaction with the row trigger), median of 5: a 10-row fix found by the key,
 *   a 93-row fix that has to scan the whole table, and a 5,000-row fix;
 * - `fix apply` and `fix undo` of the 5,000-row fix (before-images kept and restored).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadavg } from "node:os";
import { checkFix } from "../src/db/fix-check.ts";
import { planFixRun } from "../src/db/fix-run.ts";
import { loadFixFile } from "../src/config/fix-file.ts";
import { ebillOps } from "../test/harness/cli.ts";
import { FIXTURE_TODAY } from "../test/harness/fixture-stacks.ts";
import { startSandboxDatabase } from "../test/harness/postgres.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const note = (what: string, value: string) => console.log(`${what.padEnd(70)} ${value}`);
const ROWS = 50_000;

note(
  "load average at start (2 shared cores)",
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" "),
);
const db = await startSandboxDatabase();
const dir = await mkdtemp(path.join(os.tmpdir(), "ebill-bench-tasks-"));
try {
  const client = await db.client();
  // Grow ebill.bill (2026 partition) to 50,000 rows: numbers 0000100001... of the seeded bill code.
  const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM ebill.bill");
  const extra = ROWS - Number(rows[0]!.n);
  await client.query(
    `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
     SELECT '46060126', lpad((100000 + i)::text, 10, '0'), 'a1b2c3', '001', (ARRAY['02', '05', '11'])[1 + i % 3],
            10 + (i % 500), timestamp '2026-02-01 08:00' + (i % 200) * interval '1 day' + (i % 600) * interval '1 minute'
       FROM generate_series(1, $1::int) AS i`,
    [extra],
  );
  await client.query("ANALYZE ebill.bill");
  const inProcess = async (file: string) => {
    const { fix } = await loadFixFile(file, "sandbox");
    const checked = await checkFix(file, fix, "ebill");
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      await planFixRun(client, "ebill", checked, fix.expect.rows, file);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return median(times);
  };
  const total = Number(
    (await client.query<{ n: string }>("SELECT count(*) AS n FROM ebill.bill")).rows[0]!.n,
  );
  note("rows in ebill.bill", total.toLocaleString("en"));

  const stack = path.join(dir, "sandbox.json");
  await writeFile(stack, JSON.stringify(db.env));
  const fixes = path.join(dir, "fixes", "sandbox");
  await mkdir(fixes, { recursive: true });
  const fix = async (name: string, statement: string, rows: number, verify: string) => {
    const file = path.join(fixes, `2026-11-29-${name}.yaml`);
    await writeFile(
      file,
      `reason: benchmark of a data fix on ${ROWS} rows\nticket: BENCH\nstatement: ${JSON.stringify(statement)}\n` +
        `expect:\n  rows: ${rows}\nverify: ${JSON.stringify(verify)}\n`,
    );
    return file;
  };
  const env = { ...db.server.env, EBILL_OPS_TODAY: FIXTURE_TODAY, NO_COLOR: "1" };
  const timed = async (args: string[], expectCode: number) => {
    const t = process.hrtime.bigint();
    const r = await ebillOps(args, { env: { ...process.env, ...env } });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.code !== expectCode) throw new Error(`${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return s;
  };

  const byKey = await fix(
    "by-key",
    "UPDATE bill SET channel_code = '11' WHERE bill_code = '46060126' AND bill_no BETWEEN '0000100001' AND '0000100010'",
    10,
    "SELECT 1 FROM bill WHERE bill_code = '46060126' AND bill_no BETWEEN '0000100001' AND '0000100010' AND channel_code <> '11'",
  );
  const scan = await fix(
    "scan",
    // amount 10 + i % 500 = 17 for 93 of the added rows; no index on amount: a scan of every row.
    "UPDATE bill SET place_code = '002' WHERE check_code = 'a1b2c3' AND amount = 17",
    93,
    "SELECT 1 FROM bill WHERE check_code = 'a1b2c3' AND amount = 17 AND place_code <> '002'",
  );
  const wide = await fix(
    "wide",
    "UPDATE bill SET place_code = '002' WHERE bill_code = '46060126' AND bill_no BETWEEN '0000100001' AND '0000105000'",
    5000,
    "SELECT 1 FROM bill WHERE bill_code = '46060126' AND bill_no BETWEEN '0000100001' AND '0000105000' AND place_code <> '002'",
  );

  // The parser check in this process: the first call loads the WebAssembly module.
  let t = process.hrtime.bigint();
  await checkFix("bench", { statement: "UPDATE bill SET place_code = '002'", verify: "SELECT 1" }, "ebill");
  note(
    "parser check, first call (loads libpg-query)",
    `${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)} ms`,
  );
  t = process.hrtime.bigint();
  for (let i = 0; i < 100; i++)
    await checkFix("bench", { statement: "UPDATE bill SET place_code = '002'", verify: "SELECT 1" }, "ebill");
  note(
    "parser check, each later call (mean of 100)",
    `${(Number(process.hrtime.bigint() - t) / 1e8).toFixed(2)} ms`,
  );

  for (const [label, file] of [
    ["10 rows by key", byKey],
    ["93 rows found by scanning all 50,000", scan],
    ["5,000 rows", wide],
  ] as const)
    note(
      `fix plan's database part, ${label} (median of 5, in process)`,
      `${(await inProcess(file)).toFixed(0)} ms`,
    );
  await client.end();

  const runs = 5;
  for (const [label, file, code] of [
    ["fix plan, 10 rows by key", byKey, 2],
    ["fix plan, 93 rows found by scanning all 50,000", scan, 2],
    ["fix plan, 5,000 rows", wide, 2],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timed(["fix", "plan", "--stack", stack, file], code));
    note(`${label} (median of ${runs}, whole command)`, `${median(times).toFixed(2)} s`);
  }
  const help = await timed(["fix", "plan", "--help"], 0);
  note("for scale: the tool starting and printing help (fix plan --help)", `${help.toFixed(2)} s`);
  note(
    "fix apply, 5,000 rows (before-images kept)",
    `${(await timed(["fix", "apply", "--stack", stack, wide, "--yes"], 0)).toFixed(2)} s`,
  );
  note(
    "fix undo, 5,000 rows (restored)",
    `${(await timed(["fix", "undo", "--stack", stack, wide, "--reason", "benchmark"], 0)).toFixed(2)} s`,
  );
} finally {
  await db.stop();
  await rm(dir, { recursive: true, force: true });
}
