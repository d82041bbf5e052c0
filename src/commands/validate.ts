import type { Command } from "commander";
import { listStackFiles, loadStack, resolveStackFile } from "../config/load.ts";
import { formatIssue, type ConfigIssue } from "../config/issues.ts";
import { now } from "../time.ts";
import {
  type YearBanner,
  renderYearBannerText,
  sortBanners,
  yearBanner,
  yearBannerAnnotation,
} from "../rollover/banner.ts";
import { COLOR, PLAIN, useColor } from "../output/format.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("check one stack (or every stack under stacks/) against the schema and the domain rules")
    .option(
      "--stack <stack>",
      "stack name under stacks/ or path to a .ts/.json/.yaml file; default: all stacks",
    )
    .option("--json", "print {valid, issues[]} as JSON")
    .addHelpText(
      "after",
      "\nExit status: 0 valid (warnings allowed), 1 invalid. The year-end banner (from 1 December: next year\nnot declared) informs and never changes the exit status; 'rollover check' is the year-end gate.\nEBILL_OPS_TODAY=YYYY-MM-DD shows the banner of another day.",
    )
    .action(async (options: { stack?: string; json?: boolean }) => {
      const files = options.stack ? [await resolveStackFile(options.stack)] : await listStackFiles();
      if (files.length === 0) throw new Error("no stacks found under stacks/");
      const today = now();
      const issues: ConfigIssue[] = [];
      const results = [];
      const banners: (YearBanner | null)[] = [];
      for (const file of files) {
        const result = await loadStack(file, { today });
        issues.push(...result.issues);
        results.push({ file: result.file, valid: result.ok });
        if (result.ok) banners.push(yearBanner(result.env, today));
      }
      const yearEnd = sortBanners(banners);
      const valid = results.every((r) => r.valid);
      if (options.json) {
        process.stdout.write(JSON.stringify({ valid, stacks: results, issues, yearEnd }, null, 2) + "\n");
      } else {
        for (const issue of issues)
          (issue.severity === "error" ? process.stderr : process.stdout).write(formatIssue(issue) + "\n");
        for (const r of results) process.stdout.write(`${r.valid ? "ok     " : "INVALID"} ${r.file}\n`);
        const paint = useColor() ? COLOR : PLAIN;
        for (const b of yearEnd) process.stdout.write("\n" + renderYearBannerText(b, paint));
        if (process.env.GITHUB_ACTIONS === "true")
          for (const b of yearEnd) process.stdout.write(yearBannerAnnotation(b));
      }
      setExit(valid ? 0 : 1);
    });
}
