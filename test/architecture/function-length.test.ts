/**
 * No function in src/ is longer than 80 lines: a longer one is several steps that want names.
 * Lines inside a multi-line template literal (SQL text, a help text) do not count: they are data.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/base/paths.ts";

const MAX_LINES = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

type FunctionNode = ts.FunctionLikeDeclaration;

function isFunction(node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** Lines of `node`, less those inside multi-line template literals. */
function countedLines(node: ts.Node, file: ts.SourceFile): number {
  const line = (pos: number) => file.getLineAndCharacterOfPosition(pos).line;
  const literalLines = new Set<number>();
  const mark = (n: ts.Node): void => {
    if (ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n))
      for (let l = line(n.getStart(file)) + 1; l <= line(n.getEnd()); l++) literalLines.add(l);
    ts.forEachChild(n, mark);
  };
  mark(node);
  return line(node.getEnd()) - line(node.getStart(file)) + 1 - literalLines.size;
}

function nameOf(node: FunctionNode): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText();
  return "(anonymous)";
}

function longFunctions(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(path.join(REPO_ROOT, "src"))) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (isFunction(node)) {
        const lines = countedLines(node, source);
        const at = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        if (lines > MAX_LINES)
          found.push(`${path.relative(REPO_ROOT, file)}:${at} ${nameOf(node)}: ${lines} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe("function length", () => {
  it(`no function in src/ is over ${MAX_LINES} lines (SQL and other template text aside)`, () => {
    expect(longFunctions()).toEqual([]);
  });
});
