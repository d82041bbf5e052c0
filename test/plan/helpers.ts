/**
 * Driving the CLI as a user would: `node bin/ebill-ops.mjs ...` as a child process, against a stack
 * file pointed at the test's own PostgreSQL.
 */
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { T, schemaOf } from "../../src/db/reference-schema.ts";
import type { Environment } from "../../src/model/environment.ts";
import { FIXTURE_TODAY } from "../harness/fixture-stacks.ts";
import { outputSync } from "../../src/base/exec.ts";
import { startEbillOps } from "../harness/cli.ts";

export const REPO = path.resolve(import.meta.dirname, "../..");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<CliResult>;
  output(): string;
}

/** Starts the CLI; `done` resolves when it exits (by itself or killed). */
export function startCli(args: string[], extraEnv: Record<string, string> = {}, cwd = REPO): Running {
  const child = startEbillOps(args, {
    cwd,
    env: {
      ...process.env,
      // A fixed day inside the fixture's fiscal year keeps the year-end banner quiet whatever today is.
      EBILL_OPS_TODAY: FIXTURE_TODAY,
      EBILL_OPS_ACTOR: "test-engineer",
      NO_COLOR: "1",
      // Database-only suites: namespace hosts that other suites start must not join these plans,
      // so the hosts source is always "not running" here (and says so).
      EBILL_OPS_HOSTS_STATE: path.join(REPO, ".cache", "no-test-hosts", "state.json"),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => stdout + stderr };
}

export function cli(args: string[], extraEnv: Record<string, string> = {}, cwd = REPO): Promise<CliResult> {
  return startCli(args, extraEnv, cwd).done;
}

/** The stack as a JSON file (e.g. the test fixture's environment, pointed at the test server). */
export async function writeStack(
  file: string,
  env: Environment,
  edit: (e: Environment) => void = () => {},
): Promise<string> {
  const copy = structuredClone(env);
  edit(copy);
  await writeFile(file, JSON.stringify(copy, null, 2) + "\n");
  return file;
}

/**
 * Every managed table, row by row in a stable order, plus the tablespaces and partitions: what
 * "the database is exactly as before" is compared on.
 */
export async function dumpManaged(client: pg.Client, env: Environment): Promise<Record<string, string[]>> {
  const schema = schemaOf(env);
  const tables = Object.values(T).filter((t) => t !== T.bill && t !== T.billDetail);
  const dump: Record<string, string[]> = {};
  for (const table of tables) {
    const { rows } = await client.query<{ row: string }>(
      `SELECT to_jsonb(t)::text AS row FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)} t`,
    );
    dump[table] = rows.map((r) => r.row).sort();
  }
  const spaces = await client.query<{ spcname: string }>(
    "SELECT spcname FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1",
  );
  dump.tablespaces = spaces.rows.map((r) => r.spcname);
  const parts = await client.query<{ part: string }>(
    `SELECT c.relname || ' in ' || coalesce(ts.spcname, 'default') AS part
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
      WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  dump.partitions = parts.rows.map((r) => r.part);
  return dump;
}

/** Waits until `check` is true, polling; fails with `what` after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** git in a temporary repository, with a fixed author so tests need no git configuration. */
export function gitIn(repo: string, ...args: string[]): string {
  return outputSync("git", args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "运维工程师",
      GIT_AUTHOR_EMAIL: "ops@hospital.example",
      GIT_COMMITTER_NAME: "运维工程师",
      GIT_COMMITTER_EMAIL: "ops@hospital.example",
    },
  }).trim();
}
