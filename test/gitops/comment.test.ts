// The pull-request comment is built from recorded plans (test/gitops/fixtures): one comment, found
// again by its marker, under GitHub's size limit, destructive changes always at the top.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildPlanComment,
  COMMENT_MARKER,
  findPlanComment,
  readPlanDir,
  type CommentRecord,
} from "../../src/gitops/comment.ts";
import { renderPlanMarkdown } from "../../src/output/markdown.ts";
import type { Plan } from "../../src/plan/types.ts";
import { GITHUB_BODY_LIMIT } from "../../src/output/md.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const fixture = async (name: string) => JSON.parse(await readFile(path.join(FIXTURES, name), "utf8"));

let dir: string;
beforeAll(async () => {
  // What the plan jobs leave in the downloaded artifacts: <stack>.json and <stack>.exit.
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-gitops-plans-"));
  await cp(path.join(FIXTURES, "plan-sandbox-small.json"), path.join(dir, "sandbox.json"));
  await writeFile(path.join(dir, "sandbox.exit"), "2\n");
  await cp(path.join(FIXTURES, "plan-lingshui-prod-none.json"), path.join(dir, "lingshui-prod.json"));
  await writeFile(path.join(dir, "lingshui-prod.exit"), "0\n");
  await cp(path.join(FIXTURES, "plan-lingshui-test-large.json"), path.join(dir, "lingshui-test.json"));
  await writeFile(path.join(dir, "lingshui-test.exit"), "2\n");
  await writeFile(path.join(dir, "broken.exit"), "1\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("plan comment", () => {
  it("starts with the hidden marker and calls out every destructive change before the details", async () => {
    const outcomes = await readPlanDir(dir);
    const body = buildPlanComment(outcomes, { commit: "abc123", runUrl: "https://ci.example/run/7" });
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    const caution = body.indexOf("[!CAUTION]");
    const firstDetails = body.indexOf("<details");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(firstDetails);
    const top = body.slice(caution, firstDetails);
    expect(top).toContain("**42 destructive changes**");
    expect(top).toContain(
      "`sandbox`: update 开票点 `invoicingPoints` `002` 住院收费处 — used by 1,204 issued bills; disabled instead of deleted: issued bills reference it",
    );
    expect(top).toContain("`lingshui-test`: delete 表空间 `tablespaces` `ebill_2019`");
  });

  it("reports a failed plan and a stack with no plan at all instead of leaving them out", async () => {
    const outcomes = await readPlanDir(dir, ["lingshui-prod", "lingshui-test", "sandbox", "ghost"]);
    const body = buildPlanComment(outcomes);
    expect(body).toContain("`broken`: plan failed (exit 1)");
    expect(body).toContain("`ghost`: no plan was recorded");
    expect(body).toMatch(/\| `lingshui-prod` \| no changes \|/);
  });

  it("shows the small plan in full, field by field", async () => {
    const body = buildPlanComment(await readPlanDir(dir));
    expect(body).toContain("name: '微信' -> '微信支付'");
    expect(body).toContain("invoicingPoints 003");
  });

  it("stays under GitHub's 65,536 characters for a plan whose full rendering does not fit", async () => {
    const large = (await fixture("plan-lingshui-test-large.json")) as Plan;
    // The premise: rendered in full, this recorded plan is too large for one comment.
    expect(renderPlanMarkdown(large, { budget: Number.MAX_SAFE_INTEGER }).length).toBeGreaterThan(
      GITHUB_BODY_LIMIT,
    );
    const body = buildPlanComment(await readPlanDir(dir));
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
    // Every destructive change of every stack is still named.
    for (const c of large.changes.filter((x) => x.destructive)) expect(body).toContain(`\`${c.id}\``);
  });

  it("keeps the destructive list even when it alone nearly fills the comment", async () => {
    const large = (await fixture("plan-lingshui-test-large.json")) as Plan;
    const manyStacks = Array.from({ length: 12 }, (_, i) => ({
      stack: `hospital-${i}`,
      status: "planned" as const,
      plan: { ...large, stack: `hospital-${i}` },
    }));
    const body = buildPlanComment(manyStacks);
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(body).toContain("**492 destructive changes**");
    // Nothing of a stack's details crowds out a destructive line: they are listed before any detail.
    const lines = body.split("\n").filter((l) => l.startsWith("> - `hospital-"));
    expect(lines.length).toBe(492);
  });

  it("says when even the destructive list had to be cut, and where the rest is", async () => {
    const large = (await fixture("plan-lingshui-test-large.json")) as Plan;
    const outcomes = Array.from({ length: 40 }, (_, i) => ({
      stack: `hospital-${i}`,
      status: "planned" as const,
      plan: { ...large, stack: `hospital-${i}` },
    }));
    const body = buildPlanComment(outcomes);
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(body).toMatch(
      /… and \d+ more destructive changes: too many for one comment, see the plan artifacts/,
    );
  });

  it("escapes values so a stack cannot inject markdown or HTML into the comment", () => {
    const plan: Plan = {
      version: 1,
      stack: "sandbox",
      liveHash: "x",
      sourceHashes: {},
      changes: [
        {
          kind: "invoicingPoints",
          id: "00`1",
          action: "delete",
          destructive: true,
          before: { name: "<img src=x onerror=alert(1)>" },
          after: null,
          note: "<script>alert(1)</script> [click](http://evil)",
        },
      ],
      summary: { create: 0, update: 0, delete: 1, replace: 0 },
    };
    const body = buildPlanComment([{ stack: "sandbox", status: "planned", plan }]);
    const caution = body.slice(body.indexOf("[!CAUTION]"), body.indexOf("| stack |"));
    expect(caution).not.toContain("<script>");
    expect(caution).not.toContain("[click](");
    expect(caution).toContain("`00'1`");
  });
});

describe("which comment to edit", () => {
  it("edits our bot's earlier comment, not a person quoting the marker", async () => {
    const comments = (await fixture("pr-comments.json")) as CommentRecord[];
    expect(findPlanComment(comments)).toBe(503);
  });

  it("creates one when there is none", async () => {
    const comments = (await fixture("pr-comments.json")) as CommentRecord[];
    expect(findPlanComment(comments.filter((c) => c.id !== 503))).toBeNull();
  });
});

describe("stacks planned in part", () => {
  it("names the sources that were not planned, so nobody assumes the hosts were checked", async () => {
    const plan = { ...((await fixture("plan-sandbox-small.json")) as Plan) };
    plan.skipped = [{ source: "hosts", reason: "the sandbox hosts are not running" }];
    const body = buildPlanComment([{ stack: "sandbox", status: "planned", plan }]);
    expect(body.indexOf("> - `sandbox`: hosts: the sandbox hosts are not running")).toBeLessThan(
      body.indexOf("<details"),
    );
  });
});

describe("stacks to apply after a merge", () => {
  it("are those whose reviewed plan changes something, with its destructive flag", async () => {
    const { selectReviewed } = await import("../../src/gitops/stacks.ts");
    const entry = (stack: string, kind: "production" | "test" | "sandbox") => ({
      stack,
      file: `stacks/${stack}.ts`,
      kind,
      environment: stack,
      planEnvironment: `${stack}-plan`,
      secrets: [],
    });
    const entries = [
      entry("lingshui-prod", "production"),
      entry("lingshui-test", "test"),
      entry("sandbox", "sandbox"),
    ];
    const { include, unknown } = selectReviewed(entries, [
      ...(await readPlanDir(dir)),
      {
        stack: "retired",
        status: "planned",
        plan: { ...((await fixture("plan-sandbox-small.json")) as Plan), stack: "retired" },
      },
    ]);
    expect(include.map((e) => [e.stack, e.destructive])).toEqual([
      ["lingshui-test", true],
      ["sandbox", true],
    ]);
    expect(unknown).toEqual(["retired"]);
  });
});
