/**
 * End to end, the way a change reaches the hospital and is undone, in a temporary git repository
 * against a real PostgreSQL holding the sandbox hospital: the stack is a .ts file that imports a
 * shared year file, like the real ones. change -> plan (exit 2) -> apply the saved plan -> drift
 * (exit 0) -> git revert -> plan shows the inverse -> apply -> the managed tables are as before.
 * Then the same round trip with `ebill-ops rollback --to <commit>`.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaOf, T } from "../../src/db/reference-schema.ts";
import type { Change, Plan } from "../../src/plan/types.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { copyFixtureStacks } from "../harness/fixture-stacks.ts";
import { cli, dumpManaged, gitIn, REPO } from "../plan/helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let repo: string;
const STACK = "stacks/sandbox.ts";

const git = (...args: string[]) => gitIn(repo, ...args);

/** The CLI in the temporary repository, as CI runs it there. */
function run(...args: string[]) {
  // The database is what this test is about: no namespace test hosts, even if some run here.
  return cli(args, { ...db.server.env, EBILL_OPS_HOSTS_STATE: path.join(repo, "no-test-hosts.json") }, repo);
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const full = path.join(repo, file);
  const text = await readFile(full, "utf8");
  if (!text.includes(from))
    throw new Error(`${file} no longer contains ${JSON.stringify(from)}; update the test`);
  await writeFile(full, text.replace(from, to));
}

/** The change under review: touches the stack file and the shared year file it imports. */
async function changeB(): Promise<void> {
  await edit(
    STACK,
    `{ code: "00000", name: "自助机", billCodes: [] },`,
    `{ code: "00000", name: "自助机", billCodes: [] },\n        { code: "003", name: "急诊收费处", billCodes: [] },`,
  );
  await edit(
    STACK,
    `{ code: "05", name: "微信", kind: "wechat" }`,
    `{ code: "05", name: "微信支付", kind: "wechat" }`,
  );
  // Insurance payments stop going through the HIS: the channel is disabled and its mapping removed.
  await edit(STACK, `{ system: "his", kind: "channel", local: "11", remote: "YBK" },\n`, "");
  await edit(
    STACK,
    `{ code: "11", name: "医保", kind: "medical-insurance" }`,
    `{ code: "11", name: "医保", kind: "medical-insurance", enabled: false }`,
  );
  await edit(
    STACK,
    `{ system: "fiscal", kind: "place", local: "00000", remote: "00000" },`,
    `{ system: "fiscal", kind: "place", local: "00000", remote: "00000" },\n` +
      `        { system: "his", kind: "place", local: "003", remote: "JZ01" },\n` +
      `        { system: "fiscal", kind: "place", local: "003", remote: "003" },`,
  );
  await edit(
    "stacks/sandbox/year-2026.ts",
    `place: "00000" },`,
    `place: "00000" },\n    { billCode: "46060126", batch: "2026-01", first: "0000060001", last: "0000070000", place: "003" },`,
  );
  await edit(
    "stacks/sandbox/year-2026.ts",
    `"00000": ["46060126"],`,
    `"00000": ["46060126"],\n    "003": ["46060126"],`,
  );
}

const key = (c: Change) => `${c.kind} ${c.id}`;
const INVERSE = { create: "delete", delete: "create", update: "update", replace: "replace" } as const;

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  repo = await mkdtemp(path.join(os.tmpdir(), "ebill-gitops-e2e-"));
  // The hospital repository in miniature: the stacks (the tests' own sandbox-shaped fixture, 2026),
  // the model helpers they import, node_modules.
  await copyFixtureStacks(repo, ["sandbox"]);
  await mkdir(path.join(repo, "src"), { recursive: true });
  await cp(path.join(REPO, "src/model"), path.join(repo, "src/model"), { recursive: true });
  await cp(path.join(REPO, "package.json"), path.join(repo, "package.json"));
  await symlink(path.join(REPO, "node_modules"), path.join(repo, "node_modules"), "dir");
  await writeFile(path.join(repo, ".gitignore"), "node_modules\n*.json.plan\nplans/\n");
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-qm", "A: the sandbox hospital as declared");
}, 180_000);

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (repo) await rm(repo, { recursive: true, force: true });
});

describe("a change through the pipeline and back", () => {
  let commitA: string;
  let commitB: string;
  let stateA: Record<string, string[]>;
  let planB: Plan;

  it("starts converged on commit A", async () => {
    commitA = git("rev-parse", "HEAD");
    const first = await run("apply", "--stack", STACK, "--yes", "--allow-destroy");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const plan = await run("plan", "--stack", STACK);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    stateA = await dumpManaged(client, db.env);
  });

  it("change -> plan exits 2 with the change, and changes nothing", async () => {
    await changeB();
    git(
      "commit",
      "-qam",
      "B: emergency desk 003 with its stock, WeChat renamed, insurance channel off the HIS",
    );
    commitB = git("rev-parse", "HEAD");
    const plan = await run("plan", "--stack", STACK, "--markdown", "--out", "b.json.plan");
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    planB = JSON.parse(await readFile(path.join(repo, "b.json.plan"), "utf8")) as Plan;
    expect(planB.changes.map(key)).toEqual(
      expect.arrayContaining([
        "invoicingPoints 003",
        "paymentChannels 05",
        expect.stringMatching(/^codeMappings .*11/),
        expect.stringMatching(/^billStock .*0000060001/),
      ]),
    );
    expect(plan.stdout).toContain("微信支付");
    expect(await dumpManaged(client, db.env)).toEqual(stateA);

    // The pull-request comment from this real plan, as the comment job builds it.
    await mkdir(path.join(repo, "plans"));
    await cp(path.join(repo, "b.json.plan"), path.join(repo, "plans/sandbox.json"));
    await writeFile(path.join(repo, "plans/sandbox.exit"), "2\n");
    const comment = await run("gitops", "comment", "--plans", "plans", "--expect", "sandbox");
    expect(comment.code, comment.stderr).toBe(0);
    expect(comment.stdout.startsWith("<!-- ebill-ops:plan-comment -->")).toBe(true);
    expect(comment.stdout).toContain("invoicingPoints 003");
  });

  it("on merge: the fresh plan on main is checked against the reviewed one; a hand change in between refuses both", async () => {
    const fresh = await run("plan", "--stack", STACK, "--out", "main.json.plan");
    expect(fresh.code).toBe(2);
    const same = await run(
      "gitops",
      "check-reviewed",
      "--reviewed",
      "b.json.plan",
      "--current",
      "main.json.plan",
    );
    expect(same.code, same.stderr).toBe(0);

    // Someone renames the WeChat channel by hand while the change waits for approval.
    const table = `${client.escapeIdentifier(schemaOf(db.env))}.${client.escapeIdentifier(T.paymentChannel)}`;
    await client.query(`UPDATE ${table} SET name = '微信（手工）' WHERE code = '05'`);
    try {
      const moved = await run("plan", "--stack", STACK, "--out", "moved.json.plan");
      expect(moved.code).toBe(2);
      const check = await run(
        "gitops",
        "check-reviewed",
        "--reviewed",
        "b.json.plan",
        "--current",
        "moved.json.plan",
      );
      expect(check.code).toBe(1);
      expect(check.stderr).toContain("differs from the reviewed plan: update paymentChannels 05");
      // And the reviewed plan itself no longer applies: its live state moved.
      const stale = await run("apply", "--stack", STACK, "--plan", "b.json.plan", "--yes", "--allow-destroy");
      expect(stale.code).toBe(1);
      expect(stale.stdout + stale.stderr).toMatch(/live state (has )?changed/);

      // The nightly drift check on main would now open an issue naming the hand change.
      await writeFile(path.join(repo, "issues.json"), "[]");
      const drift = await run("drift", "--stack", STACK, "--json");
      await writeFile(path.join(repo, "drift.json"), drift.stdout);
      const issue = await run(
        "gitops",
        "drift-issue",
        "--stack",
        "sandbox",
        "--drift",
        "drift.json",
        "--issues",
        "issues.json",
      );
      expect(issue.code, issue.stderr).toBe(0);
      const action = JSON.parse(issue.stdout) as { action: string; body: string };
      expect(action.action).toBe("open");
      expect(action.body).toContain("微信（手工）");
    } finally {
      await client.query(`UPDATE ${table} SET name = '微信' WHERE code = '05'`);
    }
  });

  it("apply of the saved (reviewed) plan, then drift finds nothing", async () => {
    const apply = await run("apply", "--stack", STACK, "--plan", "b.json.plan", "--yes", "--allow-destroy");
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const drift = await run("drift", "--stack", STACK);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(await dumpManaged(client, db.env)).not.toEqual(stateA);
  });

  it("git revert -> plan shows exactly the inverse of the change", async () => {
    git("revert", "--no-edit", commitB);
    const plan = await run("plan", "--stack", STACK, "--json");
    expect(plan.code, plan.stderr).toBe(2);
    const back = JSON.parse(plan.stdout) as Plan;
    const expected = planB.changes.map((c) => `${INVERSE[c.action]} ${key(c)}`).sort();
    expect(back.changes.map((c) => `${c.action} ${key(c)}`).sort()).toEqual(expected);
    for (const c of back.changes.filter((x) => x.action === "update")) {
      const forward = planB.changes.find((f) => key(f) === key(c))!;
      expect({ before: c.before, after: c.after }).toEqual({ before: forward.after, after: forward.before });
    }
  });

  it("apply -> the managed tables are exactly as after A, and nothing is left to do", async () => {
    const apply = await run("apply", "--stack", STACK, "--yes", "--allow-destroy");
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await dumpManaged(client, db.env)).toEqual(stateA);
    expect((await run("drift", "--stack", STACK)).code).toBe(0);
  });

  it("rollback --to B shows the way there first and changes nothing without --yes", async () => {
    const shown = await run("rollback", "--stack", STACK, "--to", commitB);
    expect(shown.code, shown.stdout + shown.stderr).toBe(2);
    expect(shown.stdout).toContain(`Rollback of stack sandbox to ${commitB.slice(0, 12)}`);
    expect(shown.stdout).toContain("invoicingPoints 003");
    expect(shown.stdout).toContain("Nothing was changed");
    expect(await dumpManaged(client, db.env)).toEqual(stateA);
  });

  it("rollback --to B --yes converges to B's declaration (shared year file included); drift then reports stacks/", async () => {
    const done = await run("rollback", "--stack", STACK, "--to", commitB, "--yes", "--allow-destroy");
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const atB = await run("plan", "--stack", STACK, "--json");
    // stacks/ (HEAD, the revert) still declares A: the difference is B's change, reported as drift.
    expect(atB.code).toBe(2);
    const diff = (JSON.parse(atB.stdout) as Plan).changes.map((c) => `${c.action} ${key(c)}`).sort();
    expect(diff).toEqual(planB.changes.map((c) => `${INVERSE[c.action]} ${key(c)}`).sort());
    expect((await run("drift", "--stack", STACK)).code).toBe(2);
  });

  it("rollback --to A --yes returns to the state after A; the working tree is untouched", async () => {
    const status = git("status", "--porcelain");
    const done = await run("rollback", "--stack", STACK, "--to", commitA, "--yes", "--allow-destroy");
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(await dumpManaged(client, db.env)).toEqual(stateA);
    expect(git("status", "--porcelain")).toBe(status);
    const again = await run("rollback", "--stack", STACK, "--to", commitA);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to do");
  });

  it("rollback names a commit that does not exist and a stack that did not exist then", async () => {
    const bad = await run("rollback", "--stack", STACK, "--to", "no-such-commit");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'no-such-commit' is not a commit/);
    const missing = await run("rollback", "--stack", "stacks/lingshui-prod.ts", "--to", commitA);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/did not exist at commit/);
  });
});
