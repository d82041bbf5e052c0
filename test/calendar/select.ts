/**
 * Which test files `npm run test:calendar` runs under libfaketime: those that need neither a
 * database nor namespace hosts, found from the import graph (a test that reaches the PostgreSQL
 * or namespace-host harness, directly or through a helper, needs them), so a new test file is
 * picked up without anyone editing a list.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TEST_DIR = path.join(ROOT, "test");

/** Modules that start a database server or namespace hosts. */
const NEEDS_SERVERS = ["test/harness/postgres.ts", "src/sandbox/netns.ts", "src/sandbox/netns-rootfs.ts"];

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

/** A test reaches a server module directly, or through the test helpers it imports. */
function needsServers(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  return relativeImports(file).some(
    (f) =>
      NEEDS_SERVERS.includes(path.relative(ROOT, f)) || (f.startsWith(TEST_DIR) && needsServers(f, seen)),
  );
}

/** Relative paths of the test files test:calendar runs. */
export function calendarTestFiles(): string[] {
  return testFiles(TEST_DIR)
    .map((f) => path.relative(ROOT, f))
    .filter((rel) => !needsServers(path.join(ROOT, rel)))
    .sort();
}
