/**
 * The health checks on real namespace hosts over real SSH, with a real sandbox database and the
 * interfaces standing in inside the app host's namespace: ONE set of hosts, brought up and
 * converged once (the host tests take minutes), then the host faults injected one after the other
 * for real, each found by its check id at its level and cleared when removed:
 * - a disk filled past its threshold (fallocate inside the host, on a volume of its own);
 * - the e-bill service stopped, with the monitor's messages to the webhooks (127.0.0.1);
 * - the signature server's certificate expiring in 10 days.
 * The database host is RedHat-family (Kylin-shaped), so the package scan runs dnf's branch too.
 */
import type { ChildProcess } from "node:child_process";
import { outputSync, start } from "../../src/base/exec.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspect } from "../../src/checks/inspect.ts";
import { monitor } from "../../src/checks/monitor/monitor.ts";
import { runHealthChecks } from "../../src/checks/run.ts";
import type { Finding } from "../../src/checks/types.ts";
import { REPO_ROOT } from "../../src/base/paths.ts";
import { runSite } from "../../src/hosts/source.ts";
import type { Environment } from "../../src/model/environment.ts";
import { measure } from "../../src/base/browser.ts";
import { FIXTURE_TODAY } from "../harness/fixture-stacks.ts";
import { sshRun } from "../../src/sandbox/netns.ts";
import { startSandboxDatabase, type SandboxDatabase } from "../harness/postgres.ts";
import {
  SKIP_REASON,
  sandboxEnv,
  startTestHosts,
  testSubnet,
  type TestHostsContext,
} from "../hosts/fixture.ts";
import { dingtalkSignatureValid, startReceiver, type Receiver } from "./receiver.ts";

const NOW = new Date(FIXTURE_TODAY);
const SIGNATURE_CERT = "/etc/ssl/certs/signature-stand-in.crt";
const SIGNATURE_KEY = "/etc/ssl/private/signature-stand-in.key";
const WEBHOOK_SECRETS = {
  CHK_WECOM_KEY: "wecom-9c1d2e",
  CHK_DT_TOKEN: "dt-4e5f6a",
  CHK_DT_SECRET: "SEC8b7c6d5e4f3a",
};

let db: SandboxDatabase;
let ctx: TestHostsContext;
let env: Environment;
let standIns: ChildProcess | undefined;
let receiver: Receiver;
let dir: string;
const saved = { ...process.env };

const of = (all: Finding[], id: string, target?: string) =>
  all.filter((f) => f.id === id && (target === undefined || f.target === target));

async function quick(at = NOW): Promise<Finding[]> {
  return (await runHealthChecks(env, { quick: true, now: at })).findings;
}

describe.skipIf(SKIP_REASON)("health checks on namespace hosts, faults injected and cleared", () => {
  beforeAll(async () => {
    process.env.EBILL_OPS_TODAY = FIXTURE_TODAY;
    db = await startSandboxDatabase();
    const c = await db.client();
    // A running database has been visited by autovacuum; a freshly seeded one not yet.
    await c.query("VACUUM ANALYZE");
    await c.end();
    const declared = await sandboxEnv();
    declared.hosts = declared.hosts.map((h) => ({
      ...h,
      os: h.name === "sbx-db" ? "kylin-v10" : "debian-12",
    }));
    ctx = await startTestHosts(declared, testSubnet(7), `k${process.pid % 100000}`);
    // startTestHosts set its own test secrets; the database is the harness's server.
    Object.assign(process.env, db.server.env, WEBHOOK_SECRETS);
    const app = ctx.env.hosts.find((h) => h.roles.includes("app"))!;
    receiver = await startReceiver();
    env = {
      ...ctx.env,
      database: db.env.database,
      interfaces: {
        ...ctx.env.interfaces,
        his: { ...ctx.env.interfaces.his, url: `http://${app.address}:9090/his` },
        fiscal: { ...ctx.env.interfaces.fiscal, url: `http://${app.address}:9091/fiscal` },
        push: { ...ctx.env.interfaces.push!, url: `http://${app.address}:9092/push` },
      },
      maintenance: {
        ...ctx.env.maintenance,
        // The test hosts share this machine's CPUs with other work: its load is not theirs to judge.
        thresholds: { ...ctx.env.maintenance.thresholds, loadPerCore: { warn: 50, fail: 100 } },
        notifications: [
          {
            kind: "wecom",
            name: "信息科运维群",
            url: `${receiver.url}/cgi-bin/webhook/send`,
            key: { secret: "CHK_WECOM_KEY" },
          },
          {
            kind: "dingtalk",
            name: "值班群",
            url: `${receiver.url}/robot/send`,
            accessToken: { secret: "CHK_DT_TOKEN" },
            secret: { secret: "CHK_DT_SECRET" },
          },
        ],
      },
    };
    // Converged as an apply leaves them: the service running, the hardening in place.
    await runSite(env, { check: false });
    const appHost = ctx.state.hosts.find((h) => h.name === app.name)!;
    // HIS, fiscal platform and push are other machines in a hospital; here they stand in on the app
    // host, whose firewall (the baseline's) lets in only its own ports: let theirs in too.
    sshRun(ctx.state, app.name, "nft add rule inet filter input tcp dport { 9090, 9091, 9092 } accept");
    standIns = start(
      "ip",
      [
        "netns",
        "exec",
        appHost.namespace,
        process.execPath,
        "--import",
        "tsx",
        "test/checks/interfaces-stand-in.ts",
        app.address,
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, STAND_IN_APP_KEY: process.env.FISCAL_APP_KEY },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      standIns!.stdout!.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
      standIns!.on("exit", (code) => reject(new Error(`interface stand-ins exited ${code}`)));
    });
    dir = await mkdtemp(path.join(os.tmpdir(), "ebill-checks-hosts-"));
  }, 600_000);

  afterAll(async () => {
    if (standIns?.pid) standIns.kill("SIGKILL");
    await receiver?.close();
    ctx?.cleanup();
    await db?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it("a healthy sandbox: no 高 risk, every result ok or unknown with a reason; the report shows each host's disk", async () => {
    await writeFile(path.join(dir, "sandbox.json"), JSON.stringify(env, null, 2));
    const result = await inspect({
      stack: path.join(dir, "sandbox.json"),
      quarter: "2026Q2",
      out: path.join(dir, "inspections"),
    });
    const findings = result.inspection.findings;
    const notOk = findings.filter((f) => f.status === "warn" || f.status === "fail");
    expect(notOk.map((f) => `${f.id} ${f.target}: ${f.evidence}`)).toEqual([]);
    for (const f of findings.filter((f) => f.status === "unknown"))
      expect(f.advice, `${f.id} ${f.target}`).toMatch(/\S{4,}/);
    expect(result.exitCode).toBe(0);
    // What the hosts answered, checked on each.
    for (const host of ["sbx-app", "sbx-db", "sbx-print"]) {
      expect(of(findings, "host.reachable", host)[0]!.status).toBe("ok");
      expect(of(findings, "host.sshd.hardening", host)[0]!.status, host).toBe("ok");
      expect(of(findings, "host.updates.security", host)[0]!.status, host).toBe("ok");
    }
    expect(of(findings, "host.service.active", "sbx-app:ebill-app")[0]!.status).toBe("ok");
    expect(of(findings, "app.version", "sbx-app")[0]).toMatchObject({ status: "ok", value: env.app.version });
    expect(of(findings, "iface.fiscal.reachable")[0]!.status).toBe("ok");
    expect(of(findings, "iface.signature.tls-days-left")[0]!.status).toBe("ok");
    const boxes = await measure(path.join(result.dir, "report.html"), ["#chart-disks rect.bar"]);
    expect(boxes["#chart-disks rect.bar"]!.count).toBe(3);
  });

  it("a disk filled past its threshold fails on that host and mount, and clears when the file goes", async () => {
    // A volume of its own inside the host: filling the root would fill this machine's disk.
    sshRun(
      ctx.state,
      "sbx-db",
      "truncate -s 64M /var/tmp/fill.img && mkfs.ext4 -q -F /var/tmp/fill.img && mkdir -p /srv/fill && mount -o loop /var/tmp/fill.img /srv/fill",
    );
    try {
      expect(of(await quick(), "host.disk.used", "sbx-db:/srv/fill")[0]!.status).toBe("ok");
      sshRun(
        ctx.state,
        "sbx-db",
        `fallocate -l $(( $(df -Pk /srv/fill | awk 'NR == 2 { print $4 }') - 1024 ))K /srv/fill/ballast`,
      );
      const full = of(await quick(), "host.disk.used", "sbx-db:/srv/fill")[0]!;
      expect([full.status, full.risk]).toEqual(["fail", "高"]);
      expect(Number(full.value)).toBeGreaterThanOrEqual(90);
      expect(full.advice).toContain("/srv/fill");
      sshRun(ctx.state, "sbx-db", "rm /srv/fill/ballast");
      expect(of(await quick(), "host.disk.used", "sbx-db:/srv/fill")[0]!.status).toBe("ok");
    } finally {
      sshRun(ctx.state, "sbx-db", "umount /srv/fill; rm -f /var/tmp/fill.img");
    }
  });

  it("a stopped service: found, one message per webhook (WeCom, signed DingTalk), none while it stays so, then the recovery with its duration", async () => {
    const stateFile = path.join(dir, "monitor", "sandbox.json");
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    const step = async (minutes: number) =>
      monitor(env, {
        notify: true,
        stateFile,
        run: await runHealthChecks(env, { quick: true, now: at(minutes) }),
      });

    await step(0);
    expect(receiver.received, "healthy: nothing sent").toEqual([]);

    sshRun(ctx.state, "sbx-app", `${env.app.installDir}/bin/ebill-appctl stop`);
    let restarted = false;
    try {
      const down = await step(15);
      expect(of(down.run.findings, "host.service.active", "sbx-app:ebill-app")[0]).toMatchObject({
        status: "fail",
        risk: "高",
      });
      expect(of(down.run.findings, "app.health", "sbx-app")[0]!.status).toBe("fail");
      expect(down.deliveries.map((d) => d.error)).toEqual([undefined, undefined]);
      expect(receiver.received.map((r) => r.path)).toEqual(["/cgi-bin/webhook/send", "/robot/send"]);
      const wecom = receiver.received[0]!;
      expect(wecom.query.get("key")).toBe(WEBHOOK_SECRETS.CHK_WECOM_KEY);
      const content = (wecom.body as { msgtype: string; markdown: { content: string } }).markdown.content;
      expect((wecom.body as { msgtype: string }).msgtype).toBe("markdown");
      expect(content).toContain("host.service.active");
      expect(content).toContain("app.health");
      expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
      const dingtalk = receiver.received[1]!;
      expect(dingtalkSignatureValid(dingtalk.query, WEBHOOK_SECRETS.CHK_DT_SECRET, Date.now())).toBe(true);
      expect(dingtalk.body).toMatchObject({
        msgtype: "markdown",
        markdown: { text: expect.stringContaining("sbx-app:ebill-app") },
      });

      await step(30);
      expect(receiver.received, "still stopped: nothing more sent").toHaveLength(2);

      sshRun(ctx.state, "sbx-app", `${env.app.installDir}/bin/ebill-appctl start`);
      restarted = true;
      await waitFor(async () => of(await quick(at(59)), "app.health", "sbx-app")[0]!.status === "ok");
      const up = await step(60);
      expect(of(up.run.findings, "host.service.active", "sbx-app:ebill-app")[0]!.status).toBe("ok");
      expect(receiver.received).toHaveLength(4);
      const recovered = (receiver.received[2]!.body as { markdown: { content: string } }).markdown.content;
      expect(recovered).toContain("恢复 2 项");
      expect(recovered).toContain("此前故障持续 45 分钟");
    } finally {
      if (!restarted) sshRun(ctx.state, "sbx-app", `${env.app.installDir}/bin/ebill-appctl start`);
    }
  });

  it("a signature server certificate that expires in 10 days fails, and clears with a renewed one", async () => {
    const print = ctx.state.hosts.find((h) => h.name === env.interfaces.signature.host)!;
    // Made as if ten days before the inspection's date, valid for twenty: ten days left on that date.
    outputSync(
      "faketime",
      [
        new Date(NOW.getTime() - 10 * 86_400_000).toISOString().replace("T", " ").slice(0, 19),
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "20",
        "-subj",
        "/CN=sbx-print signature server (expiring)",
        "-keyout",
        path.join(print.root, "etc/ssl/private/signature-expiring.key"),
        "-out",
        path.join(print.root, "etc/ssl/certs/signature-expiring.crt"),
      ],
      { env: { ...process.env, TZ: "UTC" } },
    );
    replaceSignatureServer(
      print.namespace,
      "/etc/ssl/certs/signature-expiring.crt",
      "/etc/ssl/private/signature-expiring.key",
    );
    try {
      await waitFor(async () => of(await quick(), "iface.signature.reachable")[0]!.status === "ok");
      const expiring = of(await quick(), "iface.signature.tls-days-left")[0]!;
      expect([expiring.status, expiring.value, expiring.risk]).toEqual(["fail", 10, "高"]);
      expect(expiring.evidence).toContain("expiring");
    } finally {
      replaceSignatureServer(print.namespace, SIGNATURE_CERT, SIGNATURE_KEY);
    }
    await waitFor(async () => of(await quick(), "iface.signature.reachable")[0]!.status === "ok");
    expect(of(await quick(), "iface.signature.tls-days-left")[0]!.status).toBe("ok");
  });

  /** Stops this test's signature stand-in (by pid, among the host namespace's) and starts one with another certificate. */
  function replaceSignatureServer(namespace: string, cert: string, key: string): void {
    const pids = outputSync("ip", ["netns", "pids", namespace]).split("\n").filter(Boolean);
    for (const pid of pids) {
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      if (cmdline.includes("s_server")) process.kill(Number(pid), "SIGTERM");
    }
    sshRun(
      ctx.state,
      env.interfaces.signature.host,
      `setsid -f openssl s_server -quiet -www -accept ${env.interfaces.signature.port} -cert ${cert} -key ${key} >/dev/null 2>&1 </dev/null`,
    );
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 500));
  }
}
