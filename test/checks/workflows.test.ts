/**
 * The monitor and inspect workflows (actionlint runs over every workflow in
 * test/gitops/workflows.test.ts): scheduled only, so they run main's reviewed code; on the hospital
 * runner; least privilege per job; pinned actions; secrets only through a step's env; every secret
 * a stack references reaches the step that runs the checks; the sandbox is left to developers.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { load } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { listStacks, type StackEntry } from "../../src/gitops/stacks.ts";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": unknown;
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: string;
  strategy?: { "fail-fast"?: boolean; matrix?: unknown };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown> & { schedule?: { cron: string }[] };
  permissions?: unknown;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const HOSPITAL_RUNNER = ["self-hosted", "ebill-ops"];
const text = (name: string) => readFile(path.join(REPO_ROOT, ".github/workflows", name), "utf8");
const parse = async (name: string) => load(await text(name)) as Workflow;

let stacks: StackEntry[];
beforeAll(async () => {
  stacks = await listStacks();
});

describe.each(["monitor.yml", "inspect.yml"])("%s", (file) => {
  it("runs only on a schedule or by hand (main's reviewed code), on the hospital runner, with least privilege", async () => {
    const wf = await parse(file);
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.permissions).toEqual({});
    expect(wf.concurrency?.["cancel-in-progress"]).toBe(false);
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job["runs-on"], name).toEqual(HOSPITAL_RUNNER);
      expect(job.permissions, `${name} declares its permissions`).toBeDefined();
      for (const access of Object.values(job.permissions!))
        expect(["read", "write", "none"]).toContain(access);
      for (const step of job.steps.filter((s) => s.uses))
        expect(step.uses, `${name}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      for (const step of job.steps.filter((s) => s.run?.includes("npm ci")))
        expect(step.run, name).toContain("npm config get registry");
    }
    expect(await text(file)).not.toMatch(/\b(curl|wget)\b|setup-node|setup-python/);
  });

  it("secrets reach steps only through env and are never echoed; the checks' step gets every secret a stack references", async () => {
    const wf = await parse(file);
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps) {
        expect(step.run ?? "", `${name}: ${step.name}`).not.toMatch(/secrets\.|set -x/);
        for (const [variable, value] of Object.entries(step.env ?? {}))
          if (value.includes("secrets."))
            for (const line of (step.run ?? "").split("\n").filter((l) => l.includes(`$${variable}`)))
              expect(line, `${name}: ${step.name}`).toMatch(/umask 077.*> "\$dir\/id"|x-access-token/);
      }
    const checks = Object.values(wf.jobs).flatMap((j) =>
      j.steps.filter((s) => /ebill-ops\.mjs (monitor|inspect) /.test(s.run ?? "")),
    );
    expect(checks).toHaveLength(1);
    const needed = [...new Set(stacks.filter((s) => s.kind !== "sandbox").flatMap((s) => s.secrets))];
    expect(needed.length).toBeGreaterThan(0);
    for (const secret of needed) expect(checks[0]!.env?.[secret], secret).toBe(`\${{ secrets.${secret} }}`);
  });

  it("every hospital stack from 'gitops stacks', the sandbox left out, one stack failing does not hide the others", async () => {
    const wf = await parse(file);
    const list = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .find((s) => s.run?.includes("gitops stacks"));
    expect(list?.run).toContain('s.kind !== "sandbox"');
    const matrixJob = Object.values(wf.jobs).find((j) => j.strategy?.matrix)!;
    expect(matrixJob.strategy?.["fail-fast"]).toBe(false);
    expect(matrixJob.environment, "reads with the plan environment's secrets").toBe(
      "${{ matrix.planEnvironment }}",
    );
    expect(matrixJob.permissions).toEqual({ contents: "read" });
  });
});

describe("schedules and steps", () => {
  it("monitor: every 15 minutes, --notify, exit 1 (an error or an undelivered message) fails the run", async () => {
    const wf = await parse("monitor.yml");
    expect(wf.on.schedule).toEqual([{ cron: "*/15 * * * *" }]);
    const step = wf.jobs.monitor!.steps.find((s) => s.run?.includes("ebill-ops.mjs monitor"))!;
    expect(step.run).toContain('monitor --stack "$STACK" --notify');
    expect(step.run).toContain('test "$code" -ne 1');
  });

  it("inspect: on the first day of each quarter; the reports in one pull request, the 高 risks in one issue", async () => {
    const wf = await parse("inspect.yml");
    expect(wf.on.schedule).toEqual([{ cron: "0 1 1 1,4,7,10 *" }]);
    const run = wf.jobs.inspect!.steps.find((s) => s.run?.includes("ebill-ops.mjs inspect"))!.run!;
    expect(run).toContain('inspect --stack "$STACK" --quarter "$QUARTER" --risks-markdown "risks/$STACK.md"');
    const publish = wf.jobs.publish!;
    expect(publish.needs).toEqual(["plan", "inspect"]);
    expect(publish.permissions).toEqual({ contents: "write", "pull-requests": "write", issues: "write" });
    // The job that may write runs no ebill-ops and holds no stack secret: it only moves the reports.
    expect(JSON.stringify(publish)).not.toMatch(/ebill-ops\.mjs|DB_PASSWORD|APP_KEY|SSH_PRIVATE_KEY/);
    const script = JSON.stringify(publish.steps.map((s) => s.with?.script ?? ""));
    expect(script).toContain("pulls.create");
    expect(script).toContain("issues.create");
    expect(script).toContain("<!-- ebill-ops inspection ${quarter} -->");
  });
});
