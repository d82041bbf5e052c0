/**
 * A stack as it was at a commit. A stack file imports shared parts (stacks/<hospital>/common.ts),
 * one file per fiscal year and the model helpers in src/, so reading one file from git is not
 * enough: the commit's `stacks/`, `src/` and `package.json` are unpacked into a temporary folder
 * with `git archive`, beside a link to this checkout's node_modules, and the stack is loaded from
 * there. The working tree is never touched.
 */
import { mkdtemp, rm, stat, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { resolveStackFile } from "../config/load.ts";
import { run, start } from "../base/exec.ts";
import { REPO_ROOT } from "../base/paths.ts";

const STACK_EXTENSIONS = [".ts", ".json", ".yaml", ".yml"];

async function git(cwd: string, args: string[]): Promise<string> {
  const result = await run("git", args, { cwd });
  if (result.code !== 0)
    throw new Error(
      `git ${args.join(" ")} failed in ${cwd}: ${result.stderr.trim() || `exit ${result.code}`}`,
    );
  return result.stdout.trim();
}

export interface CommitInfo {
  sha: string;
  subject: string;
}

export async function resolveCommit(repo: string, ref: string): Promise<CommitInfo> {
  if (ref.startsWith("-")) throw new Error(`'${ref}' is not a commit; give a commit id, tag or branch`);
  let sha: string;
  try {
    sha = await git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  } catch {
    throw new Error(`'${ref}' is not a commit of the repository at ${repo}; see 'git log -- stacks/'`);
  }
  const subject = await git(repo, ["log", "-1", "--format=%s", sha]);
  return { sha, subject };
}

export interface StackAtCommit {
  /** The stack file inside the temporary tree; give it to loadValidStack / openStack. */
  file: string;
  /** Path of the stack file inside the repository, e.g. `stacks/sandbox.ts`. */
  relative: string;
  repo: string;
  commit: CommitInfo;
  dispose(): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Where the stack lives in the repository: its current file, or for a name, the file at the commit. */
async function stackPathAt(ref: string, repo: string, sha: string): Promise<string> {
  const looksLikePath = ref.includes("/") || STACK_EXTENSIONS.some((ext) => ref.endsWith(ext));
  const candidates: string[] = [];
  if (looksLikePath) candidates.push(path.relative(repo, path.resolve(ref)));
  else {
    const current = await resolveStackFile(ref).catch(() => null);
    if (current && (await exists(current))) {
      const rel = path.relative(repo, current);
      if (!rel.startsWith("..")) candidates.push(rel);
    }
    for (const ext of STACK_EXTENSIONS) candidates.push(`stacks/${ref}${ext}`);
  }
  for (const rel of candidates) {
    if (rel.startsWith("..") || path.isAbsolute(rel)) continue;
    const posix = rel.split(path.sep).join("/");
    const found = await git(repo, ["ls-tree", "--name-only", sha, "--", posix]);
    if (found === posix) return posix;
  }
  throw new Error(
    `stack '${ref}' did not exist at commit ${sha.slice(0, 12)} (looked for ${candidates.join(", ")}); ` +
      "pick a later commit, or remove the stack's objects with a pull request",
  );
}

/** The repository holding the stack: the one around the stack file, else around the working directory. */
export async function repositoryOf(ref: string): Promise<string> {
  const looksLikePath = ref.includes("/") || STACK_EXTENSIONS.some((ext) => ref.endsWith(ext));
  const dir = looksLikePath ? path.dirname(path.resolve(ref)) : path.join(REPO_ROOT, "stacks");
  const start = (await exists(dir)) ? dir : process.cwd();
  return git(start, ["rev-parse", "--show-toplevel"]);
}

export async function materialiseStack(ref: string, commitRef: string): Promise<StackAtCommit> {
  const repo = await repositoryOf(ref);
  const commit = await resolveCommit(repo, commitRef);
  const relative = await stackPathAt(ref, repo, commit.sha);
  const present = (
    await git(repo, ["ls-tree", "--name-only", commit.sha, "--", "stacks", "src", "package.json"])
  )
    .split("\n")
    .filter(Boolean);
  const dir = await mkdtemp(path.join(os.tmpdir(), `ebill-ops-at-${commit.sha.slice(0, 12)}-`));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await archiveInto(repo, commit.sha, present, dir);
    // The commit's helpers import npm packages (zod); they resolve through this checkout's.
    await symlink(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  } catch (error) {
    await dispose();
    throw error;
  }
  return { file: path.join(dir, relative), relative, repo, commit, dispose };
}

/** `git archive SHA PATHS | tar -x -C DIR`, without a shell. */
function archiveInto(repo: string, sha: string, paths: string[], dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = start("git", ["archive", "--format=tar", sha, "--", ...paths], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tar = start("tar", ["-x", "-f", "-", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    archive.stderr!.on("data", (d: Buffer) => (errors += d.toString()));
    tar.stderr!.on("data", (d: Buffer) => (errors += d.toString()));
    archive.stdout!.pipe(tar.stdin!);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} failed (exit ${code}) unpacking ${sha.slice(0, 12)}: ${errors.trim()}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    archive.on("error", reject);
    tar.on("error", reject);
    archive.on("close", done("git archive"));
    tar.on("close", done("tar"));
  });
}
