/**
 * The incident commands as an engineer runs them on the sandbox: `sandbox up` starts the simulated
 * service, `apply` gives it the 接口对照, `sandbox traffic` plays a day with a fault, `diagnose`
 * names it, `retry` repairs what it left, `reconcile` balances the day, and `probe` with the wrong
 * app key names the "sign" layer. Everything on 127.0.0.1, in a temporary sandbox.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ebillOps } from "../harness/cli.ts";
import { FIXTURE_STACK, FIXTURE_TODAY } from "../harness/fixture-stacks.ts";
import { freePort } from "../harness/postgres.ts";

let dir: string;
let env: NodeJS.ProcessEnv;
const cli = (...args: string[]) => cliWith({}, ...args);
const cliWith = (extra: Record<string, string>, ...args: string[]) =>
  ebillOps(args, { cwd: process.cwd(), env: { ...env, ...extra }, timeoutMs: 180_000 });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ebill-incidents-cli-"));
  await chmod(dir, 0o755);
  env = {
    ...process.env,
    EBILL_SANDBOX_DIR: path.join(dir, "sandbox"),
    EBILL_SANDBOX_PG_PORT: String(await freePort()),
    EBILL_DB_PASSWORD: "incidents-cli-password",
    FISCAL_APP_KEY: "0a1b2c3d4e5f60718293a4b5c6",
    EBILL_SANDBOX_STACK: FIXTURE_STACK,
    EBILL_OPS_TODAY: FIXTURE_TODAY,
  };
});
afterAll(async () => {
  await cli("sandbox", "down");
  await rm(dir, { recursive: true, force: true });
});

describe("incident commands on the sandbox", () => {
  it("sandbox up starts the service; apply maps the codes; probe verifies it with a signed call", async () => {
    const up = await cli("sandbox", "up");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      /e-bill service simulator on http:\/\/127\.0\.0\.1:\d+\/medical-web\/api\/medical/,
    );
    const apply = await cli("apply", "--stack", FIXTURE_STACK, "--yes");
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    const probe = await cli("probe", "--stack", FIXTURE_STACK, "--json");
    const results = JSON.parse(probe.stdout) as {
      name: string;
      verdict: string;
      layer: string;
      result?: string;
    }[];
    expect(results[0]).toMatchObject({
      name: "e-bill service",
      verdict: "verified",
      layer: "business",
      result: "E0404",
    });
    // The other interfaces live on the sandbox hosts, which this test does not make: not probed, and so exit 2.
    expect(results.slice(1).map((r) => r.verdict)).toEqual(results.slice(1).map(() => "not-probed"));
    expect(probe.code).toBe(2);
  });

  it("probe with the wrong app key: the service refuses, and the failing layer is 'sign'", async () => {
    const probe = await cliWith(
      { FISCAL_APP_KEY: "ffffffffffffffffffffffffff" },
      "probe",
      "--stack",
      FIXTURE_STACK,
      "--json",
    );
    const results = JSON.parse(probe.stdout) as { name: string; verdict: string; layer: string }[];
    expect(results[0]).toMatchObject({ name: "e-bill service", verdict: "not-verified", layer: "sign" });
    expect(probe.code).toBe(2);
  });

  it("traffic with push-500, diagnose push names it, retry pushes, a second retry does nothing, reconcile balances", async () => {
    const traffic = await cli("sandbox", "traffic", "--bills", "30", "--faults", "push-500", "--json");
    expect(traffic.code, traffic.stderr).toBe(0);
    const summary = JSON.parse(traffic.stdout) as { issued: number; refunds: number };
    expect(summary.issued).toBe(30);
    const bills = summary.issued + summary.refunds;

    const diagnosis = await cli("diagnose", "push", "--stack", FIXTURE_STACK, "--since", "1h");
    expect(diagnosis.code).toBe(2);
    expect(diagnosis.stdout).toMatch(
      new RegExp(
        `原因 CAUSE: 推送 push endpoint — 票据推送失败 \\[E5001\\]\\n  证据 evidence: ${bills} 张票据 bills`,
      ),
    );
    expect(diagnosis.stdout).toMatch(/retry push --stack/);

    const retry = await cli("retry", "push", "--stack", FIXTURE_STACK, "--since", "1h");
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`${bills} of ${bills} bills done, 0 left`);
    const again = await cli("retry", "push", "--stack", FIXTURE_STACK, "--since", "1h");
    expect(again.stdout).toMatch(/^nothing to retry/);
    // Each run is audited with the other day-2 tasks, its outcome beside it.
    const audited = JSON.parse(
      (await cli("history", "--stack", FIXTURE_STACK, "--tasks", "--json")).stdout,
    ) as { task: string; detail: { outcome?: { done?: number } } }[];
    expect(audited.filter((t) => t.task === "retry.push").map((t) => t.detail.outcome?.done)).toEqual([
      0,
      bills,
    ]);
    expect((await cli("diagnose", "push", "--stack", FIXTURE_STACK, "--since", "1h")).code).toBe(0);

    const reconcile = await cli("reconcile", "--stack", FIXTURE_STACK, "--date", "2026-06-15");
    expect(reconcile.stdout).toContain("平 balanced: no differences");
    expect(reconcile.code).toBe(0);
  });

  it("sandbox fault: set, list, clear; a fault set by hand stays on across traffic runs until cleared", async () => {
    expect((await cli("sandbox", "fault", "set", "fiscal-down")).stdout).toContain("on: fiscal-down");
    expect((await cli("sandbox", "fault", "list")).stdout.trim()).toBe("fiscal-down");
    const traffic = await cli("sandbox", "traffic", "--bills", "5", "--json");
    const summary = JSON.parse(traffic.stdout) as { issued: number; refunds: number };
    expect((await cli("sandbox", "fault", "list")).stdout.trim()).toBe("fiscal-down");
    const diagnosis = await cli(
      "diagnose",
      "archiving",
      "--stack",
      FIXTURE_STACK,
      "--since",
      "10m",
      "--json",
    );
    expect(diagnosis.code).toBe(2);
    const causes = (JSON.parse(diagnosis.stdout) as { causes: { code: string; count: number }[] }).causes;
    expect(causes[0]).toMatchObject({ code: "E4001", count: summary.issued + summary.refunds });
    // While the fault is on, retry makes no progress and says so (exit 2).
    const stuck = await cli("retry", "archive", "--stack", FIXTURE_STACK, "--since", "10m");
    expect(stuck.code).toBe(2);
    expect(stuck.stdout).toMatch(/0 of \d+ bills done/);
    expect((await cli("sandbox", "fault", "clear")).stdout).toContain("off: fiscal-down");
    expect((await cli("retry", "archive", "--stack", FIXTURE_STACK, "--since", "10m")).code).toBe(0);
    expect((await cli("sandbox", "fault", "set", "no-such-fault")).stderr).toMatch(
      /unknown fault 'no-such-fault'/,
    );
  });
});
