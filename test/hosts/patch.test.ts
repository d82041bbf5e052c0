/**
 * Patch rollout over three real namespace hosts, one of each OS family plus one more Debian host,
 * with a real pending security update on each: from a local dnf repository whose updateinfo.xml
 * marks it as a security advisory on the RedHat-family host (Kylin V10-shaped), from a local
 * "-security" apt repository on the Debian hosts. The second host fails its health check, so the
 * rollout stops there and the third host is left exactly as it was; fixed, a rerun finishes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patchRollout, type PatchReport } from "../../src/hosts/patch.ts";
import { runSite } from "../../src/hosts/source.ts";
import { buildPackage, writeRepoIndex } from "../harness/apt-repo.ts";
import { sshRun } from "../../src/sandbox/netns.ts";
import { buildRpm, writeSecurityRepo } from "../harness/rpm-repo.ts";
import {
  SKIP_REASON,
  sandboxEnv,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "./fixture.ts";
import { ebillOps } from "../harness/cli.ts";

const PACKAGE = "ebill-demo-tools";
/** On the RedHat host: an update without a security advisory, which the rollout must leave alone. */
const NOT_SECURITY = "ebill-demo-docs";
const REDHAT_HOST = "sbx-app";

describe.skipIf(SKIP_REASON)("patch rollout over real SSH hosts of both OS families", () => {
  let ctx: TestHostsContext;
  let stackFile: string;
  const version = (host: string, pkg = PACKAGE) =>
    sshRun(
      ctx.state,
      host,
      host === REDHAT_HOST
        ? `rpm -q --qf '%{VERSION}' ${pkg} 2>/dev/null`
        : `dpkg-query -W -f='\${Version}' ${pkg}`,
    ).trim();
  const cli = (args: string[]) => ebillOps(args);

  beforeAll(async () => {
    const env = await sandboxEnv();
    // Three app servers, so each has a service whose health the rollout checks; the first is RedHat.
    env.hosts = env.hosts.map((h) => ({
      ...h,
      os: h.name === REDHAT_HOST ? "kylin-v10" : "debian-12",
      roles: [...new Set([...h.roles, "app" as const])],
    }));
    env.maintenance.patch = {
      batchSize: 1,
      healthChecks: ["disk", "service"],
      minFreeDiskPercent: 1,
      rebootAllowed: true,
    };
    ctx = await startTestHosts(env, testSubnet(2), `p${process.pid % 100000}`);
    await runSite(ctx.env, { check: false });
    stackFile = writeStackFile(ctx.dir, ctx.env);

    const build = path.join(ctx.dir, "packages");
    mkdirSync(build, { recursive: true });
    for (const host of ctx.state.hosts) {
      const repo = path.join(host.root, "srv/ebill-repo");
      mkdirSync(repo, { recursive: true });
      if (host.name === REDHAT_HOST) {
        // 1.0 of both installed; 1.1 of both in the repository, only one under a security advisory.
        for (const name of [PACKAGE, NOT_SECURITY]) {
          copyFileSync(buildRpm(build, { name, version: "1.0" }), path.join(host.root, `tmp/${name}.rpm`));
          buildRpm(repo, { name, version: "1.1" });
        }
        writeSecurityRepo(repo, "EBILL-TEST-SA-0001", [PACKAGE]);
        writeFileSync(
          path.join(host.root, "etc/yum.repos.d/ebill-test.repo"),
          "[ebill-test]\nname=ebill-ops test updates\nbaseurl=file:///srv/ebill-repo\ngpgcheck=0\n",
        );
        sshRun(
          ctx.state,
          host.name,
          `rpm -i --nodeps /tmp/${PACKAGE}.rpm /tmp/${NOT_SECURITY}.rpm 2>/dev/null`,
        );
      } else {
        // Version 1.0 installed; 1.1 waiting in a local "-security" repository whose postinst asks
        // for a reboot, as kernel and libc updates do.
        copyFileSync(
          buildPackage(build, { name: PACKAGE, version: "1.0" }),
          path.join(host.root, "tmp/old.deb"),
        );
        const update = buildPackage(repo, {
          name: PACKAGE,
          version: "1.1",
          postinst: "touch /var/run/reboot-required",
        });
        writeRepoIndex(repo, [update]);
        sshRun(
          ctx.state,
          host.name,
          "dpkg -i /tmp/old.deb >/dev/null && echo 'deb [trusted=yes] file:/srv/ebill-repo ./' > /etc/apt/sources.list.d/ebill-test.list",
        );
      }
    }
  }, 600_000);
  afterAll(() => ctx?.cleanup());

  it("--check lists the pending security update on every host, and on the RedHat host only the advisory's", async () => {
    const report = await patchRollout(ctx.env, { check: true });
    expect(report.ok, JSON.stringify(report.hosts)).toBe(true);
    expect(report.hosts.map((h) => [h.host, h.status, h.pending])).toEqual([
      ["sbx-app", "would-patch", [PACKAGE]],
      ["sbx-db", "would-patch", [PACKAGE]],
      ["sbx-print", "would-patch", [PACKAGE]],
    ]);
    for (const host of ["sbx-app", "sbx-db", "sbx-print"]) expect(version(host)).toBe("1.0");
  }, 300_000);

  it("stops at the second host when its health check fails; the third is untouched; the report says so", async () => {
    sshRun(ctx.state, "sbx-db", "touch /opt/ebill/conf/UNHEALTHY");
    const run = await cli(["patch", "--stack", stackFile, "--json"]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as PatchReport;
    expect(report.ok).toBe(false);
    const [first, second, third] = report.hosts;
    expect(
      first,
      "the RedHat-family host patched with dnf; no core package changed, so no reboot",
    ).toMatchObject({
      host: "sbx-app",
      status: "patched",
      pending: [PACKAGE],
      rebootRequired: false,
      rebooted: false,
    });
    expect(second).toMatchObject({ host: "sbx-db", status: "failed" });
    expect(second!.error).toMatch(/health/i);
    expect(third).toMatchObject({ host: "sbx-print", status: "not-started" });

    expect(version("sbx-app")).toBe("1.1");
    expect(version("sbx-app", NOT_SECURITY), "an update without a security advisory is left alone").toBe(
      "1.0",
    );
    expect(version("sbx-db"), "the failing host's pre-check stopped it before updating").toBe("1.0");
    expect(version("sbx-print"), "the host after the failure is untouched").toBe("1.0");
  }, 300_000);

  it("once the failing host is fixed, a rerun patches the Debian hosts and asks for their reboot", async () => {
    sshRun(ctx.state, "sbx-db", "rm /opt/ebill/conf/UNHEALTHY");
    const run = await cli(["patch", "--stack", stackFile]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/sbx-app: up to date/);
    expect(run.stdout).toMatch(
      /sbx-db: patched; security updates: ebill-demo-tools; reboot required \(not rebooted: a namespace test host/,
    );
    expect(run.stdout).toMatch(/sbx-print: patched/);
    for (const host of ["sbx-app", "sbx-db", "sbx-print"]) expect(version(host)).toBe("1.1");
  }, 300_000);
});
