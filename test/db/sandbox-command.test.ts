/**
 * `ebill-ops sandbox up|status|down` as a user runs it: a real detached server that outlives the
 * command, idempotent `up`, and plan on `--stack sandbox` following EBILL_SANDBOX_PG_PORT.
 * The sandbox goes to a temp dir (EBILL_SANDBOX_DIR) on a free port, never the developer's .sandbox/.
 */
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { effectivePort, SANDBOX_DEFAULT_PORT } from "../../src/db/connect.ts";
import { freePort } from "../harness/postgres.ts";
import { ebillOps } from "../harness/cli.ts";
import { CALENDAR_FIXTURE_STACK, FIXTURE_STACK } from "../harness/fixture-stacks.ts";

let dir: string;
let env: NodeJS.ProcessEnv;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWith({}, ...args);
}

async function cliWith(
  extra: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return ebillOps(args, { cwd: process.cwd(), env: { ...env, ...extra }, timeoutMs: 120_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-sandbox-cmd-"));
  await chmod(dir, 0o755); // as root, the server user must be able to enter it
  const port = await freePort();
  env = {
    ...process.env,
    EBILL_SANDBOX_DIR: path.join(dir, "sandbox"),
    EBILL_SANDBOX_PG_PORT: String(port),
    EBILL_DB_PASSWORD: "cmd-test-password",
    // The tests' own sandbox-shaped stack (2026), not the user's stacks/sandbox.ts.
    EBILL_SANDBOX_STACK: FIXTURE_STACK,
  };
});
afterAll(async () => {
  await cli("sandbox", "down");
  await rm(dir, { recursive: true, force: true });
});

describe("ebill-ops sandbox", () => {
  it("starts a seeded server that keeps running after the command, and says so when started again", async () => {
    const up = await cli("sandbox", "up");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/seeded 3,500 issued bills of 2026/);
    expect(up.stdout).toMatch(
      /e-bill service simulator on http:\/\/127\.0\.0\.1:\d+\/medical-web\/api\/medical/,
    );
    const secrets = await readFile(path.join(env.EBILL_SANDBOX_DIR!, "secrets.env"), "utf8");
    expect(secrets).toMatch(/^EBILL_DB_PASSWORD=\S+$/m);
    expect(secrets).toMatch(/^FISCAL_APP_KEY=[0-9a-f]{26}$/m);

    const status = await cli("sandbox", "status", "--json");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      port: Number(env.EBILL_SANDBOX_PG_PORT),
      bills: 3500,
      service: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/medical-web\/api\/medical$/),
    });

    const again = await cli("sandbox", "up");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already running on 127\.0\.0\.1:\d+/);
  });

  it("lets plan on the sandbox stack reach the server on EBILL_SANDBOX_PG_PORT", async () => {
    const plan = await cli("plan", "--stack", FIXTURE_STACK, "--json");
    expect(plan.code, plan.stderr).toBe(2);
    expect(JSON.parse(plan.stdout).changes.some((c: { source?: string }) => c.source === "database")).toBe(
      true,
    );
    // The whole stack's plan: with the namespace hosts up, Ansible's check mode takes its time.
  }, 180_000);

  it("reset gives a fresh seeded database and keeps the generated secrets", async () => {
    const secrets = path.join(env.EBILL_SANDBOX_DIR!, "secrets.env");
    const before = await readFile(secrets, "utf8");
    const reset = await cli("sandbox", "reset");
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/seeded 3,500 issued bills/);
    expect(await readFile(secrets, "utf8")).toBe(before);
  });

  it("stops on down and reports stopped with exit 3", async () => {
    const down = await cli("sandbox", "down");
    expect(down.stdout).toMatch(/stopped/);
    const status = await cli("sandbox", "status");
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/sandbox:\s+stopped/);
  });

  it("a sandbox seeded last year is named as such, and 'up --reset-if-other-year' (the demo) starts this year afresh", async () => {
    // A stack that follows the calendar, as stacks/sandbox.ts does; the clock moves over New Year.
    const calendar = { EBILL_SANDBOX_STACK: CALENDAR_FIXTURE_STACK };
    const december = await cliWith({ ...calendar, EBILL_OPS_TODAY: "2026-12-21" }, "sandbox", "reset");
    expect(december.stdout).toMatch(/seeded 3,500 issued bills of 2026/);
    const january = { ...calendar, EBILL_OPS_TODAY: "2027-01-02" };
    const noted = await cliWith(january, "sandbox", "up");
    expect(noted.code, noted.stderr).toBe(0);
    expect(noted.stdout).toMatch(/holds the hospital of 2026.*declares 2027 now.*sandbox reset/);
    const renewed = await cliWith(january, "sandbox", "up", "--reset-if-other-year");
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toMatch(/starting a fresh 2027 sandbox/);
    expect(renewed.stdout).toMatch(/seeded 3,500 issued bills of 2027/);
    const again = await cliWith(january, "sandbox", "up", "--reset-if-other-year");
    expect(again.stdout).not.toMatch(/fresh/);
    await cli("sandbox", "down");
  }, 180_000);
});

describe("the sandbox port override", () => {
  it("moves only the sandbox stack's declared default port", () => {
    const saved = process.env.EBILL_SANDBOX_PG_PORT;
    process.env.EBILL_SANDBOX_PG_PORT = "55999";
    try {
      const database = { port: SANDBOX_DEFAULT_PORT } as never;
      expect(effectivePort({ kind: "sandbox", database })).toBe(55999);
      expect(effectivePort({ kind: "sandbox", database: { port: 40001 } as never })).toBe(40001);
      expect(effectivePort({ kind: "test", database })).toBe(SANDBOX_DEFAULT_PORT);
    } finally {
      if (saved === undefined) delete process.env.EBILL_SANDBOX_PG_PORT;
      else process.env.EBILL_SANDBOX_PG_PORT = saved;
    }
  });
});
