import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { listStackFiles, loadStack, resolveStackFile } from "../config/load.ts";
import { formatIssue, type ConfigIssue } from "../config/issues.ts";
import { missingSecrets, secretSources } from "../config/secrets.ts";
import type { Environment } from "../model/environment.ts";
import { now } from "../base/time.ts";
import { type YearBanner, sortBanners, yearBanner } from "../rollover/banner.ts";
import { COLOR, PLAIN, useColor } from "../output/format.ts";
import { renderYearBannerText, yearBannerAnnotation } from "../output/year-banner.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("check one stack (or every stack under stacks/) against the schema and the domain rules")
    .option(
      "--stack <stack>",
      "stack name under stacks/ or path to a .ts/.json/.yaml file; default: all stacks",
    )
    .option("--json", "print {valid, issues[]} as JSON")
    .option(
      "--out-dir <dir>",
      "write each valid stack as evaluated, plain JSON (secrets as references only), to DIR/<stack>.json: what the pull-request plan job reads instead of running the branch's code",
    )
    .option(
      "--resolve-secrets",
      "also check that every secret each stack references is set here (environment, .secrets.env, the sandbox's secrets.env); values are never printed",
    )
    .addHelpText(
      "after",
      "\nExit status: 0 valid (warnings allowed), 1 invalid. The year-end banner (from 1 December: next year\nnot declared) informs and never changes the exit status; 'rollover check' is the year-end gate.\nEBILL_OPS_TODAY=YYYY-MM-DD shows the banner of another day.",
    )
    .action(
      async (options: { stack?: string; json?: boolean; resolveSecrets?: boolean; outDir?: string }) => {
        const files = options.stack ? [await resolveStackFile(options.stack)] : await listStackFiles();
        if (files.length === 0) throw new Error("no stacks found under stacks/");
        const today = now();
        const issues: ConfigIssue[] = [];
        const results = [];
        const banners: (YearBanner | null)[] = [];
        for (const file of files) {
          const result = await loadStack(file, { today });
          const env = result.ok ? result.env : null;
          const unset = env && options.resolveSecrets ? unsetSecretIssues(env, result.file) : [];
          issues.push(...result.issues, ...unset);
          results.push({ file: result.file, valid: result.ok && unset.length === 0 });
          if (env) banners.push(yearBanner(env, today));
          if (env && options.outDir) await writeEvaluated(options.outDir, file, env);
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
      },
    );
}

/** One issue per place a secret the stack references is used, when this process cannot resolve it. */
function unsetSecretIssues(env: Environment, file: string): ConfigIssue[] {
  return missingSecrets(env).flatMap((secret) =>
    secret.paths.map((at) => ({
      file,
      path: at,
      message: `secret ${secret.name} is not set; check the spelling (${secretSources(env)})`,
      severity: "error" as const,
      rule: "secrets",
    })),
  );
}

/** The stack as plain data, named like its file, for a job that must not run the stack's code. */
async function writeEvaluated(dir: string, file: string, env: Environment): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = path.basename(file).replace(/\.[^.]+$/, "");
  await writeFile(path.join(dir, `${name}.json`), JSON.stringify(env, null, 2) + "\n");
}
