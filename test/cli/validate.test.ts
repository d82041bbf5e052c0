import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxInput } from "../config/fixtures.ts";
import { ebillOps as run } from "../harness/cli.ts";

function ebillOps(args: string[], env: Record<string, string> = {}) {
  return run(args, { cwd: process.cwd(), env: { ...process.env, NO_COLOR: "1", ...env } });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ebill-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ebill-ops validate", () => {
  it("accepts every committed stack today and at the year end (exit 0)", async () => {
    // "" = the clock as it is (libfaketime's in `npm run test:calendar`); then 22 December.
    const days = ["", "2026-12-22"];
    const results = await Promise.all(days.map((d) => ebillOps(["validate"], { EBILL_OPS_TODAY: d })));
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/ok +stacks\/lingshui-prod\.ts/);
      expect(result.stdout).toMatch(/ok +stacks\/lingshui-test\.ts/);
      expect(result.stdout).toMatch(/ok +stacks\/sandbox\.ts/);
      expect(result.code).toBe(0);
    }
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

  it("shows next year's absence as a banner from 1 December and still exits 0 (EBILL_OPS_TODAY)", async () => {
    const file = path.join(dir, "fixture-2026.json");
    await writeFile(file, JSON.stringify(sandboxInput())); // fiscal year 2026, 2027 not declared
    const [december, late] = await Promise.all([
      ebillOps(["validate", "--stack", file, "--json"], { EBILL_OPS_TODAY: "2026-12-05" }),
      ebillOps(["validate", "--stack", file], { EBILL_OPS_TODAY: "2026-12-22" }),
    ]);
    for (const r of [december, late]) expect(r.code).toBe(0);
    const report = JSON.parse(december.stdout);
    expect(report.valid).toBe(true);
    expect(report.yearEnd).toEqual([
      expect.objectContaining({ stack: "sandbox", level: "warning", year: 2027, today: "2026-12-05" }),
    ]);
    expect(late.stdout).toMatch(/URGENT: 年结 2027.*10 days before 1 January/);
    expect(late.stdout).toMatch(/missing tablespaces: no tablespace for 2027/);
    expect(late.stdout).toContain("does not fail validation");
  });

  it("an unknown stack name lists the known ones", async () => {
    const result = await ebillOps(["validate", "--stack", "lingshui"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no stack named 'lingshui'.*known: lingshui-prod, lingshui-test, sandbox/);
  });
});

describe("every secret a stack references resolves, or is named", () => {
  async function typoStack(): Promise<string> {
    const input = sandboxInput();
    input.interfaces.fiscal.appKey = { secret: "FISCAL_APPKEY" }; // only the hosts use it
    const file = path.join(dir, "typo-secret.json");
    await writeFile(file, JSON.stringify(input));
    return file;
  }
  const secrets = { EBILL_DB_PASSWORD: "pw-for-this-test", FISCAL_APP_KEY: "key-for-this-test" };

  it("validate --resolve-secrets names the mistyped secret, its path and where secrets come from", async () => {
    const file = await typoStack();
    const plain = await ebillOps(["validate", "--stack", file], secrets);
    expect(plain.code).toBe(0); // without the flag validate stays offline and secret-free
    const result = await ebillOps(["validate", "--stack", file, "--resolve-secrets"], secrets);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: interfaces.fiscal.appKey: secret FISCAL_APPKEY is not set`);
    expect(result.stderr).toMatch(/secrets come from \S*secrets\.env \(written by 'ebill-ops sandbox up'/);
    expect(result.stderr).not.toContain("pw-for-this-test");
  });

  it("plan refuses before reading anything, naming every unset secret", async () => {
    const file = await typoStack();
    const result = await ebillOps(["plan", "--stack", file], secrets);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /references a secret that is not set: FISCAL_APPKEY \(interfaces\.fiscal\.appKey\)\. Check the spelling; a sandbox's secrets come from/,
    );
  });
});

describe("a .ts stack that ends its own process is an error, not a clean result", () => {
  it("validate and drift exit 1 and say why", async () => {
    const file = path.join(dir, "exits.ts");
    await writeFile(file, `process.exit(0);\nexport default ${JSON.stringify(sandboxInput())};\n`);
    const validate = await ebillOps(["validate", "--stack", file]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(/must not call process\.exit\(\)/);
    const drift = await ebillOps(["drift", "--stack", file], { EBILL_DB_PASSWORD: "x", FISCAL_APP_KEY: "y" });
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/must not call process\.exit\(\)/);
  });
});
