/**
 * Patch rollout over three real namespace hosts with a real pending security update from a local
 * apt repository: the second host fails its health check, so the rollout stops there and the
 * third host is left exactly as it was.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/config/load.ts";
import { patchRollout, type PatchReport } from "../../src/hosts/patch.ts";
import { runSite } from "../../src/hosts/source.ts";
import { buildPackage, writeRepoIndex } from "../harness/apt-repo.ts";
import { sshRun } from "../harness/netns.ts";
import {
  SKIP_REASON,
  sandboxEnv,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "./fixture.ts";

const exec = promisify(execFile);
const PACKAGE = "ebill-demo-tools";

describe.skipIf(SKIP_REASON)("patch rollout over real SSH hosts", () => {
  let ctx: TestHostsContext;
  const version = (host: string) =>
    sshRun(ctx.state, host, `dpkg-query -W -f='\${Version}' ${PACKAGE}`).trim();

  beforeAll(async () => {
    const env = await sandboxEnv();
    // Three app servers, so each has a service whose health the rollout checks.
    env.hosts = env.hosts.map((h) => ({ ...h, roles: [...new Set([...h.roles, "app" as const])] }));
    env.maintenance.patch = {
      batchSize: 1,
      healthChecks: ["disk", "service"],
      minFreeDiskPercent: 1,
      rebootAllowed: true,
    };
    ctx = await startTestHosts(env, testSubnet(2), `p${process.pid % 100000}`);
    await runSite(ctx.env, { check: false });

    // Version 1.0 installed everywhere; 1.1 waiting in a local "-security" repository whose
    // postinst asks for a reboot, as kernel and libc updates do.
    const build = path.join(ctx.dir, "packages");
    mkdirSync(build, { recursive: true });
    const old = buildPackage(build, { name: PACKAGE, version: "1.0" });
    for (const host of ctx.state.hosts) {
      const repo = path.join(host.root, "srv/ebill-repo");
      mkdirSync(repo, { recursive: true });
      const update = buildPackage(repo, {
        name: PACKAGE,
        version: "1.1",
        postinst: "touch /var/run/reboot-required",
      });
      writeRepoIndex(repo, [update]);
      copyFileSync(old, path.join(host.root, "tmp/old.deb"));
      sshRun(
        ctx.state,
        host.name,
        "dpkg -i /tmp/old.deb >/dev/null && echo 'deb [trusted=yes] file:/srv/ebill-repo ./' > /etc/apt/sources.list.d/ebill-test.list",
      );
    }
  }, 600_000);
  afterAll(() => ctx?.cleanup());

  it("--check lists the pending security update on every host and changes nothing", async () => {
    const report = await patchRollout(ctx.env, { check: true });
    expect(report.ok).toBe(true);
    expect(report.hosts.map((h) => [h.host, h.status, h.pending])).toEqual([
      ["sbx-app", "would-patch", [PACKAGE]],
      ["sbx-db", "would-patch", [PACKAGE]],
      ["sbx-print", "would-patch", [PACKAGE]],
    ]);
    for (const host of ["sbx-app", "sbx-db", "sbx-print"]) expect(version(host)).toBe("1.0");
  }, 300_000);

  it("stops at the second host when its health check fails; the third is untouched; the report says so", async () => {
    sshRun(ctx.state, "sbx-db", "touch /opt/ebill/conf/UNHEALTHY");
    const stackFile = writeStackFile(ctx.dir, ctx.env);
    const run = await exec(
      "node",
      [path.join(REPO_ROOT, "bin/ebill-ops.mjs"), "patch", "--stack", stackFile, "--json"],
      {
        env: process.env,
        cwd: REPO_ROOT,
      },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as PatchReport;
    expect(report.ok).toBe(false);
    const [first, second, third] = report.hosts;
    expect(first).toMatchObject({
      host: "sbx-app",
      status: "patched",
      pending: [PACKAGE],
      rebootRequired: true,
      rebooted: false,
    });
    expect(first!.rebootNote).toMatch(/namespace test host/);
    expect(second).toMatchObject({ host: "sbx-db", status: "failed" });
    expect(second!.error).toMatch(/health/i);
    expect(third).toMatchObject({ host: "sbx-print", status: "not-started" });

    expect(version("sbx-app")).toBe("1.1");
    expect(version("sbx-db"), "the failing host's pre-check stopped it before updating").toBe("1.0");
    expect(version("sbx-print"), "the host after the failure is untouched").toBe("1.0");

    const text = await exec(
      "node",
      [path.join(REPO_ROOT, "bin/ebill-ops.mjs"), "patch", "--stack", stackFile],
      {
        env: process.env,
        cwd: REPO_ROOT,
      },
    ).then(
      (r) => r.stdout,
      (e: { stdout: string }) => e.stdout,
    );
    expect(text).toContain("STOPPED");
    expect(text).toMatch(/sbx-db: FAILED/);
    expect(text).toMatch(/sbx-print: untouched/);
  }, 300_000);
});
