/**
 * `rollover carry-over` wired to its files: the record (rollover/close-year.ts) with the finance
 * office's report rendered in Chinese (output/carry-over.ts), formatted as the repository formats
 * its files, and printed to PDF by the headless browser. The record and the files are written in one
 * transaction; the PDF afterwards (without a browser the rest stands, and a rerun prints it).
 */
import { formatLikeRepository } from "../base/format-file.ts";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { chineseFontInstalled, findChromium, htmlToPdf, MISSING_CHINESE_FONT } from "../base/browser.ts";
import { isoDay } from "../base/time.ts";
import { withClient } from "../db/connect.ts";
import type { Environment } from "../model/environment.ts";
import { carryOverHtml, carryOverMarkdown } from "../output/carry-over.ts";
import { basicInfo, type CarryOver } from "../rollover/carry-over.ts";
import { defaultCarryOverDir, recordCarryOver, type CarryOverResult } from "../rollover/close-year.ts";
import type { LiveView } from "../rollover/live-view.ts";
import { checkYear, loadForRollover, today } from "../rollover/stack.ts";

export async function carryOver(options: {
  stack: string;
  year: number;
  out?: string;
  force?: boolean;
  /** Print report.html to report.pdf with the headless browser (default true). */
  pdf?: boolean;
}): Promise<CarryOverResult> {
  checkYear(options.year);
  const { file, env } = await loadForRollover(options.stack);
  const year = options.year;
  const day = today(env);
  if (day.year <= year)
    throw new Error(
      `carry-over of ${year} runs only after ${year} has ended: today is ${isoDay(day)} (${env.maintenance.timezone}) ` +
        `and bills of ${year} can be issued until 31 December. Run it on or after ${year + 1}-01-01 ` +
        `(EBILL_OPS_TODAY=YYYY-MM-DD rehearses another date). Nothing was recorded or written.`,
    );
  const dir = path.resolve(options.out ?? defaultCarryOverDir(file, env.name, year));
  const result = await withClient(env, (db) =>
    recordCarryOver(db, env, {
      year,
      date: isoDay(day),
      dir,
      force: options.force ?? false,
      writeFiles: (...args) => writeFiles(env, ...args),
    }),
  );
  if (options.pdf === false) return result;
  const pdfProblem = await printPdf(dir, result.files);
  return pdfProblem ? { ...result, pdfProblem } : result;
}

/**
 * The files, formatted as the repository formats them (its prettier settings), so committing
 * them keeps `format:check` green. Unchanged files are not touched.
 */
async function writeFiles(
  env: Environment,
  dir: string,
  c: CarryOver,
  live: LiveView,
  options: { onlyMissing: boolean },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ["basic-info.json", JSON.stringify(basicInfo(env, c, live), null, 2)],
    ["carry-over.json", JSON.stringify(c, null, 2)],
    ["report.md", carryOverMarkdown(c)],
    ["report.html", carryOverHtml(c)],
  ];
  const written: string[] = [];
  for (const [name, raw] of files) {
    const target = path.join(dir, name);
    const before = await readFile(target, "utf8").catch(() => null);
    if (before !== null && options.onlyMissing) {
      written.push(target);
      continue;
    }
    const text = await formatLikeRepository(target, raw);
    if (before !== text) await writeFile(target, text);
    written.push(target);
  }
  return written;
}

/**
 * report.html printed to report.pdf by the headless browser; kept when the HTML did not change
 * since the PDF was made. The reason when it cannot be made (the record and other files stand).
 */
async function printPdf(dir: string, files: string[]): Promise<string | undefined> {
  const html = files.find((f) => f.endsWith("report.html"));
  if (!html) return "no report.html";
  const pdf = path.join(dir, "report.pdf");
  const [htmlTime, pdfTime] = await Promise.all(
    [html, pdf].map((f) =>
      stat(f).then(
        (s) => s.mtimeMs,
        () => null,
      ),
    ),
  );
  if (pdfTime != null && htmlTime != null && pdfTime >= htmlTime) {
    files.push(pdf);
    return undefined;
  }
  const browser = findChromium();
  if ("missing" in browser) return browser.missing;
  if (chineseFontInstalled() === false) return MISSING_CHINESE_FONT;
  try {
    const printed = await htmlToPdf(html, pdf);
    files.push(pdf);
    return printed.errors.length > 0
      ? `report.html has errors in the browser: ${printed.errors.join("; ")}`
      : undefined;
  } catch (error) {
    return `the browser could not print report.html: ${error instanceof Error ? error.message : String(error)}`;
  }
}
