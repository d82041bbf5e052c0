/**
 * Running the tool as a user does, `node bin/ebill-ops.mjs ...` in a child process, through the one
 * module that runs programs (src/base/exec.ts). Each suite adds the environment it needs.
 */
import path from "node:path";
import type { ChildProcess, SpawnOptions } from "node:child_process";
import { run, start, type RunOptions, type RunResult } from "../../src/base/exec.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";

export const BIN = path.join(REPO_ROOT, "bin", "ebill-ops.mjs");

/** What the command did; `code` is 1 when a signal ended it (the tests compare exit statuses). */
export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `ebill-ops ARGS` to its end (cwd: the repository unless given). */
export async function ebillOps(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const r: RunResult = await run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, ...options });
  return { code: r.code ?? 1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `ebill-ops ARGS` for a test that drives it (kills it, watches its output). */
export function startEbillOps(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return start(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, ...options });
}
