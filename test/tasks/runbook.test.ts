/**
 * The zx runbook that keeps a table's snapshot with a fix's paper trail, run as an engineer runs it
 * (npx zx) against a real sandbox database, with psql and tar.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { output, run } from "../../src/base/exec.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";

const ZX = path.join(REPO_ROOT, "node_modules", "zx", "build", "cli.js");
const RUNBOOK = path.join(REPO_ROOT, "tasks", "runbooks", "table-snapshot.mjs");

let db: SandboxDatabase;
let dir: string;
const pgEnv = () => ({
  ...process.env,
  PGHOST: "127.0.0.1",
  PGPORT: String(db.server.port),
  PGDATABASE: "ebill",
  PGUSER: "ebill",
  PGPASSWORD: db.server.password,
});
const snapshot = (args: string[]) => run(process.execPath, [ZX, RUNBOOK, ...args], { env: pgEnv() });

beforeAll(async () => {
  db = await startSandboxDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-runbook-"));
}, 120_000);

afterAll(async () => {
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("writes an archive with the ordered CSV and a manifest; the same data gives the same CSV", async () => {
  const first = await snapshot(["--table", "ebill.bill_stock", "--out", path.join(dir, "a")]);
  expect(first.code, first.stderr).toBe(0);
  const second = await snapshot(["--table", "ebill.bill_stock", "--out", path.join(dir, "b")]);
  expect(second.code, second.stderr).toBe(0);
  const client = await db.client();
  const rows = Number((await client.query("SELECT count(*) AS n FROM ebill.bill_stock")).rows[0].n);
  await client.end();
  expect(first.stdout).toMatch(new RegExp(`${rows} rows of ebill.bill_stock, sha256 [0-9a-f]{64}`));
  const sha = (text: string) => /sha256 ([0-9a-f]{64})/.exec(text)![1];
  expect(sha(second.stdout)).toBe(sha(first.stdout));
  const [archive] = await readdir(path.join(dir, "a"));
  const listing = await output("tar", ["-tzf", path.join(dir, "a", archive!)]);
  expect(listing.split("\n").filter(Boolean).sort()).toEqual(["ebill.bill_stock.csv", "manifest.txt"]);
  const manifest = await output("tar", ["-xzOf", path.join(dir, "a", archive!), "manifest.txt"]);
  expect(manifest).toContain(`rows: ${rows}`);
  expect(manifest).toContain(`sha256: ${sha(first.stdout)}`);
}, 60_000);

it("refuses a missing or malformed table, writing nothing", async () => {
  const out = path.join(dir, "none");
  const malformed = await snapshot(["--table", "bill_stock; rm -rf /", "--out", out]);
  expect(malformed.code).toBe(1);
  expect(malformed.stderr).toMatch(/--table schema.table is required/);
  const missing = await snapshot(["--table", "ebill.no_such_table", "--out", out]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/no table ebill.no_such_table/);
  await expect(readdir(out)).rejects.toThrow();
}, 60_000);
