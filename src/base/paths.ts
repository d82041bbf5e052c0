/**
 * Where things are: the repository (the tool, its stacks, its Ansible roles) and the sandbox's
 * folder. Every layer may ask, so this knows nothing but the file system.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The checkout holding the tool: src/, stacks/, tasks/, inventory/. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const STACKS_DIR = path.join(REPO_ROOT, "stacks");

/** The first parent of `file` that other users cannot search, or null when every one can be. */
export function closedParent(file: string): string | null {
  for (let parent = path.dirname(path.resolve(file)); ; parent = path.dirname(parent)) {
    const mode = statSync(parent, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) return parent;
    if (parent === path.dirname(parent)) return null;
  }
}

/**
 * Where the sandbox keeps its server, data and generated secrets: EBILL_SANDBOX_DIR, else
 * `.sandbox/` in the checkout. As root the server runs as `postgres`, which cannot enter a
 * checkout under a private folder (a clone in /root): then a folder in the temp dir, one per
 * checkout, so `npm run demo` works there too.
 */
export function sandboxRoot(): string {
  if (process.env.EBILL_SANDBOX_DIR) return path.resolve(process.env.EBILL_SANDBOX_DIR);
  const inCheckout = path.join(REPO_ROOT, ".sandbox");
  if (process.getuid?.() !== 0 || closedParent(inCheckout) === null) return inCheckout;
  const key = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `ebill-ops-sandbox-${key}`);
}
