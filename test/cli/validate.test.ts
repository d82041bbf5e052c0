import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxInput } from "../config/fixtures.ts";

const run = promisify(execFile);
const BIN = path.resolve("bin/ebill-ops.mjs");

async function ebillOps(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run("node", [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ebill-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ebill-ops validate", () => {
  it("accepts every committed stack (exit 0)", async () => {
    const result = await ebillOps(["validate"], { EBILL_OPS_TODAY: "2026-11-26" });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/ok +stacks\/lingshui-prod\.ts/);
    expect(result.stdout).toMatch(/ok +stacks\/lingshui-test\.ts/);
    expect(result.stdout).toMatch(/ok +stacks\/sandbox\.ts/);
    expect(result.code).toBe(0);
  });

  it("exits 1 naming the file and the path of each broken rule", async () => {
    const input = sandboxInput();
    input.invoicingPoints!.push({ code: "001", name: "重复开票点", billCodes: [] });
    input.billStock![0]!.place = "404";
    const file = path.join(dir, "broken.json");
    await writeFile(file, JSON.stringify(input));
    const result = await ebillOps(["validate", "--stack", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: invoicingPoints[3].code: duplicate of invoicingPoints[0]`);
    expect(result.stderr).toContain(
      `${file}: billStock[0].place: invoicing point '404' is not declared in invoicingPoints`,
    );
    expect(result.stdout).toMatch(/INVALID/);
  });

  it("--json gives every issue with file, path and rule", async () => {
    const input = sandboxInput();
    input.database.port = 0;
    const file = path.join(dir, "port.json");
    await writeFile(file, JSON.stringify(input));
    const result = await ebillOps(["validate", "--stack", file, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.issues).toEqual([
      expect.objectContaining({ file, path: "database.port", rule: "schema", severity: "error" }),
    ]);
  });

  it("rehearses the year-end rules with EBILL_OPS_TODAY", async () => {
    const result = await ebillOps(["validate", "--stack", "lingshui-prod"], {
      EBILL_OPS_TODAY: "2026-12-20",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no tablespace for 2027/);
  });

  it("an unknown stack name lists the known ones", async () => {
    const result = await ebillOps(["validate", "--stack", "lingshui"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no stack named 'lingshui'.*known: lingshui-prod, lingshui-test, sandbox/);
  });
});
