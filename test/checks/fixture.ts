/**
 * Facts of a healthy sandbox, written by hand, for the checks' table tests: each test breaks one
 * thing in a fresh copy and looks at what the checks say. The environment is the tests' own
 * sandbox-shaped stack (test/fixtures/stacks/sandbox.ts), the date pinned.
 */
import type { DatabaseFacts, HealthFacts, HostHealth } from "../../src/checks/facts.ts";
import type { HealthContext } from "../../src/checks/judge.ts";
import type { Environment } from "../../src/model/environment.ts";
import { parsed, sandboxInput } from "../config/fixtures.ts";

/** 2026-06-15 10:00 in Hainan. */
export const NOW = new Date("2026-06-15T10:00:00+08:00");
const NOW_S = NOW.getTime() / 1000;

export function fixtureEnv(mutate: (env: Environment) => void = () => {}): Environment {
  const env = parsed(sandboxInput());
  mutate(env);
  return env;
}

export function context(env = fixtureEnv(), now = NOW): HealthContext {
  return { now, env, thresholds: env.maintenance.thresholds };
}

export function healthyHost(overrides: Partial<HostHealth> = {}): HostHealth {
  return {
    quick: false,
    load: { load1: 0.5, load5: 0.4, load15: 0.3, cores: 4 },
    memory: { totalBytes: 8e9, availableBytes: 6e9, swapTotalBytes: 2e9, swapFreeBytes: 2e9 },
    mounts: [
      {
        mount: "/",
        device: "/dev/vda1",
        fstype: "ext4",
        sizeBytes: 100e9,
        usedBytes: 30e9,
        availableBytes: 65e9,
        inodes: 6_000_000,
        inodesUsed: 300_000,
      },
    ],
    clock: {
      hostTime: NOW_S,
      offsetFromController: 0.2,
      chrony: { source: "ntp.ntsc.ac.cn", stratum: 2, offset: 0.002 },
    },
    sshd: {
      expected: { permitrootlogin: "no", passwordauthentication: "no" },
      actual: { permitrootlogin: "no", passwordauthentication: "no" },
    },
    services: [],
    securityUpdates: { count: 0, packages: [] },
    rebootRequired: { required: false },
    failedLogins: { count: 2, source: "/var/log/auth.log", hours: 24 },
    ...overrides,
  };
}

export function healthyApp(overrides: Partial<HostHealth> = {}): HostHealth {
  return healthyHost({
    services: [{ name: "ebill-app", active: true, how: "systemctl is-active", detail: "active" }],
    appHealth: { url: "http://127.0.0.1:8081/medical-web/health", status: 200, ms: 12, body: "UP 1.0.3" },
    appLog: { dir: "/opt/ebill/logs", files: ["/opt/ebill/logs/app.log"], errors: 0, samples: [], hours: 24 },
    signature: {
      address: "10.231.0.13",
      port: 9443,
      reachable: true,
      connectMs: 2,
      handshakeMs: 9,
      notAfter: "Jun 15 02:00:00 2027 GMT",
      notAfterEpoch: Date.parse("2027-06-15T02:00:00Z") / 1000,
      subject: "CN = signature",
    },
    ...overrides,
  });
}

export function healthyDatabase(overrides: Partial<DatabaseFacts> = {}): DatabaseFacts {
  return {
    version: "PostgreSQL 17",
    database: "ebill",
    sizeBytes: 50e6,
    dataDirectory: "/var/lib/postgresql/data",
    tablespaces: [
      {
        name: "ebill_2026",
        location: "/var/lib/ebill/tablespaces/2026",
        sizeBytes: 20e6,
        disk: { freeBytes: 50e9, totalBytes: 100e9 },
      },
    ],
    connections: { used: 5, max: 100, reserved: 3 },
    sessions: [],
    invisibleSessions: 0,
    tables: [
      {
        name: "bill_2026",
        liveRows: 100_000,
        deadRows: 500,
        modifiedSinceAnalyze: 100,
        lastVacuum: null,
        lastAutovacuum: "2026-06-14T20:00:00Z",
        lastAnalyze: null,
        lastAutoanalyze: "2026-06-14T20:00:00Z",
      },
    ],
    xid: { database: "ebill", age: 1_000_000 },
    partitions: [
      { table: "bill", partition: "bill_2026", years: [2026] },
      { table: "bill_detail", partition: "bill_detail_2026", years: [2026] },
    ],
    business: {
      ok: true,
      value: {
        billTypes: [
          { code: "46060126", year: 2026, enabled: true },
          { code: "46060226", year: 2026, enabled: true },
        ],
        points: [
          { code: "001", name: "门诊收费处", enabled: true },
          { code: "002", name: "住院收费处", enabled: true },
          { code: "00000", name: "自助机", enabled: true },
        ],
        recent: [
          { place: "001", billCode: "46060126", count: 300, voided: 6 },
          { place: "002", billCode: "46060226", count: 60, voided: 1 },
        ],
        lastDay: 12,
        previous28Days: 330,
        stock: [
          {
            place: "001",
            billCode: "46060126",
            batch: "2026-01",
            first: "0000000001",
            last: "0000050000",
            purpose: "issue",
            enabled: true,
            used: 2500,
          },
          {
            place: "002",
            billCode: "46060226",
            batch: "2026-01",
            first: "0000000001",
            last: "0000010000",
            purpose: "issue",
            enabled: true,
            used: 500,
          },
        ],
      },
    },
    roundTrips: 2,
    ...overrides,
  };
}

export function healthyFacts(): HealthFacts {
  return {
    hosts: {
      ok: true,
      value: {
        hosts: [
          {
            name: "sbx-app",
            address: "10.231.0.11",
            roles: ["app", "proxy"],
            answered: true,
            health: healthyApp(),
            answeredBy: NOW_S + 1,
          },
          {
            name: "sbx-db",
            address: "10.231.0.12",
            roles: ["db", "file"],
            answered: true,
            health: healthyHost(),
            answeredBy: NOW_S + 1,
          },
        ],
        notManaged: [],
        seconds: 2,
      },
    },
    database: { ok: true, value: healthyDatabase() },
    interfaces: {
      ok: true,
      value: {
        probes: [
          {
            name: "fiscal platform",
            url: "https://10.231.0.11:9091/fiscal",
            verdict: "verified",
            layer: "business",
            via: "direct",
            proofAsked: true,
            status: 200,
            result: "S0000",
            ms: 40,
            evidence: "signed answer",
            certificateValidTo: "Dec 31 00:00:00 2026 GMT",
          },
          {
            name: "HIS",
            url: "http://10.231.0.11:9090/his",
            verdict: "not-verified",
            layer: "http",
            via: "direct",
            proofAsked: false,
            status: 200,
            ms: 15,
            evidence: "answered HTTP 200; a plain HTTP answer does not show who answered",
          },
        ],
      },
    },
  };
}
