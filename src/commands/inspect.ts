/**
 * `ebill-ops inspect --stack S [--quarter 2026Q4]`: the quarterly inspection (巡检). See
 * docs/inspection.md.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { inspect } from "../checks/inspect.ts";
import { STATUS_NAMES } from "../checks/report/report.ts";
import { risksOf } from "../checks/report/inspection.ts";

const rel = (file: string) => {
  const r = path.relative(process.cwd(), file);
  return r.startsWith("..") ? file : r;
};

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("inspect")
    .description(
      "the quarterly inspection (巡检): every health check of hosts, database, application, billing and interfaces; writes inspections/<stack>/<YYYY>Q<n>/ (report.md, report.html with charts, findings.json)",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .option(
      "--quarter <quarter>",
      "the quarter reported, e.g. 2026Q4 (default: the quarter yesterday belonged to)",
    )
    .option("--out <dir>", "folder holding <stack>/<quarter>/ (default inspections/ beside stacks/)")
    .option("--json", "print findings.json to stdout")
    .option("--risks-markdown <file>", "also write the 高 risks as markdown to this file (empty when none)")
    .addHelpText(
      "after",
      "\nExit status: 0 no risk of 中 or above, 2 risks (a warning or a failure), 1 error.\n" +
        "Risks: 高 a check fails, 中 it warns, 低 it could not be measured. EBILL_OPS_TODAY=YYYY-MM-DD rehearses another date.",
    )
    .action(
      async (options: {
        stack: string;
        quarter?: string;
        out?: string;
        json?: boolean;
        risksMarkdown?: string;
      }) => {
        const result = await inspect({ stack: options.stack, quarter: options.quarter, out: options.out });
        if (options.risksMarkdown) await writeFile(options.risksMarkdown, result.highRisks);
        const { inspection } = result;
        if (options.json) process.stdout.write(JSON.stringify(inspection, null, 2) + "\n");
        else {
          const s = inspection.summary;
          for (const f of risksOf(inspection.findings))
            process.stdout.write(
              `${f.risk} ${STATUS_NAMES[f.status].padEnd(4)} ${f.id} ${f.target}: ${f.evidence}${f.advice ? ` -> ${f.advice}` : ""}\n`,
            );
          process.stdout.write(
            `\n${inspection.quarter.id}: ${s.results} results of ${s.checks} checks; ok ${s.status.ok}, warn ${s.status.warn}, fail ${s.status.fail}, unknown ${s.status.unknown}; risks 高 ${s.risks.高} 中 ${s.risks.中} 低 ${s.risks.低}\n`,
          );
        }
        for (const f of result.files) process.stderr.write(`wrote ${rel(f)}\n`);
        setExit(result.exitCode);
      },
    );
}
