/**
 * The health checks as pure functions: hand-written facts of a healthy sandbox (fixture.ts), one
 * thing broken per test, and what each check says about it, at which level. No database, no hosts.
 */
import { describe, expect, it } from "vitest";
import { evaluateChecks, CHECKS } from "../../src/checks/library.ts";
import { localTimestamp } from "../../src/checks/collect-database.ts";
import type { HealthFacts } from "../../src/checks/facts.ts";
import type { HealthContext } from "../../src/checks/judge.ts";
import { clockOffset, dfPercent } from "../../src/checks/host-checks.ts";
import type { HealthCheck } from "../../src/checks/host-checks.ts";
import { Environment } from "../../src/model/environment.ts";
import { THRESHOLD_DEFAULTS, Thresholds } from "../../src/model/thresholds.ts";
import { sandboxInput } from "../config/fixtures.ts";
import {
  context,
  fixtureEnv,
  healthyApp,
  healthyDatabase,
  healthyFacts,
  healthyHost,
  NOW,
} from "./fixture.ts";

const DAY = 86_400_000;

function results(id: string, facts: HealthFacts, ctx: HealthContext = context()) {
  return evaluateChecks(facts, ctx, { quick: false }).filter((f) => f.id === id);
}

function only(id: string, facts: HealthFacts, ctx?: HealthContext) {
  const found = results(id, facts, ctx);
  expect(found, id).toHaveLength(1);
  return found[0]!;
}

function withApp(overrides: Parameters<typeof healthyApp>[0]): HealthFacts {
  const facts = healthyFacts();
  if (!facts.hosts.ok) throw new Error("fixture");
  facts.hosts.value.hosts[0]!.health = healthyApp(overrides);
  return facts;
}

function withDb(overrides: Parameters<typeof healthyDatabase>[0]): HealthFacts {
  return { ...healthyFacts(), database: { ok: true, value: healthyDatabase(overrides) } };
}

describe("the library", () => {
  it("has stable, unique ids, each with a Chinese and an English title", () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^(host|db|app|biz|iface)\.[a-z0-9.-]+$/);
      expect(c.title.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(c.title.en.length).toBeGreaterThan(3);
    }
  });

  it("on the healthy facts: nothing warns or fails, and whatever is not measured says why", () => {
    const findings = evaluateChecks(healthyFacts(), context(), { quick: false });
    expect(findings.filter((f) => f.status === "warn" || f.status === "fail")).toEqual([]);
    for (const f of findings.filter((f) => f.status === "unknown")) expect(f.advice, f.id).toMatch(/\S{4,}/);
    // HIS answers plain HTTP (nothing to verify it by); the fixture declares no backups; the product
    // records no archive or push state; pg_default has no growth basis before a second inspection.
    expect(new Set(findings.filter((f) => f.status === "unknown").map((f) => f.id))).toEqual(
      new Set(["iface.his.reachable", "db.backup.age", "biz.archive.oldest", "biz.push.oldest"]),
    );
  });

  it("never shows ok when nothing could be collected: unknown with the reason, and the reachability checks fail", () => {
    const down: HealthFacts = {
      hosts: { ok: false, reason: "the sandbox hosts are not running" },
      database: { ok: false, reason: "cannot connect to the database" },
      interfaces: { ok: false, reason: "no probe" },
    };
    const findings = evaluateChecks(down, context(), { quick: false });
    expect(findings.filter((f) => f.status === "ok")).toEqual([]);
    expect(findings.find((f) => f.id === "db.reachable")!.status).toBe("fail");
    for (const f of findings.filter((f) => f.status === "unknown")) expect(f.advice, f.id).toBeTruthy();
    expect(findings.find((f) => f.id === "host.disk.used")!.advice).toContain(
      "sandbox hosts are not running",
    );
    // Every check of the library said something.
    expect(new Set(findings.map((f) => f.id)).size).toBe(CHECKS.length);
  });

  it("the quick subset (monitor) leaves out the package scan, the log scans and the slow database reads", () => {
    const quick = new Set(evaluateChecks(healthyFacts(), context(), { quick: true }).map((f) => f.id));
    for (const slow of [
      "host.updates.security",
      "host.reboot.required",
      "host.ssh.failed-logins",
      "app.log.errors",
      "db.tablespace.days-until-full",
    ])
      expect(quick.has(slow), slow).toBe(false);
    for (const fast of [
      "host.disk.used",
      "host.service.active",
      "app.health",
      "db.reachable",
      "biz.stock.days-left",
      "iface.signature.tls-days-left",
    ])
      expect(quick.has(fast), fast).toBe(true);
  });

  it("a check that throws is a defect shown as unknown, and the other checks still run", () => {
    const broken: HealthCheck = {
      id: "host.broken",
      area: "host",
      title: { zh: "坏的检查", en: "broken" },
      quick: true,
      evaluate() {
        throw new Error("boom");
      },
    };
    const findings = evaluateChecks(healthyFacts(), context(), { quick: true, checks: [broken, CHECKS[0]!] });
    expect(findings[0]).toMatchObject({ id: "host.broken", status: "unknown", risk: "低" });
    expect(findings[0]!.advice).toContain("boom");
    expect(findings.slice(1).every((f) => f.id === CHECKS[0]!.id)).toBe(true);
  });
});

describe("hosts", () => {
  it("disk use per mount as df computes it: 79 % ok, 80 % warn, 90 % fail (reserved blocks count as used)", () => {
    expect(dfPercent(79, 21)).toBe(79);
    expect(dfPercent(80, 19.5)).toBe(81);
    const mount = (used: number, avail: number) => ({
      mount: "/data",
      device: "/dev/vdb",
      fstype: "xfs",
      sizeBytes: 100,
      usedBytes: used,
      availableBytes: avail,
      inodes: 100,
      inodesUsed: 1,
    });
    for (const [used, avail, status] of [
      [79, 21, "ok"],
      [80, 20, "warn"],
      [90, 10, "fail"],
    ] as const) {
      const facts = healthyFacts();
      if (!facts.hosts.ok) throw new Error();
      facts.hosts.value.hosts[1]!.health = healthyHost({ mounts: [mount(used, avail)] });
      const r = results("host.disk.used", facts).find((f) => f.target === "sbx-db:/data")!;
      expect([r.status, r.value, r.risk]).toEqual([
        status,
        used,
        { ok: null, warn: "中", fail: "高" }[status],
      ]);
    }
  });

  it("a file system without an inode table has no inode limit (ok, not unknown)", () => {
    const facts = healthyFacts();
    if (!facts.hosts.ok) throw new Error();
    const health = healthyHost();
    (health.mounts as { inodes: number | null; inodesUsed: number | null }[])[0]!.inodes = null;
    (health.mounts as { inodes: number | null; inodesUsed: number | null }[])[0]!.inodesUsed = null;
    facts.hosts.value.hosts[1]!.health = health;
    expect(results("host.inode.used", facts).find((f) => f.target === "sbx-db:/")).toMatchObject({
      status: "ok",
    });
  });

  it("clock offset: chrony's own figure when it runs; else bounded by when the task was sent and answered", () => {
    expect(clockOffset({ hostTime: 100, chrony: { offset: -3, source: "ntp" } })).toMatchObject({
      seconds: 3,
    });
    // Sent at 99, all answered by 102, host read 100: anything from -2 to +1, so at least 0.
    expect(clockOffset({ hostTime: 100, offsetFromController: 1 }, 102)).toMatchObject({ seconds: 0 });
    // A host five minutes ahead: at least 299 s whatever the transfer took.
    expect(clockOffset({ hostTime: 400, offsetFromController: 300 }, 101)!.seconds).toBe(299);
    const facts = healthyFacts();
    if (!facts.hosts.ok) throw new Error();
    facts.hosts.value.hosts[1]!.health = healthyHost({ clock: { hostTime: 400, offsetFromController: 300 } });
    facts.hosts.value.hosts[1]!.answeredBy = 101;
    expect(results("host.clock.offset", facts).find((f) => f.target === "sbx-db")).toMatchObject({
      status: "fail",
      value: 299,
    });
  });

  it("sshd hardening changed by hand fails, naming the setting, what it is and what it should be", () => {
    const facts = healthyFacts();
    if (!facts.hosts.ok) throw new Error();
    facts.hosts.value.hosts[1]!.health = healthyHost({
      sshd: { expected: { permitrootlogin: "no" }, actual: { permitrootlogin: "yes" } },
    });
    const r = results("host.sshd.hardening", facts).find((f) => f.target === "sbx-db")!;
    expect(r.status).toBe("fail");
    expect(r.evidence).toContain("permitrootlogin 为 yes，应为 no");
  });

  it("a stopped service fails; a host that did not answer makes its checks unknown and host.reachable fail", () => {
    const facts = withApp({
      services: [{ name: "ebill-app", active: false, how: "ebill-appctl status", detail: "exit 1" }],
    });
    expect(only("host.service.active", facts)).toMatchObject({
      target: "sbx-app:ebill-app",
      status: "fail",
      risk: "高",
    });
    if (!facts.hosts.ok) throw new Error();
    facts.hosts.value.hosts[1] = {
      ...facts.hosts.value.hosts[1]!,
      answered: false,
      reason: "UNREACHABLE: ssh timeout",
    };
    delete facts.hosts.value.hosts[1]!.health;
    expect(results("host.reachable", facts).find((f) => f.target === "sbx-db")).toMatchObject({
      status: "fail",
    });
    const disk = results("host.disk.used", facts).find((f) => f.target === "sbx-db")!;
    expect(disk.status).toBe("unknown");
    expect(disk.advice).toContain("ssh timeout");
  });

  it("pending security updates warn from one, fail from twenty; a section that could not be read is unknown", () => {
    const facts = healthyFacts();
    if (!facts.hosts.ok) throw new Error();
    facts.hosts.value.hosts[1]!.health = healthyHost({
      securityUpdates: { count: 3, packages: ["openssl", "libc6", "sudo"] },
    });
    expect(results("host.updates.security", facts).find((f) => f.target === "sbx-db")).toMatchObject({
      status: "warn",
      value: 3,
    });
    facts.hosts.value.hosts[1]!.health = healthyHost({
      securityUpdates: { error: "exit 100: E: Could not get lock" },
    });
    const r = results("host.updates.security", facts).find((f) => f.target === "sbx-db")!;
    expect(r.status).toBe("unknown");
    expect(r.advice).toContain("Could not get lock");
  });
});

describe("application and signature server", () => {
  it("health endpoint: 503 fails, no answer fails, another version than declared warns", () => {
    const down = withApp({
      appHealth: { url: "http://127.0.0.1:8081/medical-web/health", status: 503, ms: 3, body: "DOWN 1.0.3" },
    });
    expect(only("app.health", down)).toMatchObject({ status: "fail", value: 503 });
    const silent = withApp({ appHealth: { url: "u", status: null, ms: 5000, failure: "timed out" } });
    expect(only("app.health", silent).status).toBe("fail");
    expect(only("app.latency", silent).status).toBe("unknown");
    expect(
      only("app.version", withApp({ appHealth: { url: "u", status: 200, ms: 5, body: "UP 1.0.4" } })),
    ).toMatchObject({
      status: "warn",
      value: "1.0.4",
    });
    expect(
      only("app.version", withApp({ appHealth: { url: "u", status: 200, ms: 5, body: "UP" } })).status,
    ).toBe("unknown");
  });

  it("the signature server's certificate: 20 days left warns, 10 fails, unreadable is unknown", () => {
    const cert = (days: number) =>
      withApp({
        signature: {
          address: "10.231.0.13",
          port: 9443,
          reachable: true,
          connectMs: 1,
          handshakeMs: 5,
          notAfterEpoch: (NOW.getTime() + days * DAY + 3_600_000) / 1000,
        },
      });
    expect(only("iface.signature.tls-days-left", cert(20))).toMatchObject({ status: "warn", value: 20 });
    expect(only("iface.signature.tls-days-left", cert(10))).toMatchObject({
      status: "fail",
      value: 10,
      risk: "高",
    });
    const refused = withApp({
      signature: { address: "10.231.0.13", port: 9443, reachable: false, failure: "Connection refused" },
    });
    expect(only("iface.signature.reachable", refused).status).toBe("fail");
    expect(only("iface.signature.tls-days-left", refused).status).toBe("unknown");
  });
});

describe("interfaces probed from here", () => {
  const withFiscal = (change: Record<string, unknown>): HealthFacts => {
    const facts = healthyFacts();
    if (!facts.interfaces.ok) throw new Error();
    Object.assign(facts.interfaces.value.probes[0]!, change);
    return facts;
  };

  it("judges the e-bill service's signed status call like the other interfaces: a wrong key fails at the sign layer", () => {
    const facts = healthyFacts();
    expect(results("iface.service.reachable", facts)).toEqual([]); // not probed (a sandbox without its simulator)
    if (!facts.interfaces.ok) throw new Error("fixture");
    const probe = {
      name: "e-bill service",
      url: "http://127.0.0.1:18081/medical-web/api/medical",
      via: "direct",
      proofAsked: true,
      ms: 12,
    };
    facts.interfaces.value.probes.push({
      ...probe,
      verdict: "not-verified",
      layer: "sign",
      status: 200,
      evidence: "sign mismatch",
    });
    expect(only("iface.service.reachable", facts)).toMatchObject({ status: "fail", value: false });
    facts.interfaces.value.probes.pop();
    facts.interfaces.value.probes.push({
      ...probe,
      verdict: "verified",
      layer: "business",
      result: "E0404",
      evidence: "signed answer",
    });
    expect(only("iface.service.reachable", facts).status).toBe("ok");
  });

  it("only a verified answer is ok: unreachable and answers that prove nothing where a proof was asked fail", () => {
    expect(only("iface.fiscal.reachable", healthyFacts()).status).toBe("ok");
    expect(only("iface.fiscal.reachable", withFiscal({ verdict: "unreachable", layer: "tcp" })).status).toBe(
      "fail",
    );
    expect(
      only("iface.fiscal.reachable", withFiscal({ verdict: "not-verified", layer: "sign" })).status,
    ).toBe("fail");
    expect(
      only("iface.fiscal.reachable", withFiscal({ verdict: "not-probed", evidence: "outside" })).status,
    ).toBe("unknown");
    expect(only("iface.his.reachable", healthyFacts()).status).toBe("unknown");
  });

  it("an https interface's certificate is judged by days left; plain HTTP has no certificate result", () => {
    expect(
      only("iface.fiscal.tls-days-left", withFiscal({ certificateValidTo: "Jun 25 02:00:00 2026 GMT" })),
    ).toMatchObject({
      status: "fail",
      value: 10,
    });
    expect(results("iface.his.tls-days-left", healthyFacts())).toEqual([]);
    expect(only("iface.fiscal.latency", withFiscal({ ms: 3000 })).status).toBe("warn");
  });
});

describe("database", () => {
  const session = (o: Partial<DatabaseFactsSession>): DatabaseFactsSession => ({
    pid: 4242,
    user: "his",
    application: "HIS",
    client: "10.20.1.5",
    state: "active",
    transactionSeconds: null,
    stateSeconds: null,
    waitingForLock: false,
    statementSeconds: null,
    ...o,
  });
  type DatabaseFactsSession = ReturnType<typeof healthyDatabase>["sessions"][number];

  it("long transactions warn from 5 minutes and fail from 30, naming the session's program and address", () => {
    const warn = only("db.transactions.long", withDb({ sessions: [session({ transactionSeconds: 360 })] }));
    expect(warn).toMatchObject({ status: "warn", value: 360 });
    expect(warn.evidence).toContain("pid 4242");
    expect(warn.evidence).toContain("10.20.1.5");
    expect(
      only("db.transactions.long", withDb({ sessions: [session({ transactionSeconds: 2000 })] })).status,
    ).toBe("fail");
  });

  it("idle in transaction and lock waits are judged on their own ages", () => {
    const facts = withDb({
      sessions: [
        session({ state: "idle in transaction", transactionSeconds: 90, stateSeconds: 80 }),
        session({ pid: 7, waitingForLock: true, statementSeconds: 45, transactionSeconds: 45 }),
      ],
    });
    expect(only("db.idle-in-transaction", facts)).toMatchObject({ status: "warn", value: 80 });
    expect(only("db.locks.waiting", facts)).toMatchObject({ status: "warn", value: 45 });
  });

  it("sessions this account cannot see make 'none found' unknown (grant pg_monitor), never ok", () => {
    const r = only("db.transactions.long", withDb({ invisibleSessions: 3 }));
    expect(r.status).toBe("unknown");
    expect(r.advice).toContain("GRANT pg_monitor TO ebill");
    expect(
      only(
        "db.transactions.long",
        withDb({ invisibleSessions: 3, sessions: [session({ transactionSeconds: 4000 })] }),
      ).status,
    ).toBe("fail");
  });

  it("next year's partitions: not asked before 1 November, warn from it, fail from 1 December", () => {
    const at = (iso: string) => context(fixtureEnv(), new Date(iso));
    const facts = healthyFacts();
    expect(
      results("db.partitions.next-year", facts, at("2026-06-15T10:00:00+08:00")).map((f) => f.status),
    ).toEqual(["ok", "ok"]);
    expect(
      results("db.partitions.next-year", facts, at("2026-11-15T10:00:00+08:00")).map((f) => [
        f.target,
        f.status,
      ]),
    ).toEqual([
      ["bill_2027", "warn"],
      ["bill_detail_2027", "warn"],
    ]);
    expect(
      results("db.partitions.next-year", facts, at("2026-12-05T10:00:00+08:00")).map((f) => f.status),
    ).toEqual(["fail", "fail"]);
    // 1 November begins at midnight in the hospital's time zone, not in UTC.
    expect(results("db.partitions.next-year", facts, at("2026-10-31T17:00:00Z"))[0]!.status).toBe("warn");
    const present = withDb({
      partitions: [
        ...healthyDatabase().partitions,
        { table: "bill", partition: "bill_2027", years: [2027] },
        { table: "bill_detail", partition: "bill_detail_2027", years: [2027] },
      ],
    });
    expect(
      results("db.partitions.next-year", present, at("2026-12-05T10:00:00+08:00")).map((f) => f.status),
    ).toEqual(["ok", "ok"]);
  });

  it("days until a tablespace's disk is full: from the year's growth, or the previous inspection's", () => {
    const tablespace = (free: number) =>
      withDb({
        tablespaces: [
          {
            name: "ebill_2026",
            location: "/ts/2026",
            sizeBytes: 166e6,
            disk: { freeBytes: free, totalBytes: 100e9 },
          },
        ],
      });
    // 166 MB since 1 January (166 days, 15 June): about 1 MB a day.
    expect(only("db.tablespace.days-until-full", tablespace(50e9)).status).toBe("ok");
    expect(only("db.tablespace.days-until-full", tablespace(60e6))).toMatchObject({ status: "warn" });
    expect(only("db.tablespace.days-until-full", tablespace(20e6))).toMatchObject({ status: "fail" });
    const ctx = {
      ...context(),
      previous: {
        at: "2026-06-05T02:00:00.000Z",
        quarter: "2026Q1",
        tablespaces: [{ name: "ebill_2026", sizeBytes: 146e6 }],
      },
    };
    const r = only("db.tablespace.days-until-full", tablespace(60e6), ctx);
    // 20 MB in 10 days: 2 MB a day, 60 MB free: 30 days.
    expect(r).toMatchObject({ status: "fail", value: 30 });
    expect(r.evidence).toContain("上次巡检");
  });

  it("the backup age: unknown without maintenance.backup, else the latest backup's age and its last verification", () => {
    const undeclared = only("db.backup.age", healthyFacts());
    expect(undeclared.status).toBe("unknown");
    expect(undeclared.advice).toContain("maintenance.backup");

    const env = fixtureEnv((e) => {
      e.maintenance.backup = {
        host: "sbx-db",
        directory: "/var/backups/ebill",
        time: "02:30",
        retentionDays: 14,
        archive: true,
        recentDays: 7,
        maxAgeHours: 26,
      };
    });
    const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
    const judged = (backups: HealthFacts["backups"]) =>
      only("db.backup.age", { ...healthyFacts(), ...(backups ? { backups } : {}) }, context(env));
    const verified = (restorable: boolean) => ({ id: "20260614T180000Z", at: hoursAgo(10), restorable });
    const facts = (age: number, lastVerification: ReturnType<typeof verified> | null) => ({
      ok: true as const,
      value: { latest: { id: "20260614T180000Z", takenAt: hoursAgo(age) }, lastVerification },
    });
    expect(judged(facts(16, verified(true)))).toMatchObject({ status: "ok", value: 16, unit: "h" });
    expect(judged(facts(30, verified(true)))).toMatchObject({ status: "warn", value: 30 });
    expect(judged(facts(60, verified(true)))).toMatchObject({ status: "fail", value: 60 });
    expect(judged(facts(16, null))).toMatchObject({ status: "warn" });
    expect(judged(facts(16, null)).evidence).toContain("从未做过恢复验证");
    const broken = judged(facts(16, verified(false)));
    expect(broken).toMatchObject({ status: "fail" });
    expect(broken.advice).toContain("backup verify");
    expect(judged({ ok: true, value: { latest: null, lastVerification: null } })).toMatchObject({
      status: "fail",
    });
    expect(judged({ ok: false, reason: "ssh: connect refused" })).toMatchObject({ status: "unknown" });
    expect(judged(undefined).status).toBe("unknown");
  });

  it("dead rows and stale statistics of the bill tables", () => {
    const table = (o: Record<string, unknown>) =>
      withDb({ tables: [{ ...healthyDatabase().tables[0]!, ...o }] });
    expect(only("db.vacuum.dead-tuples", table({ liveRows: 70_000, deadRows: 30_000 }))).toMatchObject({
      status: "warn",
      value: 30,
    });
    expect(only("db.vacuum.dead-tuples", table({ liveRows: 10, deadRows: 90 })).status).toBe("ok");
    expect(
      only("db.vacuum.last", table({ modifiedSinceAnalyze: 50_000, lastAutoanalyze: null })).status,
    ).toBe("warn");
    expect(
      only("db.vacuum.last", table({ modifiedSinceAnalyze: 50_000, lastAutoanalyze: "2026-05-01T00:00:00Z" }))
        .status,
    ).toBe("fail");
    expect(only("db.xid.age", withDb({ xid: { database: "ebill", age: 1_200_000_000 } })).status).toBe(
      "warn",
    );
  });
});

describe("business", () => {
  const withBusiness = (
    change: (b: Extract<ReturnType<typeof healthyDatabase>["business"], { ok: true }>["value"]) => void,
  ) => {
    const db = healthyDatabase();
    if (!db.business.ok) throw new Error();
    change(db.business.value);
    return withDb(db);
  };

  it("judges the oldest bill not archived / pushed when the product records it, in hours since issue", () => {
    // NOW is the fixture's clock; the oldest open bill was issued 30 hours before it (local time).
    const nowLocal = localTimestamp(NOW, "Asia/Shanghai");
    const earlier = (hours: number) =>
      new Date(Date.parse(`${nowLocal.replace(" ", "T")}Z`) - hours * 3_600_000)
        .toISOString()
        .slice(0, 19)
        .replace("T", " ");
    const facts = withBusiness((b) => {
      b.delivery = { archiveOpen: 12, archiveOldest: earlier(30), pushOpen: 0, pushOldest: null };
    });
    const archive = only("biz.archive.oldest", facts);
    expect(archive).toMatchObject({ status: "fail", value: 30, unit: "小时" });
    expect(archive.evidence).toContain("12 张票据未归档");
    expect(archive.advice).toMatch(/ebill-ops diagnose archiving .*retry archive/);
    expect(only("biz.push.oldest", facts)).toMatchObject({ status: "ok", value: 0 });
    const recent = withBusiness((b) => {
      b.delivery = { archiveOpen: 1, archiveOldest: earlier(2), pushOpen: 1, pushOldest: earlier(0.5) };
    });
    expect(only("biz.archive.oldest", recent).status).toBe("warn");
    expect(only("biz.push.oldest", recent).status).toBe("ok");
  });

  it("stock with 3 days left at one point fails there, and only there", () => {
    const facts = withBusiness((b) => {
      b.recent.push({ place: "00000", billCode: "46060126", count: 50, voided: 0 });
      b.stock.push({
        place: "00000",
        billCode: "46060126",
        batch: "2026-01",
        first: "0000050001",
        last: "0000050505",
        purpose: "issue",
        enabled: true,
        used: 500,
      });
    });
    const found = results("biz.stock.days-left", facts);
    expect(found.find((f) => f.target === "00000/46060126")).toMatchObject({
      status: "fail",
      value: 3,
      risk: "高",
    });
    expect(found.filter((f) => f.status !== "ok").map((f) => f.target)).toEqual(["00000/46060126"]);
  });

  it("next year's pre-distributed stock does not count as this year's; a point issuing without stock has none", () => {
    const facts = withBusiness((b) => {
      b.billTypes.push({ code: "46060127", year: 2027, enabled: true });
      b.stock = b.stock.filter((s) => s.place !== "002");
      b.stock.push({
        place: "002",
        billCode: "46060127",
        batch: "2027-01",
        first: "0000000001",
        last: "0000100000",
        purpose: "issue",
        enabled: true,
        used: 0,
      });
    });
    expect(results("biz.stock.days-left", facts).find((f) => f.target === "002/46060226")).toMatchObject({
      status: "fail",
      value: 0,
    });
  });

  it("voids above 10 % fail; no bill for 24 hours after normal issuing warns", () => {
    expect(
      only(
        "biz.void.ratio",
        withBusiness((b) => (b.recent = [{ place: "001", billCode: "46060126", count: 100, voided: 12 }])),
      ),
    ).toMatchObject({ status: "fail", value: 12 });
    expect(
      only(
        "biz.bills.per-day",
        withBusiness((b) => (b.lastDay = 0)),
      ).status,
    ).toBe("warn");
    expect(
      only(
        "biz.bills.per-day",
        withBusiness((b) => ((b.lastDay = 0), (b.previous28Days = 0))),
      ).status,
    ).toBe("ok");
  });
});

describe("thresholds in the stack (maintenance.thresholds)", () => {
  it("default when not declared, and a partial declaration keeps every other default", () => {
    const input = sandboxInput();
    expect(Environment.parse(input).maintenance.thresholds).toEqual(THRESHOLD_DEFAULTS);
    input.maintenance = { thresholds: { diskUsedPercent: { warn: 70 } } };
    const t = Environment.parse(input).maintenance.thresholds;
    expect(t.diskUsedPercent).toEqual({ warn: 70, fail: 90 });
    expect(t.stockDaysLeft).toEqual(THRESHOLD_DEFAULTS.stockDaysLeft);
  });

  it("refuses limits in the wrong order and dates that are not MM-DD, with the path", () => {
    const bad = Thresholds.safeParse({
      diskUsedPercent: { warn: 95, fail: 90 },
      stockDaysLeft: { warn: 5, fail: 7 },
      nextYearPartitions: { warn: "11-1" },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(
      expect.arrayContaining(["diskUsedPercent", "stockDaysLeft", "nextYearPartitions.warn"]),
    );
  });

  it("webhooks: secrets only as references, names unique, the robots' default addresses", () => {
    const input = sandboxInput();
    input.maintenance = {
      notifications: [
        { kind: "wecom", name: "信息科", key: { secret: "WECOM_KEY" } },
        {
          kind: "dingtalk",
          name: "运维",
          accessToken: { secret: "DT_TOKEN" },
          secret: { secret: "DT_SECRET" },
        },
      ],
    };
    const hooks = Environment.parse(input).maintenance.notifications;
    expect(hooks.map((h) => h.url)).toEqual([
      "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
      "https://oapi.dingtalk.com/robot/send",
    ]);
    input.maintenance = {
      notifications: [
        { kind: "json", name: "a", url: "http://127.0.0.1:1/x" },
        { kind: "json", name: "a", url: "http://127.0.0.1:2/x" },
      ],
    };
    expect(Environment.safeParse(input).success).toBe(false);
    input.maintenance = { notifications: [{ kind: "wecom", name: "a", key: "plain-text-key" as never }] };
    expect(Environment.safeParse(input).success).toBe(false);
  });
});

describe("docs/inspection.md", () => {
  it("names every check id and every threshold with its default", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(new URL("../../docs/inspection.md", import.meta.url), "utf8");
    for (const c of CHECKS) expect(doc, c.id).toContain(`\`${c.id}\``);
    for (const [name, limit] of Object.entries(THRESHOLD_DEFAULTS)) {
      expect(doc, name).toContain(`\`${name}\``);
      // Written either way: 1000 or 1,000.
      const [warn, fail] = [limit.warn, limit.fail].map((v) =>
        typeof v === "number" ? `(${v}|${v.toLocaleString("en-US")})` : v,
      );
      expect(doc, `${name} defaults`).toMatch(
        new RegExp(`\`${name}\`[^|]*warn (from )?${warn}, fail (from )?${fail}`),
      );
    }
  });
});
