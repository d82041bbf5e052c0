/**
 * Writing an inspection's files: `inspections/<stack>/<YYYY>Q<n>/` with report.md, report.html and
 * findings.json, formatted as the repository formats them (its prettier settings), so committing
 * them keeps `format:check` green. A rerun of the same quarter replaces them; a file whose content
 * did not change is not touched.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatLikeRepository } from "../../base/format-file.ts";
import { inspectionHtml, inspectionMarkdown } from "./report.ts";
import { type Inspection, type PastInspection } from "./inspection.ts";

export const INSPECTIONS_DIR = "inspections";

/** The folder of a stack's inspections: beside stacks/ when the stack lives there, else here. */
export function inspectionsRoot(stackFile: string): string {
  return path.basename(path.dirname(stackFile)) === "stacks"
    ? path.join(path.dirname(path.dirname(stackFile)), INSPECTIONS_DIR)
    : path.join(process.cwd(), INSPECTIONS_DIR);
}

export async function writeInspection(
  dir: string,
  inspection: Inspection,
  history: readonly PastInspection[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const previous = history.filter((h) => h.quarter < inspection.quarter.id).at(-1);
  const files: [string, string][] = [
    ["report.md", inspectionMarkdown(inspection, previous)],
    ["report.html", inspectionHtml(inspection, history)],
    ["findings.json", JSON.stringify(inspection, null, 2)],
  ];
  const written: string[] = [];
  for (const [name, raw] of files) {
    const target = path.join(dir, name);
    const text = await formatLikeRepository(target, raw);
    const before = await readFile(target, "utf8").catch(() => null);
    if (before !== text) await writeFile(target, text);
    written.push(target);
  }
  return written;
}
