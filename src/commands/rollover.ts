/**
 * `ebill-ops rollover prepare|check|carry-over`: the year-end (年结) jobs. See docs/year-end.md.
 */
import path from "node:path";
import type { Command } from "commander";
import { carryOver } from "../app/year-end.ts";
import { check, DEFAULT_STOCK_DAYS } from "../rollover/check.ts";
import { prepare } from "../rollover/prepare.ts";
import { formatRange } from "../rollover/ranges.ts";
import { yuan } from "../output/carry-over.ts";
import { renderReadinessMarkdown, renderReadinessText } from "../output/readiness.ts";

const rel = (file: string) => {
  const r = path.relative(process.cwd(), file);
  return r.startsWith("..") ? file : r;
};

function parseYear(value: string): number {
  if (!/^\d{4}$/.test(value)) throw new Error(`--year '${value}' is not a year such as 2027`);
  return Number(value);
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 366)
    throw new Error(`--days '${value}' is not a number of days 1-366`);
  return n;
}

interface PrepareOptions {
  stack: string;
  year: number;
  force?: boolean;
  json?: boolean;
  issuedPerDay?: string[];
  fromCarryOver?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  const rollover = program
    .command("rollover")
    .description("year-end rollover (年结): prepare next year, check readiness, carry over the closing year");
  registerPrepare(rollover, setExit);
  registerCheck(rollover, setExit);
  registerCarryOver(rollover, setExit);
}

function registerPrepare(rollover: Command, setExit: (code: number) => void): void {
  rollover
    .command("prepare")
    .description(
      "write year Y's declaration (tablespace, partitions, bill types, templates, stock sized from Y-1's issuing in the database) as a reviewable change",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption("--year <year>", "the new fiscal year, e.g. 2027", parseYear)
    .option("--force", "regenerate year Y's file from today's figures even if it exists")
    .option(
      "--issued-per-day <rates>",
      "size the stock offline from bills per day instead of the database: N (every point), POINT=N, POINT/BILLCODE=N (Y-1's code); comma-separated or repeated",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--from-carry-over <path>",
      "size the stock offline from a closed year's carry-over (carry-over/<stack>/<year>/ or its carry-over.json)",
    )
    .option("--json", "print {changed, written[], sizing[], basis} as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 written or already prepared, 1 error.\nA second run changes nothing: an existing year file is kept as reviewed (use --force to regenerate).\n" +
        "Without --issued-per-day or --from-carry-over the stock is sized from Y-1's issuing read from the\n" +
        "stack's database. With either, no connection is made and the year file says its sizes are estimates.",
    )
    .action(async (options: PrepareOptions) => {
      const result = await prepare({
        stack: options.stack,
        year: options.year,
        force: options.force,
        offline: { issuedPerDay: options.issuedPerDay, fromCarryOver: options.fromCarryOver },
      });
      printPrepared(result, options);
      setExit(0);
    });
}

function printPrepared(result: Awaited<ReturnType<typeof prepare>>, options: PrepareOptions): void {
  if (options.json) {
    process.stdout.write(
      JSON.stringify(
        {
          changed: result.changed,
          written: result.written.map(rel),
          sizing: result.sizing,
          notes: result.notes,
          basis: result.basis,
        },
        null,
        2,
      ) + "\n",
    );
    return;
  }
  if (!result.changed)
    process.stdout.write(`${options.year} is already prepared in ${rel(result.file)}; nothing changed.\n`);
  for (const f of result.written) process.stdout.write(`wrote ${rel(f)}\n`);
  if (result.basis && result.basis.kind !== "database")
    process.stdout.write(
      `stock sized OFFLINE (estimates, the database was not read): ${result.basis.kind === "issued-per-day" ? `--issued-per-day ${result.basis.rates}` : `numbers used in ${result.basis.year} from ${rel(result.basis.file)}`}\n`,
    );
  for (const s of result.sizing)
    process.stdout.write(
      `  stock ${s.place} ${s.billCode}: ${Math.round(s.issuedLastYear)} ${result.basis?.kind === "issued-per-day" ? "estimated" : "issued"} under ${s.previousCode} in ${s.days} days ` +
        `-> ${s.issueRange} to issue + ${s.exchangeRange} for exchange (旧票回收)\n`,
    );
  for (const note of result.notes) process.stdout.write(`NOTE ${note}\n`);
  if (result.changed)
    process.stdout.write(
      `Review the files (git diff), replace example bill codes with the issued ones, then open a pull request.\n`,
    );
}

function registerCheck(rollover: Command, setExit: (code: number) => void): void {
  rollover
    .command("check")
    .description(
      "year Y readiness, item by item, against the declaration and the live systems (changes nothing)",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption("--year <year>", "the coming fiscal year, e.g. 2027", parseYear)
    .option("--days <n>", `days of Y each point's stock must last (default ${DEFAULT_STOCK_DAYS})`, parseDays)
    .option("--json", "print {ready, items[]} as JSON")
    .option("--markdown", "print the report as markdown (for the pipeline's issue)")
    .addHelpText(
      "after",
      "\nExit status: 0 ready, 2 not ready (every missing item is named), 1 error.\nEBILL_OPS_TODAY=YYYY-MM-DD rehearses on another day.",
    )
    .action(
      async (options: { stack: string; year: number; days?: number; json?: boolean; markdown?: boolean }) => {
        if (options.json && options.markdown) throw new Error("choose one of --json and --markdown");
        const report = await check({ stack: options.stack, year: options.year, days: options.days });
        if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
        else if (options.markdown) process.stdout.write(renderReadinessMarkdown(report));
        else process.stdout.write(renderReadinessText(report));
        setExit(report.ready ? 0 : 2);
      },
    );
}

function registerCarryOver(rollover: Command, setExit: (code: number) => void): void {
  rollover
    .command("carry-over")
    .description(
      "close year Y once it has ended: used numbers, amounts, red-flushes and unused ranges per invoicing point and bill code (recorded in ebill_ops), a local copy of the year's basic information, and the finance office's write-off report (Chinese: markdown, HTML and PDF)",
    )
    .requiredOption("--stack <stack>", "stack name under stacks/ or path to a stack file")
    .requiredOption("--year <year>", "the closing fiscal year, e.g. 2026", parseYear)
    .option("--out <dir>", "folder for the files (default carry-over/<stack>/<year>/ beside stacks/)")
    .option(
      "--force",
      "record today's figures although the year has a recorded carry-over (the earlier one is kept, marked superseded)",
    )
    .option("--no-pdf", "do not print report.pdf (it needs /usr/bin/chromium and fonts-noto-cjk)")
    .option("--json", "print the carry-over as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 recorded (or already recorded with the same figures), 1 error or refused: before 1 January of Y+1, a year with no bills, a recorded year with other figures without --force, or report.pdf not made.\nEBILL_OPS_TODAY=YYYY-MM-DD rehearses on another day.",
    )
    .action(
      async (options: {
        stack: string;
        year: number;
        out?: string;
        force?: boolean;
        pdf: boolean;
        json?: boolean;
      }) => {
        const result = await carryOver({
          stack: options.stack,
          year: options.year,
          out: options.out,
          force: options.force,
          pdf: options.pdf,
        });
        if (options.json)
          process.stdout.write(
            JSON.stringify(
              {
                ...result.carryOver,
                outcome: result.outcome,
                files: result.files.map(rel),
                ...(result.keptDir ? { keptDir: rel(result.keptDir) } : {}),
                ...(result.pdfProblem ? { pdfProblem: result.pdfProblem } : {}),
              },
              null,
              2,
            ) + "\n",
          );
        else printCarriedOver(result, options.year);
        if (result.pdfProblem) {
          process.stderr.write(
            `report.pdf not made: ${result.pdfProblem}\nThe record and the other files are written; run the same command again once fixed (or use --no-pdf).\n`,
          );
          setExit(1);
        } else setExit(0);
      },
    );
}

function printCarriedOver(result: Awaited<ReturnType<typeof carryOver>>, year: number): void {
  for (const l of result.carryOver.lines)
    process.stdout.write(
      `${l.place} ${l.billCode}: used ${l.used} (voided ${l.voided}, red-flush ${l.redFlushed}) ${l.firstUsed ?? "-"}..${l.lastUsed ?? "-"}, ` +
        `net ${yuan(l.netFen)} yuan; unused ${l.unusedCount}: ` +
        `${l.unused.map((r) => formatRange({ first: Number(r.first), last: Number(r.last) })).join(", ") || "none"}\n`,
    );
  const said = {
    recorded: `recorded the carry-over of ${year} (${result.carryOver.date})`,
    unchanged: `the carry-over of ${year} was recorded on ${result.carryOver.date} with the same figures; the record is unchanged`,
    superseded: `recorded a new carry-over of ${year}; the one of ${result.carryOver.supersedes} is kept, marked superseded`,
  }[result.outcome];
  process.stdout.write(`${said}\n`);
  if (result.keptDir) process.stdout.write(`kept the earlier files in ${rel(result.keptDir)}\n`);
  for (const f of result.files)
    process.stdout.write(`${result.outcome === "unchanged" ? "in place" : "wrote"} ${rel(f)}\n`);
}
