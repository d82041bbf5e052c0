/**
 * The layers of src/ point one way (docs/architecture.md): a folder imports only from its own layer
 * or the ones below, no two folders import each other (directly or round about), and nothing in
 * src/ imports from test/. A new folder must be given its place here and in the document.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { cycles, folderOf, importsOf } from "./imports.ts";

const SRC = path.join(REPO_ROOT, "src");

/** Lowest first; folders on one line are one layer (they may import each other, never in a circle). */
export const LAYERS: readonly (readonly string[])[] = [
  ["base"],
  ["model"],
  ["config"],
  ["plan", "protocol", "inventory"],
  ["db", "hosts", "sandbox", "probe", "simulator"],
  ["checks", "rollover", "incidents", "backup", "upgrade"],
  ["output"],
  ["gitops"],
  ["app"],
  ["commands", "pulumi"],
  ["."], // src/cli.ts, the entry point
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
const imports = importsOf(SRC);
const rel = (file: string) => path.relative(REPO_ROOT, file);

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.to.startsWith(SRC + path.sep)) continue;
    const [a, b] = [folderOf(SRC, i.from), folderOf(SRC, i.to)];
    if (!graph.has(a)) graph.set(a, new Set());
    if (a !== b) graph.get(a)!.add(b);
  }
  return graph;
}

describe("the layers of src/", () => {
  it("nothing in src/ imports from test/ (or anything outside src/ but packages)", () => {
    const outside = imports
      .filter((i) => !i.to.startsWith(SRC + path.sep))
      .map((i) => `${rel(i.from)} -> ${i.spec}`);
    expect(outside).toEqual([]);
  });

  it("every folder of src/ has its layer", () => {
    const unplaced = [...folderGraph().keys()].filter((f) => !rank.has(f));
    expect(unplaced, "add the folder to LAYERS and to docs/architecture.md").toEqual([]);
  });

  it("no folder imports from a layer above its own", () => {
    const upward = imports
      .filter((i) => i.to.startsWith(SRC + path.sep))
      .filter((i) => (rank.get(folderOf(SRC, i.to)) ?? -1) > (rank.get(folderOf(SRC, i.from)) ?? Infinity))
      .map((i) => `${rel(i.from)} -> ${i.spec}`);
    expect(upward).toEqual([]);
  });

  it("no two folders import each other, directly or round about", () => {
    expect(cycles(folderGraph())).toEqual([]);
  });
});

describe("the cycle finder", () => {
  it("finds a cycle through three folders and a folder importing itself, not a chain", () => {
    const graph = new Map([
      ["plan", new Set(["db"])],
      ["db", new Set(["output"])],
      ["output", new Set(["plan"])],
      ["model", new Set<string>()],
      ["config", new Set(["model"])],
      ["self", new Set(["self"])],
    ]);
    expect(cycles(graph)).toEqual([["db", "output", "plan"], ["self"]]);
  });
});
