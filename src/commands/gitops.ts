/**
 * `ebill-ops gitops ...`: the small steps the GitHub workflows call, so their logic lives in
 * tested TypeScript and the YAML only moves files and calls the GitHub API.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import {
  buildPlanComment,
  type CommentRecord,
  findPlanComment,
  readFixPlans,
  readPlanDir,
} from "../gitops/comment.ts";
import { decideDriftIssue, type IssueRecord, toDriftReport } from "../gitops/drift-issue.ts";
import { checkEnvironment, type GithubEnvironment } from "../gitops/environment-guard.ts";
import { compareWithReviewed } from "../plan/compare.ts";
import { destinationChanges } from "../gitops/destinations.ts";
import { loadDeclaration, loadValidStack } from "../config/load.ts";
import { selectReviewedFixes, listStacks, selectReviewed } from "../gitops/stacks.ts";
import { now } from "../base/time.ts";
import { listStackFiles, loadStack, resolveStackFile } from "../config/load.ts";
import { sortBanners, yearBanner, type YearBanner } from "../rollover/banner.ts";
import { readSavedPlan } from "../app/saved-plan.ts";

/**
 * The year-end banners of the stacks, read offline from the declarations (no live system). A stack
 * that does not load has no banner here: its plan fails and the comment says so.
 */
async function yearBanners(files: readonly string[]): Promise<YearBanner[]> {
  const at = now();
  const banners = [];
  for (const file of files) {
    const loaded = await loadStack(file, { today: at });
    if (loaded.ok) banners.push(yearBanner(loaded.env, at));
  }
  return sortBanners(banners);
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`${file}: cannot read ${what}; check the path`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: ${what} is not JSON (${(error as Error).message})`);
  }
}

async function output(text: string, out?: string): Promise<void> {
  if (out) await writeFile(out, text);
  else process.stdout.write(text);
}

export function register(program: Command, setExit: (code: number) => void): void {
  const gitops = program
    .command("gitops")
    .description(
      "steps of the GitHub workflows (plan comment, drift issues, reviewed-plan check); see docs/gitops.md",
    );
  registerPullRequestSteps(gitops);
  registerDriftSteps(gitops);
  registerMergeChecks(gitops, setExit);
}

/** The pull request's steps: which stacks to plan, the plan comment and where it is. */
function registerPullRequestSteps(gitops: Command): void {
  gitops
    .command("stacks")
    .description(
      "the stacks as a GitHub matrix: {include: [{stack, kind, environment, planEnvironment, ...}]}",
    )
    .option("--reviewed <dir>", "only stacks whose reviewed plan (<stack>.json in DIR) has changes")
    .option(
      "--reviewed-fixes <dir>",
      "only stacks with reviewed data-fix plans (<stack>.fixes/*.json in DIR), each with their names",
    )
    .action(async (options: { reviewed?: string; reviewedFixes?: string }) => {
      const entries = await listStacks();
      if (options.reviewedFixes) {
        const include = await selectReviewedFixes(entries, options.reviewedFixes);
        process.stdout.write(JSON.stringify({ include }) + "\n");
        return;
      }
      if (!options.reviewed) {
        process.stdout.write(JSON.stringify({ include: entries }) + "\n");
        return;
      }
      const { include, unknown } = selectReviewed(entries, await readPlanDir(options.reviewed));
      for (const stack of unknown)
        process.stderr.write(
          `warning: a reviewed plan for '${stack}', which is not a stack on this commit; not applied\n`,
        );
      process.stdout.write(JSON.stringify({ include }) + "\n");
    });

  gitops
    .command("comment")
    .description("the pull-request comment (markdown) from the saved plans of every stack")
    .requiredOption(
      "--plans <dir>",
      "folder with <stack>.json (plan --out), <stack>.exit and <stack>.fixes.md (fix plan --markdown) files",
    )
    .option("--expect <stacks>", "comma-separated stacks that should have a plan (missing ones are flagged)")
    .option("--commit <sha>", "commit the plans were made at")
    .option("--run-url <url>", "link to the workflow run")
    .option("--out <file>", "write the body here instead of stdout")
    .action(
      async (options: { plans: string; expect?: string; commit?: string; runUrl?: string; out?: string }) => {
        const expected = options.expect ? options.expect.split(",").filter(Boolean) : [];
        const outcomes = await readPlanDir(options.plans, expected);
        const body = buildPlanComment(outcomes, {
          commit: options.commit?.slice(0, 12),
          runUrl: options.runUrl,
          yearBanners: await yearBanners(await listStackFiles()),
          fixes: await readFixPlans(options.plans),
        });
        await output(body, options.out);
      },
    );

  gitops
    .command("find-comment")
    .description("the id of our earlier plan comment on the pull request (empty when there is none)")
    .requiredOption("--comments <file>", "JSON array of the pull request's comments")
    .action(async (options: { comments: string }) => {
      const comments = await readJson(options.comments, "the comment list");
      if (!Array.isArray(comments)) throw new Error(`${options.comments}: expected a JSON array of comments`);
      process.stdout.write(`${findPlanComment(comments as CommentRecord[]) ?? ""}\n`);
    });
}

/** The scheduled drift check's step: its issue. */
function registerDriftSteps(gitops: Command): void {
  gitops
    .command("drift-issue")
    .description("decide open/update/close of the stack's drift issue; prints the action as JSON")
    .requiredOption("--stack <stack>", "stack name")
    .requiredOption("--drift <file>", "the drift report: output of 'drift --json'")
    .requiredOption("--issues <file>", "JSON array of the open issues labelled 'drift'")
    .option("--run-url <url>", "link to the workflow run")
    .option("--commit <sha>", "commit of the declaration checked")
    .action(
      async (options: { stack: string; drift: string; issues: string; runUrl?: string; commit?: string }) => {
        const drift = toDriftReport(await readJson(options.drift, "the drift report"), options.drift);
        const issues = await readJson(options.issues, "the issue list");
        if (!Array.isArray(issues)) throw new Error(`${options.issues}: expected a JSON array of issues`);
        const stackFile = await resolveStackFile(options.stack).catch(() => null);
        const action = decideDriftIssue(options.stack, drift, issues as IssueRecord[], {
          checkedAt: now().toISOString(),
          runUrl: options.runUrl,
          commit: options.commit?.slice(0, 12),
          yearBanner: stackFile ? ((await yearBanners([stackFile]))[0] ?? null) : null,
        });
        process.stdout.write(JSON.stringify(action) + "\n");
      },
    );
}

/** The checks before an apply: the reviewed plan, where secrets go, the environment's reviewers. */
function registerMergeChecks(gitops: Command, setExit: (code: number) => void): void {
  gitops
    .command("check-reviewed")
    .description("is the plan made now on main the plan reviewed on the pull request? exit 0 yes, 1 no")
    .requiredOption("--reviewed <file>", "the pull request's plan (artifact plan-<stack>)")
    .requiredOption("--current <file>", "the plan made now (plan --out)")
    .action(async (options: { reviewed: string; current: string }) => {
      const reviewed = await readSavedPlan(options.reviewed);
      const current = await readSavedPlan(options.current);
      const result = compareWithReviewed(reviewed, current);
      if (result.same) {
        process.stdout.write(
          `the plan on main equals the reviewed plan of ${path.basename(options.reviewed)} (${current.changes.length} changes)` +
            (result.liveMoved ? "; live state was read again and nothing reviewed is affected" : "") +
            "\n",
        );
        setExit(0);
      } else {
        process.stderr.write(
          `REFUSED: the plan on main is not the reviewed plan, so nothing was applied:\n` +
            result.differences.map((d) => `  ${d}\n`).join("") +
            "Something changed since the review (another merge, or a hand change on the live systems). " +
            "Open a pull request that shows the current plan and get it reviewed.\n",
        );
        setExit(1);
      }
    });

  gitops
    .command("destinations")
    .description(
      "does the pull request's declaration send the stack's secrets anywhere the base's does not? exit 0 no, 2 yes (listed)",
    )
    .requiredOption("--base <stack>", "the stack as on the base branch (reviewed code; a name under stacks/)")
    .requiredOption("--head <file>", "the pull request's declaration, evaluated to JSON (validate --out-dir)")
    .action(async (options: { base: string; head: string }) => {
      // The base only says where the secrets go today; a date rule it fails must not stop the check.
      const base = await loadDeclaration(options.base);
      const head = await loadValidStack(options.head, { today: now() });
      const changes = destinationChanges(base.env, head.env);
      if (changes.length === 0) {
        process.stderr.write(`${head.env.name}: the secrets go where the base branch sends them\n`);
        setExit(0);
        return;
      }
      process.stdout.write(
        `This pull request changes where the secrets of stack ${head.env.name} would be sent, so it is not planned with them:\n` +
          changes.map((c) => `- ${c}\n`).join("") +
          "Review these destinations. Once merged they are the base branch's, and the next pull request's plan uses them.\n",
      );
      setExit(2);
    });

  gitops
    .command("check-environment")
    .description("refuse a production stack whose GitHub environment has no required reviewers")
    .requiredOption("--stack <stack>", "stack name")
    .requiredOption("--environment <file>", "GitHub's 'get an environment' answer as JSON")
    .action(async (options: { stack: string; environment: string }) => {
      const entry = (await listStacks()).find((e) => e.stack === options.stack);
      if (!entry) throw new Error(`no stack named '${options.stack}' under stacks/`);
      const env = (await readJson(options.environment, "the environment")) as GithubEnvironment;
      const problems = checkEnvironment(entry, env);
      for (const p of problems) process.stderr.write(`REFUSED: ${p}\n`);
      if (problems.length === 0)
        process.stdout.write(`environment '${env.name}' protects '${entry.stack}'\n`);
      setExit(problems.length === 0 ? 0 : 1);
    });
}
