/** The git revision a declaration comes from: what a plan and the audit name. */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { bytes } from "../base/exec.ts";
import type { Revision } from "../plan/types.ts";

function git(cwd: string, args: string[]): Promise<Buffer> {
  return bytes("git", args, { cwd });
}

const text = (b: Buffer) => b.toString("utf8");

/**
 * The declaration's revision: HEAD of the repository holding the stack, and whether the working
 * tree differs from it. Dirty means: a tracked file anywhere in the repository changed (the stack
 * imports shared parts, and the tool itself lives there), or a new untracked file lies beside the
 * stack (a year file not committed yet). Untracked files elsewhere (plan files, CI downloads) do
 * not count. The diff hash covers the diff of tracked files and the new files' names and contents,
 * so two plans from the same uncommitted edit carry the same hash.
 *
 * Asynchronous, and its git commands run side by side: `plan` and `apply` start it before they
 * read the live systems and await it after, so the git work overlaps the database's answers.
 */
export async function gitRevision(stackFile: string): Promise<Revision> {
  const dir = path.dirname(path.resolve(stackFile));
  let commit: string;
  let top: string;
  try {
    [commit, top] = text(await git(dir, ["rev-parse", "HEAD", "--show-toplevel"]))
      .trim()
      .split("\n") as [string, string];
  } catch {
    return { commit: null, dirty: false };
  }
  const [diff, others] = await Promise.all([
    git(dir, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--", ":/"]),
    git(dir, ["ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", "."]),
  ]);
  const untracked = text(others).split("\0").filter(Boolean).sort();
  const hash = createHash("sha256");
  hash.update(diff);
  for (const file of untracked) {
    hash.update(`\0new file ${file}\0`);
    // Gone or unreadable between listing and reading: its name still counts.
    hash.update(await readFile(path.join(top, file)).catch(() => Buffer.alloc(0)));
  }
  if (diff.length === 0 && untracked.length === 0) return { commit, dirty: false };
  return { commit, dirty: true, diffHash: hash.digest("hex") };
}
