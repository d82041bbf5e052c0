/**
 * Rollover tests work on TEMP COPIES of the stacks (never the repository's): a temp folder with
 * `stacks/` copied and `src` / `node_modules` linked, so the copied stack files import the real
 * model. The CLI runs as a child process, as a user or the pipeline runs it; a fresh process also
 * sees stack files that prepare has just rewritten (ES modules are cached per process).
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(REPO, "bin/ebill-ops.mjs");

export interface TempRepo {
  root: string;
  stack: string;
  remove(): Promise<void>;
}

/** A copy of stacks/ in a temp folder, the sandbox's interface URLs pointed at `endpoint` if given. */
export async function tempRepo(endpoint?: string): Promise<TempRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ebill-rollover-"));
  await cp(path.join(REPO, "stacks"), path.join(root, "stacks"), { recursive: true });
  for (const f of ["package.json", ".prettierrc.json"]) await cp(path.join(REPO, f), path.join(root, f));
  await symlink(path.join(REPO, "src"), path.join(root, "src"));
  await symlink(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
  const stack = path.join(root, "stacks/sandbox.ts");
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
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 20 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
