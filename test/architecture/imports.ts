/**
 * The import graph of the source tree, read from the files as text: every relative `import` /
 * `export ... from` and dynamic `import("...")`, resolved to the file it names.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface Import {
  from: string;
  to: string;
  /** The specifier as written, for messages. */
  spec: string;
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']|(?:^|[\s;])import\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/gm;

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|mjs|js)$/.test(name) ? [full] : [];
  });
}

/** Every relative import of the files under `dir` (absolute paths). */
export function importsOf(dir: string): Import[] {
  return sourceFiles(dir).flatMap((from) => {
    const text = readFileSync(from, "utf8")
      // Comments and template strings may mention imports (a stack written by a test): not code.
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    return [...text.matchAll(SPECIFIER)].map((m) => {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      return { from, to: path.resolve(path.dirname(from), spec), spec };
    });
  });
}

/** The folder directly under `root` a file belongs to ("." for a file at the top). */
export function folderOf(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : ".";
}

/** Strongly connected components with more than one member (or a self-loop): the cycles. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}
