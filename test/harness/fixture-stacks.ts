/**
 * The tests' own stacks (test/fixtures/stacks/), never the repository's stacks/: those are the
 * user's to edit (stacks/sandbox.ts also follows the calendar), so a test asserting on them would
 * break on an ordinary edit or on another day.
 *
 * - `sandbox.ts`: the sandbox hospital's shape with fiscal year 2026 pinned, in the per-year layout
 *   (`sandbox/year-2026.ts`); what startSandboxDatabase() seeds and most tests plan and apply.
 * - `calendar.ts`: the same hospital following the calendar (`calendarYears`), as stacks/sandbox.ts.
 *
 * Tests that run the CLI in a temporary repository (rollover, rollback) copy them in with
 * copyFixtureStacks(), which points their imports at that repository's `src`.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { REPO_ROOT } from "../../src/base/paths.ts";
export const FIXTURE_STACKS_DIR = path.join(REPO_ROOT, "test", "fixtures", "stacks");
/** The sandbox-shaped test stack, fiscal year FIXTURE_YEAR. */
export const FIXTURE_STACK = path.join(FIXTURE_STACKS_DIR, "sandbox.ts");
/** The calendar-following test stack (its year is the clock's). */
export const CALENDAR_FIXTURE_STACK = path.join(FIXTURE_STACKS_DIR, "calendar.ts");
export const FIXTURE_YEAR = 2026;
/**
 * A day inside the fixture's fiscal year on which no year-end banner speaks: the date the test
 * configuration pins (vitest.config.ts) and the CLI helpers pass to child processes.
 */
export const FIXTURE_TODAY = "2026-06-15T10:00:00+08:00";

/**
 * Copies the fixture stacks to `<root>/stacks/` (as a repository holds them), rewriting each import
 * of the tool's `src/` to `<root>/src` (which the caller provides, e.g. a symlink). `only` limits
 * the copy to those stacks (file and folder of each name). Returns the copied sandbox-shaped stack.
 */
export async function copyFixtureStacks(root: string, only?: readonly string[]): Promise<string> {
  const target = path.join(root, "stacks");
  const srcHere = path.join(REPO_ROOT, "src");
  const srcThere = path.join(root, "src");
  const copyFile = async (source: string, dest: string) => {
    const text = await readFile(source, "utf8");
    const rewritten = text.replace(/(from\s+["'])(\.{1,2}\/[^"']*)(["'])/g, (all, open, spec, close) => {
      const resolved = path.resolve(path.dirname(source), spec);
      if (!resolved.startsWith(srcHere + path.sep)) return all;
      let relative = path.relative(path.dirname(dest), path.join(srcThere, path.relative(srcHere, resolved)));
      if (!relative.startsWith(".")) relative = `./${relative}`;
      return `${open}${relative}${close}`;
    });
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, rewritten);
  };
  const copy = async (from: string, to: string): Promise<void> => {
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      const dest = path.join(to, entry.name);
      await (entry.isDirectory() ? copy(source, dest) : copyFile(source, dest));
    }
  };
  if (!only) await copy(FIXTURE_STACKS_DIR, target);
  else
    for (const name of only) {
      await copyFile(path.join(FIXTURE_STACKS_DIR, `${name}.ts`), path.join(target, `${name}.ts`));
      await copy(path.join(FIXTURE_STACKS_DIR, name), path.join(target, name));
    }
  return path.join(target, "sandbox.ts");
}
