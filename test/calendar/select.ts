/**
 * Which test files `npm run test:calendar` runs under libfaketime (those that need neither a
 * database nor namespace hosts), and which form the `unit` project of vitest.config.ts (those that
 * also start no other program: no CLI, no browser, no evaluated .ts stack, no ansible-lint), and
 * which make namespace hosts (the longest files, started first: test/host-files-first.ts).
 * Found from the import graph (a test that reaches one of these modules, directly or through a
 * helper, needs it), so a new test file is picked up without anyone editing a list.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TEST_DIR = path.join(ROOT, "test");

/** Modules that make namespace hosts (minutes per file: Ansible over SSH). */
const MAKES_HOSTS = ["src/sandbox/netns.ts", "src/sandbox/netns-rootfs.ts"];

/** Modules that start a database server or namespace hosts. */
const NEEDS_SERVERS = ["test/harness/postgres.ts", ...MAKES_HOSTS];

/** Modules that start other programs: the CLI, Chromium, a contained .ts evaluation, any tool. */
const STARTS_PROGRAMS = [
  "test/harness/cli.ts",
  "src/base/browser.ts",
  "src/base/exec.ts",
  "src/config/evaluate-ts.ts",
  "src/config/load.ts",
  "src/app/generated.ts",
];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "fixtures" ? [] : testFiles(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']/gm),
    ...text.matchAll(/^\s*import\s*["'](\.{1,2}\/[^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s)).filter((f) => existsSync(f));
}

/** A test reaches one of `modules` directly, or through the test helpers it imports. */
function reaches(modules: readonly string[], file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  return relativeImports(file).some(
    (f) => modules.includes(path.relative(ROOT, f)) || (f.startsWith(TEST_DIR) && reaches(modules, f, seen)),
  );
}

function testFilesReachingNone(modules: readonly string[]): string[] {
  return testFiles(TEST_DIR)
    .map((f) => path.relative(ROOT, f))
    .filter((rel) => !reaches(modules, path.join(ROOT, rel)))
    .sort();
}

/** Relative paths of the test files test:calendar runs. */
export function calendarTestFiles(): string[] {
  return testFilesReachingNone(NEEDS_SERVERS);
}

/** Relative paths of the `unit` project's test files: no server, no other program started. */
export function unitTestFiles(): string[] {
  return testFilesReachingNone([...NEEDS_SERVERS, ...STARTS_PROGRAMS]);
}

/** Relative paths of the test files that make namespace hosts (test/host-files-first.ts starts them first). */
export function hostTestFiles(): string[] {
  const none = new Set(testFilesReachingNone(MAKES_HOSTS));
  return testFiles(TEST_DIR)
    .map((f) => path.relative(ROOT, f))
    .filter((rel) => !none.has(rel))
    .sort();
}
