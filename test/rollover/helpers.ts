/**
 * Rollover tests work on TEMP COPIES of the tests' own fixture stacks (test/fixtures/stacks/, never
 * the repository's stacks/): a temp folder with them as `stacks/` and `src` / `node_modules` linked,
 * so the copied stack files import the real model. The CLI runs as a child process, as a user or the pipeline runs it; a fresh process also
 * sees stack files that prepare has just rewritten (ES modules are cached per process).
 */
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { copyFixtureStacks } from "../harness/fixture-stacks.ts";
import { ebillOps } from "../harness/cli.ts";
import os from "node:os";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "../..");

export interface TempRepo {
  root: string;
  stack: string;
  remove(): Promise<void>;
}

/** The fixture stacks in a temp folder, the sandbox fixture's interface URLs pointed at `endpoint` if given. */
export async function tempRepo(endpoint?: string): Promise<TempRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ebill-rollover-"));
  const stack = await copyFixtureStacks(root);
  for (const f of ["package.json", ".prettierrc.json"]) await cp(path.join(REPO, f), path.join(root, f));
  await symlink(path.join(REPO, "src"), path.join(root, "src"));
  await symlink(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
  if (endpoint) {
    const text = await readFile(stack, "utf8");
    await writeFile(stack, text.replace(/http:\/\/10\.231\.0\.11:\d+/g, endpoint));
  }
  return { root, stack, remove: () => rm(root, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string>, cwd = REPO): Promise<CliResult> {
  return ebillOps(args, {
    cwd,
    env: {
      ...process.env,
      NO_COLOR: "1",
      // Database-only: the sandbox's namespace hosts (if `npm run demo` made them on this
      // machine) share the fixture's addresses and must never join these plans and applies.
      EBILL_OPS_HOSTS_STATE: path.join(REPO, ".cache", "no-test-hosts", "state.json"),
      ...env,
    },
  });
}
