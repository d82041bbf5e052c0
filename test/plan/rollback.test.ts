/**
 * Rollback is `git revert` plus the same apply: in a temporary git repository holding the stack,
 * commit A and apply; commit B (adds, changes and removes things) and apply; revert B and apply:
 * every managed table is exactly as after A.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { cli, dumpManaged, gitIn, writeStack } from "./helpers.ts";

let db: SandboxDatabase;
let client: pg.Client;
let repo: string;

beforeAll(async () => {
  db = await startSandboxDatabase();
  client = await db.client();
  repo = await mkdtemp(path.join(os.tmpdir(), "ebill-rollback-"));
  git("init", "-q", "-b", "main");
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
  if (repo) await rm(repo, { recursive: true, force: true });
});

const git = (...args: string[]) => gitIn(repo, ...args);

async function apply(stack: string): Promise<void> {
  const r = await cli(["apply", "--stack", stack, "--yes", "--allow-destroy"], db.server.env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const plan = await cli(["plan", "--stack", stack], db.server.env);
  expect(plan.code, plan.stdout).toBe(0);
}

it("git revert, then apply, returns the managed tables to their state after the reverted-from commit", async () => {
  const stack = path.join(repo, "sandbox.json");
  await writeStack(stack, db.env);
  git("add", "sandbox.json");
  git("commit", "-qm", "A: the sandbox hospital");
  const commitA = git("rev-parse", "HEAD");
  await apply(stack);
  const afterA = await dumpManaged(client, db.env);

  await writeStack(stack, db.env, (e) => {
    // adds: an invoicing point with its mappings, a channel, a role and an operator
    e.invoicingPoints!.push({ code: "003", name: "急诊收费处", enabled: true, billCodes: ["46060126"] });
    e.codeMappings!.push(
      { system: "his", kind: "place", local: "003", remote: "JZ01" },
      { system: "fiscal", kind: "place", local: "003", remote: "003" },
      { system: "his", kind: "channel", local: "12", remote: "YHK" },
      { system: "fiscal", kind: "channel", local: "12", remote: "12" },
    );
    e.paymentChannels!.push({ code: "12", name: "银行卡", kind: "bank-card", enabled: true });
    e.roles!.push({ code: "auditor", name: "稽核员", permissions: ["bill.query"] });
    e.operators!.push({
      account: "jh001",
      name: "稽核员一",
      roles: ["auditor"],
      places: ["003"],
      enabled: true,
    });
    // changes
    e.invoicingPoints!.find((p) => p.code === "001")!.name = "门诊一楼收费处";
    e.printTemplates![0]!.version = "2026.2";
    e.roles!.find((r) => r.code === "cashier")!.permissions.push("bill.void");
    // removes: an operator
    e.operators = e.operators!.filter((o) => o.account !== "sf001");
  });
  git("commit", "-qam", "B: add, change and remove");
  await apply(stack);
  const afterB = await dumpManaged(client, db.env);
  expect(afterB).not.toEqual(afterA);

  git("revert", "--no-edit", "HEAD");
  await apply(stack);
  expect(await dumpManaged(client, db.env)).toEqual(afterA);

  // Each apply recorded the commit it came from.
  const history = JSON.parse((await cli(["history", "--stack", stack, "--json"], db.server.env)).stdout) as {
    commit: string;
    result: string;
  }[];
  expect(history.map((h) => h.result)).toEqual(["ok", "ok", "ok"]);
  expect(history[2]!.commit).toBe(commitA);
  expect(history[0]!.commit).toBe(git("rev-parse", "HEAD"));
});
