// On merge, the fresh plan on main is applied only if it is the reviewed plan, and a production
// stack only behind an environment with required reviewers.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkEnvironment } from "../../src/gitops/environment-guard.ts";
import { compareWithReviewed } from "../../src/plan/compare.ts";
import type { Plan } from "../../src/plan/types.ts";

const FIXTURES = path.join(import.meta.dirname, "../gitops/fixtures");
const reviewedPlan = async () =>
  JSON.parse(await readFile(path.join(FIXTURES, "plan-sandbox-small.json"), "utf8")) as Plan;

describe("the plan on main against the reviewed plan", () => {
  it("accepts the same changes even when the live hash moved for something unrelated", async () => {
    const reviewed = await reviewedPlan();
    const current = { ...structuredClone(reviewed), liveHash: "f".repeat(64) };
    current.changes.reverse();
    expect(compareWithReviewed(reviewed, current)).toEqual({ same: true, differences: [], liveMoved: true });
  });

  it("refuses when a reviewed change now starts from another live value", async () => {
    const reviewed = await reviewedPlan();
    const current = structuredClone(reviewed);
    current.changes[1]!.before = { code: "05", name: "微信（手工改）", kind: "wechat" };
    const result = compareWithReviewed(reviewed, current);
    expect(result.same).toBe(false);
    expect(result.differences).toEqual(["differs from the reviewed plan: update paymentChannels 05"]);
  });

  it("refuses a change nobody reviewed and names a reviewed change that disappeared", async () => {
    const reviewed = await reviewedPlan();
    const current = structuredClone(reviewed);
    current.changes.splice(2, 1);
    current.changes.push({
      kind: "operators",
      id: "sf009",
      action: "create",
      destructive: false,
      before: null,
      after: { account: "sf009" },
    });
    expect(compareWithReviewed(reviewed, current).differences).toEqual([
      "not reviewed: create operators sf009",
      "reviewed but no longer planned: delete codeMappings his/channel/11",
    ]);
  });
});

describe("environment guard", () => {
  const protectedEnv = {
    name: "lingshui-prod",
    protection_rules: [
      { type: "required_reviewers", reviewers: [{ type: "Team" }], prevent_self_review: true },
    ],
    deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
  };

  it("lets a production stack through a protected environment", () => {
    expect(checkEnvironment({ stack: "lingshui-prod", kind: "production" }, protectedEnv)).toEqual([]);
  });

  it("refuses a production stack whose environment has no reviewers or takes any branch", () => {
    const open = { name: "lingshui-prod", protection_rules: [], deployment_branch_policy: null };
    const problems = checkEnvironment({ stack: "lingshui-prod", kind: "production" }, open);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/no required reviewers/);
    expect(problems[1]).toMatch(/any branch/);
  });

  it("treats a stack it could not read as production", () => {
    expect(checkEnvironment({ stack: "x", kind: "unknown" }, { name: "x" })).toHaveLength(2);
  });

  it("needs no approval for a test stack", () => {
    expect(checkEnvironment({ stack: "lingshui-test", kind: "test" }, { name: "lingshui-test" })).toEqual([]);
  });
});
