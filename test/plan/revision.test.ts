/**
 * The revision a plan and the audit name (src/app/git.ts): HEAD, and whether the working tree
 * differs from it, with a hash that is the same for the same uncommitted edit.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRevision } from "../../src/app/git.ts";
import { gitIn } from "./helpers.ts";

let repo: string;
let stack: string;
const git = (...args: string[]) => gitIn(repo, ...args);

beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), "ebill-revision-"));
  await mkdir(path.join(repo, "stacks"));
  await mkdir(path.join(repo, "elsewhere"));
  stack = path.join(repo, "stacks", "sandbox.json");
  await writeFile(stack, "{}\n");
  await writeFile(path.join(repo, "shared.ts"), "export const a = 1;\n");
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-qm", "the stacks");
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe("gitRevision", () => {
  it("a clean checkout: its commit, not dirty", async () => {
    expect(await gitRevision(stack)).toEqual({ commit: git("rev-parse", "HEAD").trim(), dirty: false });
  });

  it("an edited tracked file anywhere makes it dirty; the same edit gives the same hash", async () => {
    await writeFile(path.join(repo, "shared.ts"), "export const a = 2;\n");
    const first = await gitRevision(stack);
    const second = await gitRevision(stack);
    expect(first).toMatchObject({ dirty: true, diffHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(second).toEqual(first);
    await writeFile(path.join(repo, "shared.ts"), "export const a = 3;\n");
    expect((await gitRevision(stack)).diffHash).not.toBe(first.diffHash);
    git("checkout", "--", "shared.ts");
  });

  it("a new file beside the stack makes it dirty, one elsewhere does not", async () => {
    await writeFile(path.join(repo, "elsewhere", "plan.json"), "{}\n");
    expect((await gitRevision(stack)).dirty).toBe(false);
    const year = path.join(repo, "stacks", "2027.json");
    await writeFile(year, '{"year": 2027}\n');
    const withYear = await gitRevision(stack);
    expect(withYear.dirty).toBe(true);
    await writeFile(year, '{"year": 2028}\n');
    expect((await gitRevision(stack)).diffHash).not.toBe(withYear.diffHash);
    await rm(year);
  });

  it("a stack outside any repository has no commit", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "ebill-norepo-"));
    try {
      expect(await gitRevision(path.join(outside, "s.json"))).toEqual({ commit: null, dirty: false });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
