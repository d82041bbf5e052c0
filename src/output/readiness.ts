/** The year-end readiness report (`rollover check`) for a terminal and for the pipeline's issue. */
import type { ReadinessReport } from "../rollover/readiness.ts";
import { inline } from "./md.ts";

export function renderReadinessText(report: ReadinessReport): string {
  const mark = { ok: "ok     ", missing: "MISSING", unknown: "UNKNOWN" } as const;
  const lines = report.items.map((i) => `${mark[i.status]} ${i.title}: ${i.detail}`);
  const missing = report.items.filter((i) => i.status === "missing").length;
  const unknown = report.items.filter((i) => i.status === "unknown").length;
  lines.push(
    "",
    report.ready
      ? `READY for ${report.year} (${report.items.length} items${unknown ? `, ${unknown} could not be measured` : ""})`
      : `NOT READY for ${report.year}: ${missing} of ${report.items.length} items missing`,
  );
  return lines.join("\n") + "\n";
}

export function renderReadinessMarkdown(report: ReadinessReport): string {
  const icon = { ok: "✅", missing: "❌", unknown: "❔" } as const;
  const missing = report.items.filter((i) => i.status === "missing");
  return [
    `## Year-end readiness for ${report.year}: ${report.ready ? "ready" : `NOT ready (${missing.length} missing)`}`,
    "",
    `Stack \`${report.stack}\`, checked ${report.today}.`,
    "",
    "| | item | detail |",
    "|---|---|---|",
    ...report.items.map((i) => `| ${icon[i.status]} | ${inline(i.title)} | ${inline(i.detail)} |`),
    "",
  ].join("\n");
}
