import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSavedPlan } from "../../src/app/saved-plan.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-saved-plan-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function saved(content: string): Promise<string> {
  const file = path.join(dir, `plan-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, content);
  return file;
}

const good = {
  version: 1,
  stack: "sandbox",
  liveHash: "a".repeat(64),
  sourceHashes: { database: "b".repeat(64) },
  changes: [
    {
      kind: "invoicingPoints",
      id: "003",
      action: "create",
      destructive: false,
      before: null,
      after: { name: "x" },
      source: "database",
    },
  ],
  summary: { create: 1, update: 0, delete: 0, replace: 0 },
};

describe("reading a saved plan (apply --plan F)", () => {
  it("reads what plan --out wrote", async () => {
    expect(await readSavedPlan(await saved(JSON.stringify(good)))).toEqual(good);
  });

  it.each([
    ["a truncated file", JSON.stringify(good).slice(0, 50), /is not JSON/],
    [
      "another version",
      JSON.stringify({ ...good, version: 2 }),
      /version: .*not a plan saved by 'ebill-ops plan --out' \(version 1\)/,
    ],
    [
      "a change without its source",
      JSON.stringify({ ...good, changes: [{ ...good.changes[0], source: undefined }] }),
      /changes\[0\]\.source is missing/,
    ],
    [
      "an unknown action",
      JSON.stringify({ ...good, changes: [{ ...good.changes[0], action: "drop" }] }),
      /changes\[0\]\.action/,
    ],
  ])("refuses %s, naming the file and saying nothing changed", async (_what, content, message) => {
    const file = await saved(content);
    const error = await readSavedPlan(file).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain("Nothing was changed");
  });

  it("names a missing file and how to make one", async () => {
    await expect(readSavedPlan(path.join(dir, "missing.json"))).rejects.toThrow(
      /cannot read the plan .*missing\.json: ENOENT; make one with 'ebill-ops plan/,
    );
  });
});
