/**
 * Rolling upgrades over real namespace hosts: two app hosts behind a proxy host, the sandbox's
 * product package as the service, the sandbox database for migrations and backups.
 *
 * - a good release upgrades both hosts while a client calling the service through the proxy every
 *   200 ms sees no failed call (the unavailability is measured and printed);
 * - a release with a wrong checksum changes nothing;
 * - a release whose health check fails is rolled back on the first host, the second is never
 *   touched, the database's schema and basic information equal those before, and the bills issued
 *   during the attempt are all there;
 * - kill -9 between two hosts: the rerun continues where it stopped and ends converged;
 * - the same upgrade through the stack's own plan and apply (the GitOps flow): `plan --json` shows
 *   one app.upgrade change per app host with its migrations, `apply --yes` upgrades both, and the
 *   next plan is empty.
 */
import type { ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ebillOps, startEbillOps } from "../harness/cli.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import { sshRun } from "../../src/sandbox/netns.ts";
import { runSite } from "../../src/hosts/source.ts";
import { start } from "../../src/base/exec.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { SANDBOX_PROXY, writeSandboxRelease } from "../../src/sandbox/product.ts";
import { figures } from "../../src/backup/dump.ts";
import type { Environment } from "../../src/model/environment.ts";
import type { Plan } from "../../src/plan/types.ts";
import type { UpgradeReport } from "../../src/upgrade/rollout.ts";
import type { ListedBackup } from "../../src/backup/store.ts";
import {
  SKIP_REASON,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "../hosts/fixture.ts";

const APPS = ["sbx-app", "sbx-app2"];
const PROXY = "sbx-proxy";
/** The proxy listens where the proxy role's firewall lets clients in (80), in front of the app hosts' port. */
const PROXY_PORT = 80;

interface Call {
  at: number;
  ms: number;
  ok: boolean;
  why?: string;
}

/** Failed calls and the longest time between two answered calls. */
function unavailability(calls: Call[]): { calls: number; failed: number; longestGapMs: number } {
  let longest = 0;
  let lastOk: number | null = null;
  for (const c of calls) {
    if (!c.ok) continue;
    const answered = c.at + c.ms;
    if (lastOk !== null) longest = Math.max(longest, answered - lastOk);
    lastOk = answered;
  }
  return { calls: calls.length, failed: calls.filter((c) => !c.ok).length, longestGapMs: longest };
}

describe.skipIf(SKIP_REASON)("rolling product upgrade behind a proxy", () => {
  let db: SandboxDatabase;
  let ctx: TestHostsContext;
  let releases: string;
  // The test hosts' app key (startTestHosts set it, the role wrote it on the hosts), the database's password.
  const cliEnv = () => ({
    ...process.env,
    EBILL_DB_PASSWORD: db.server.env.EBILL_DB_PASSWORD,
    EBILL_OPS_RELEASES_DIR: releases,
  });
  const stackWith = (change: (env: Environment) => void) => {
    const env = structuredClone(ctx.env);
    change(env);
    return writeStackFile(mkdtempSync(path.join(ctx.dir, "v")), env);
  };
  const stackAt = (version: string) => stackWith((env) => (env.app.version = version));
  const cli = (args: string[], version: string) =>
    ebillOps([...args, "--stack", stackAt(version)], { env: cliEnv() });
  const running = (host: string) => sshRun(ctx.state, host, "readlink /opt/ebill/current || true").trim();
  const pidOf = (host: string) => sshRun(ctx.state, host, "cat /opt/ebill/logs/ebill-app.pid").trim();
  const backups = async (version: string) =>
    (JSON.parse((await cli(["backup", "list", "--json"], version)).stdout) as ListedBackup[]).length;

  let loop: ChildProcess;
  const calls: Call[] = [];
  const callsFrom = () => calls.length;

  beforeAll(async () => {
    db = await startSandboxDatabase();
    const env = structuredClone(db.env);
    env.hosts = [
      { ...env.hosts.find((h) => h.name === "sbx-app")!, roles: ["app"] },
      {
        name: "sbx-app2",
        address: "10.231.0.14",
        os: "debian-12",
        roles: ["app"],
        ssh: { user: "ebillops", port: 22 },
      },
      {
        name: PROXY,
        address: "10.231.0.15",
        os: "debian-12",
        roles: ["proxy"],
        ssh: { user: "ebillops", port: 22 },
      },
      ...env.hosts.filter((h) => h.name !== "sbx-app"),
    ];
    env.maintenance.backup = {
      host: "sbx-db",
      directory: "/var/backups/ebill",
      time: "02:30",
      retentionDays: 14,
      archive: false,
      recentDays: 7,
      maxAgeHours: 26,
    };
    ctx = await startTestHosts(env, testSubnet(12), `u${process.pid % 100000}`);
    // The hosts get the database password the CLI runs with (the sandbox database's), so a later
    // plan has no secrets to rewrite.
    process.env.EBILL_DB_PASSWORD = db.server.env.EBILL_DB_PASSWORD;
    // Every host converged, so a later plan shows only what a test changes.
    await runSite(ctx.env, { check: false });

    releases = mkdtempSync(path.join(tmpdir(), "ebill-releases-"));
    await writeSandboxRelease(releases, { version: "1.0.3", upgradesFrom: [] });
    await writeSandboxRelease(releases, {
      version: "1.0.4",
      upgradesFrom: ["1.0.3"],
      up: "ALTER TABLE ebill.bill_type ADD COLUMN print_note text;",
      down: "ALTER TABLE ebill.bill_type DROP COLUMN print_note;",
    });
    await writeSandboxRelease(releases, {
      version: "1.0.5",
      upgradesFrom: ["1.0.4"],
      brokenStatus: true,
      up: "CREATE TABLE ebill.release_105_note (id int); ALTER TABLE ebill.payment_channel ADD COLUMN note text;",
      down: "DROP TABLE ebill.release_105_note; ALTER TABLE ebill.payment_channel DROP COLUMN note;",
    });
    await writeSandboxRelease(releases, { version: "1.0.6", upgradesFrom: ["1.0.4"] });
    // 1.0.6's package is not the one its manifest names.
    const six = path.join(releases, "1.0.6");
    const manifest = JSON.parse(readFileSync(path.join(six, "manifest.json"), "utf8"));
    writeFileSync(path.join(six, manifest.package.file), "tampered");
    await writeSandboxRelease(releases, { version: "1.0.7", upgradesFrom: ["1.0.4"] });

    // The proxy: the sandbox's balancer on the proxy host, in front of both app hosts.
    const proxy = ctx.state.hosts.find((h) => h.name === PROXY)!;
    mkdirSync(path.join(proxy.root, "etc/ebill-proxy"), { recursive: true });
    copyFileSync(SANDBOX_PROXY, path.join(proxy.root, "usr/local/bin/ebill-proxy.py"));
    writeFileSync(
      path.join(proxy.root, "etc/ebill-proxy/backends"),
      APPS.map((n) => `${ctx.env.hosts.find((h) => h.name === n)!.address}:${ctx.env.app.port}\n`).join(""),
    );
    sshRun(
      ctx.state,
      PROXY,
      `setsid nohup python3 /usr/local/bin/ebill-proxy.py ${PROXY_PORT} /etc/ebill-proxy/backends >/var/log/ebill-proxy.log 2>&1 </dev/null &`,
    );
  }, 600_000);

  afterAll(async () => {
    loop?.kill("SIGKILL");
    ctx?.cleanup();
    await db?.stop();
  });

  it("installs the first release on both app hosts, a backup first", async () => {
    const plan = await cli(["upgrade", "plan"], "1.0.3");
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("sbx-app: install 1.0.3");
    const apply = await cli(["upgrade", "apply"], "1.0.3");
    expect(apply.stdout).toMatch(/done; backup \d{8}T\d{6}Z/);
    expect(apply.code).toBe(0);
    for (const host of APPS) expect(running(host)).toBe("/opt/ebill/releases/1.0.3");
    expect((await cli(["upgrade", "plan"], "1.0.3")).code).toBe(0);

    // From now on a client calls the service through the proxy every 200 ms.
    const proxy = ctx.env.hosts.find((h) => h.name === PROXY)!;
    loop = start(
      "ip",
      [
        "netns",
        "exec",
        ctx.state.controllerNamespace,
        process.execPath,
        "--import",
        "tsx",
        "test/upgrade/probe-loop.ts",
      ],
      { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "inherit"] },
    );
    loop.stdin!.end(
      JSON.stringify({
        url: `http://${proxy.address}:${PROXY_PORT}${ctx.env.app.contextPath}/api/medical`,
        appId: ctx.env.interfaces.fiscal.appId,
        appKey: process.env.FISCAL_APP_KEY,
      }),
    );
    let buffered = "";
    loop.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) if (line) calls.push(JSON.parse(line) as Call);
    });
    const deadline = Date.now() + 20_000;
    while (!calls.some((c) => c.ok) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(
      calls.some((c) => c.ok),
      JSON.stringify(calls.slice(-3)),
    ).toBe(true);
  }, 300_000);

  it("upgrades both hosts one at a time with no failed call through the proxy", async () => {
    const plan = await cli(["upgrade", "plan"], "1.0.4");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("sbx-app: upgrade 1.0.3 → 1.0.4");
    expect(plan.stdout).toContain("sbx-app2: upgrade 1.0.3 → 1.0.4");
    expect(plan.stdout).toContain("migrations: migrations/001-up.sql");

    const first = callsFrom();
    const apply = await cli(["upgrade", "apply", "--json"], "1.0.4");
    expect(apply.code, apply.stderr).toBe(0);
    const report = JSON.parse(apply.stdout) as UpgradeReport;
    expect(report.hosts.map((h) => [h.host, h.outcome])).toEqual([
      ["sbx-app", "upgraded"],
      ["sbx-app2", "upgraded"],
    ]);
    // The order of the steps: the first host was back before the second left.
    expect(apply.stderr.indexOf("sbx-app healthy")).toBeLessThan(apply.stderr.indexOf("sbx-app2: upgrade"));
    await new Promise((r) => setTimeout(r, 600));
    const seen = unavailability(calls.slice(first));
    console.log(
      `rolling upgrade 1.0.3 → 1.0.4 of 2 app hosts: ${seen.calls} calls through the proxy, ${seen.failed} failed, longest gap between answers ${seen.longestGapMs} ms`,
    );
    expect(seen.calls).toBeGreaterThan(10);
    expect(seen.failed, JSON.stringify(calls.slice(first).filter((c) => !c.ok))).toBe(0);
    for (const host of APPS) expect(running(host)).toBe("/opt/ebill/releases/1.0.4");
    const c = await db.client();
    const column = await c.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'bill_type' AND column_name = 'print_note'",
    );
    await c.end();
    expect(column.rowCount).toBe(1);
  }, 300_000);

  it("refuses a release whose package checksum does not match, before anything is touched", async () => {
    const before = { backups: await backups("1.0.4"), pids: APPS.map(pidOf) };
    const apply = await cli(["upgrade", "apply"], "1.0.6");
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(
      /1\.0\.6\/manifest\.json: package\.sha256: ebill-app-1\.0\.6\.tar\.gz has sha256 \w+, the manifest says/,
    );
    expect(apply.stderr).toContain("nothing was changed");
    for (const host of APPS) expect(running(host)).toBe("/opt/ebill/releases/1.0.4");
    expect(APPS.map(pidOf)).toEqual(before.pids);
    expect(await backups("1.0.4")).toBe(before.backups);
  }, 120_000);

  it("rolls a failing release back on the first host, never touches the second, keeps every bill", async () => {
    const c = await db.client();
    const schema = async () =>
      (
        await c.query(
          "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'ebill' ORDER BY 1, 2",
        )
      ).rows;
    const basicInfo = async () => {
      const f = await figures(c, "ebill", "2026-01-01 00:00:00");
      return Object.fromEntries(Object.entries(f.tables).filter(([t]) => !t.startsWith("bill")));
    };
    const beforeSchema = await schema();
    const beforeInfo = await basicInfo();
    const secondPid = pidOf("sbx-app2");

    // Bills keep being issued during the attempt.
    const issued: string[] = [];
    let issuing = true;
    const issuer = (async () => {
      for (let n = 1; issuing; n++) {
        const billNo = String(9_000_000_000 + n);
        await c.query(
          `INSERT INTO ebill.bill (bill_code, bill_no, check_code, place_code, channel_code, amount, issued_at)
           SELECT bill_code, $1, 'abc123', place_code, channel_code, 12.34, timestamp '2026-06-15 10:00:00' + $2 * interval '1 second'
           FROM ebill.bill LIMIT 1`,
          [billNo, n],
        );
        issued.push(billNo);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const first = callsFrom();
    const apply = await cli(["upgrade", "apply", "--json"], "1.0.5");
    issuing = false;
    await issuer;
    expect(apply.code, apply.stderr).toBe(1);
    const report = JSON.parse(apply.stdout) as UpgradeReport;
    expect(report.ok).toBe(false);
    expect(report.hosts.map((h) => [h.host, h.outcome])).toEqual([
      ["sbx-app", "rolled-back"],
      ["sbx-app2", "not-touched"],
    ]);
    expect(report.hosts[0]!.detail).toMatch(/HTTP 500.*back on 1\.0\.4, healthy/);
    expect(report.migrations).toBe("rolled back: migrations/001-down.sql");
    expect(running("sbx-app")).toBe("/opt/ebill/releases/1.0.4");
    expect(running("sbx-app2")).toBe("/opt/ebill/releases/1.0.4");
    expect(pidOf("sbx-app2")).toBe(secondPid);

    expect(await schema()).toEqual(beforeSchema);
    expect(await basicInfo()).toEqual(beforeInfo);
    expect(issued.length).toBeGreaterThan(5);
    const kept = await c.query("SELECT count(*)::int AS n FROM ebill.bill WHERE bill_no = ANY($1)", [issued]);
    expect(kept.rows[0].n).toBe(issued.length);
    await c.end();
    await new Promise((r) => setTimeout(r, 600));
    const seen = unavailability(calls.slice(first));
    console.log(
      `failed upgrade to 1.0.5 rolled back: ${seen.calls} calls through the proxy, ${seen.failed} failed, longest gap ${seen.longestGapMs} ms`,
    );
    expect(seen.failed).toBe(0);
  }, 300_000);

  it("continues after a kill -9 between two hosts and ends converged", async () => {
    const backupsBefore = await backups("1.0.4");
    const stack = stackAt("1.0.7");
    const child = startEbillOps(["upgrade", "apply", "--stack", stack], {
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no first host within 120 s: ${stderr}`)), 120_000);
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (/sbx-app healthy/.test(stderr)) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((r) => child.once("close", r));
    expect(running("sbx-app")).toBe("/opt/ebill/releases/1.0.7");
    expect(running("sbx-app2")).toBe("/opt/ebill/releases/1.0.4");

    const plan = await ebillOps(["upgrade", "plan", "--stack", stack], { env: cliEnv() });
    expect(plan.stdout).toContain("sbx-app: runs 1.0.7, nothing to do");
    expect(plan.stdout).toContain("sbx-app2: upgrade 1.0.4 → 1.0.7");
    const rerun = await ebillOps(["upgrade", "apply", "--json", "--stack", stack], { env: cliEnv() });
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as UpgradeReport;
    expect(report.resumed).toBe(true);
    expect(report.hosts.map((h) => [h.host, h.outcome])).toEqual([
      ["sbx-app", "already"],
      ["sbx-app2", "upgraded"],
    ]);
    // One backup for the whole upgrade, taken before the kill.
    expect(await backups("1.0.7")).toBe(backupsBefore + 1);
    expect((await ebillOps(["upgrade", "plan", "--stack", stack], { env: cliEnv() })).code).toBe(0);
    const backends = sshRun(ctx.state, PROXY, "cat /etc/ebill-proxy/backends").trim().split("\n");
    expect(backends).toHaveLength(2);
  }, 400_000);

  it("carries the upgrade in the stack's plan and apply with no restart by the hosts part and no failed call", async () => {
    await writeSandboxRelease(releases, {
      version: "1.0.8",
      upgradesFrom: ["1.0.7"],
      up: "ALTER TABLE ebill.bill_type ADD COLUMN release_108_note text;",
      down: "ALTER TABLE ebill.bill_type DROP COLUMN release_108_note;",
    });
    const first = callsFrom();
    const plan = await cli(["plan", "--json"], "1.0.8");
    expect(plan.code, plan.stderr).toBe(2);
    const changes = (JSON.parse(plan.stdout) as Plan).changes;
    const upgrades = changes.filter((c) => c.source === "upgrade");
    expect(upgrades.map((c) => [c.kind, c.id, c.action, c.before, c.after])).toEqual(
      APPS.map((host) => [
        "app.upgrade",
        host,
        "update",
        { version: "1.0.7" },
        { version: "1.0.8", migrations: ["migrations/001-up.sql"] },
      ]),
    );

    const apply = await cli(["apply", "--yes"], "1.0.8");
    await new Promise((r) => setTimeout(r, 600));
    const seen = unavailability(calls.slice(first));
    console.log(
      `GitOps plan + apply of app.version 1.0.7 → 1.0.8 (2 app hosts): ${seen.calls} calls through the proxy, ${seen.failed} failed, longest gap between answers ${seen.longestGapMs} ms`,
    );
    expect(apply.code, apply.stderr).toBe(0);
    // The version is the upgrade's alone: the hosts part had nothing to write, so nothing restarted every app host at once.
    expect(changes.filter((c) => c.source === "hosts").map((c) => c.id)).toEqual([]);
    expect(seen.calls).toBeGreaterThan(10);
    expect(seen.failed, JSON.stringify(calls.slice(first).filter((c) => !c.ok))).toBe(0);
    expect(apply.stdout).toContain("产品升级 app.upgrade sbx-app");
    expect(apply.stderr).toMatch(/upgrade: backup \d{8}T\d{6}Z taken/);
    expect(apply.stderr.indexOf("sbx-app healthy")).toBeLessThan(apply.stderr.indexOf("sbx-app2: upgrade"));
    for (const host of APPS) expect(running(host)).toBe("/opt/ebill/releases/1.0.8");
    const c = await db.client();
    const column = await c.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'bill_type' AND column_name = 'release_108_note'",
    );
    await c.end();
    expect(column.rowCount).toBe(1);

    const again = await cli(["plan", "--json"], "1.0.8");
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Plan).changes).toEqual([]);
  }, 600_000);

  it("restarts the app hosts for a configuration change one at a time, with no failed call", async () => {
    const timeoutMs = ctx.env.interfaces.his.timeoutMs + 5000;
    const stack = stackWith((env) => {
      env.app.version = "1.0.8";
      env.interfaces.his.timeoutMs = timeoutMs;
    });
    const pidsBefore = APPS.map(pidOf);
    const first = callsFrom();
    const plan = await ebillOps(["plan", "--json", "--stack", stack], { env: cliEnv() });
    expect(plan.code, plan.stderr).toBe(2);
    // The configuration file and the restart it causes, on both app hosts, nothing else.
    const changed = (JSON.parse(plan.stdout) as Plan).changes.map((c) => c.id);
    expect([...new Set(changed.map((id) => id.split("/")[0]))].sort()).toEqual(APPS);
    for (const host of APPS) expect(changed).toContain(`${host}/opt/ebill/conf/application.properties`);

    const apply = await ebillOps(["apply", "--yes", "--stack", stack], { env: cliEnv() });
    await new Promise((r) => setTimeout(r, 600));
    const seen = unavailability(calls.slice(first));
    console.log(
      `plan + apply of his.timeout-ms (2 app hosts restarted): ${seen.calls} calls through the proxy, ${seen.failed} failed, longest gap between answers ${seen.longestGapMs} ms`,
    );
    expect(apply.code, apply.stderr).toBe(0);
    expect(seen.calls).toBeGreaterThan(10);
    expect(seen.failed, JSON.stringify(calls.slice(first).filter((c) => !c.ok))).toBe(0);
    for (const [i, host] of APPS.entries()) {
      expect(pidOf(host), `${host} restarted with its new configuration`).not.toBe(pidsBefore[i]);
      expect(sshRun(ctx.state, host, "cat /opt/ebill/conf/application.properties")).toContain(
        `his.timeout-ms=${timeoutMs}`,
      );
      expect(running(host)).toBe("/opt/ebill/releases/1.0.8");
    }
    // One at a time: the second host left the proxy only after the first was back in it.
    expect(apply.stderr.indexOf("hosts: sbx-app back in the proxy")).toBeGreaterThan(-1);
    expect(apply.stderr.indexOf("hosts: sbx-app back in the proxy")).toBeLessThan(
      apply.stderr.indexOf("hosts: sbx-app2 out of the proxy"),
    );
    const again = await ebillOps(["plan", "--json", "--stack", stack], { env: cliEnv() });
    expect(again.code, again.stderr).toBe(0);
  }, 600_000);
});
