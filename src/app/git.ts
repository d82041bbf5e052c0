/** The git revision a declaration comes from: what a plan and the audit name. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { bytesSync } from "../base/exec.ts";
import type { Revision } from "../plan/types.ts";

function git(cwd: string, args: string[]): Buffer {
  return bytesSync("git", args, { cwd });
}

/**
 * The declaration's revision: HEAD of the repository holding the stack, and whether the working
 * tree differs from it. Dirty means: a tracked file anywhere in the repository changed (the stack
 * imports shared parts, and the tool itself lives there), or a new untracked file lies beside the
 * stack (a year file not committed yet). Untracked files elsewhere (plan files, CI downloads) do
 * not count. The diff hash covers the diff of tracked files and the new files' names and contents,
 * so two plans from the same uncommitted edit carry the same hash.
 */
export function gitRevision(stackFile: string): Revision {
  const dir = path.dirname(path.resolve(stackFile));
  let commit: string;
  try {
    commit = git(dir, ["rev-parse", "HEAD"]).toString("utf8").trim();
  } catch {
    return { commit: null, dirty: false };
  }
  const hash = createHash("sha256");
  const diff = git(dir, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--", ":/"]);
  hash.update(diff);
  const untracked = git(dir, ["ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", "."])
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .sort();
  const top = git(dir, ["rev-parse", "--show-toplevel"]).toString("utf8").trim();
  for (const file of untracked) {
    hash.update(`\0new file ${file}\0`);
    try {
      hash.update(readFileSync(path.join(top, file)));
    } catch {
      // Gone or unreadable between listing and reading: its name still counts.
    }
  }
  if (diff.length === 0 && untracked.length === 0) return { commit, dirty: false };
  return { commit, dirty: true, diffHash: hash.digest("hex") };
}
