/**
 * Probes prove the service, not the path, and a sandbox stack's probes never leave this machine.
 * Stand-ins run on 127.0.0.1; addresses elsewhere are only ever asked about, never sent to.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  networkScope,
  probe,
  routeFor,
  STATUS_CALL,
  type NetworkScope,
  type ProbeTarget,
} from "../../src/probe/probe.ts";
import { evaluateReadiness } from "../../src/rollover/readiness.ts";
import { check } from "../../src/rollover/check.ts";
import { tempRepo } from "./helpers.ts";
import { fixtureEnv } from "./fixture-env.ts";
import { signedStandIn, type StandIn } from "./stand-ins.ts";
import { outputSync } from "../../src/base/exec.ts";

const KEY = "0123456789abcdef0123456789";
const machineOnly: NetworkScope = { machineOnly: true, noNamespace: "no namespace hosts are up" };
const anywhere: NetworkScope = { machineOnly: false };

const signed = (url: string, appKey = KEY): ProbeTarget => ({
  name: "fiscal platform",
  url,
  timeoutMs: 2000,
  proof: { kind: "signed-call", appId: "TESTYY0000001", appKey, ...STATUS_CALL },
});
const plain = (url: string): ProbeTarget => ({ name: "HIS", url, timeoutMs: 2000, proof: { kind: "none" } });

let standIn: StandIn;
beforeAll(async () => {
  standIn = await signedStandIn(KEY);
});
afterAll(() => standIn?.close());

describe("what counts as the service", () => {
  it("a 404 from whoever answers is not verified, never ok", async () => {
    const answered = await probe(plain(`${standIn.url}/his`), machineOnly);
    expect(answered).toMatchObject({ verdict: "not-verified", status: 404, via: "direct" });
    // Where a signed answer was due, the same 404 says: this is not the service.
    const wrongPath = await probe(signed(`${standIn.url}/elsewhere`), machineOnly);
    expect(wrongPath).toMatchObject({ verdict: "not-verified", layer: "http", status: 404 });

    const items = evaluateReadiness({
      env: fixtureEnv("sandbox"),
      stack: "fixture",
      year: fixtureEnv("sandbox").hospital.fiscalYear + 1,
      today: "2000-01-01",
      live: null,
      lastYearUsage: [],
      lastYearDays: 1,
      thisYearRuns: [],
      stockDays: 31,
      probes: [answered, { ...wrongPath, name: "push" }],
      disk: {},
    }).items.filter((i) => i.area === "interfaces");
    expect(items.map((i) => [i.id, i.status])).toEqual([
      ["endpoint/HIS", "unknown"],
      ["endpoint/push", "missing"],
    ]);
    expect(items[0]!.detail).toMatch(/answered HTTP 404.*not verified/);
  });

  it("a correctly signed answer verifies; one signed with another key does not", async () => {
    const good = await probe(signed(`${standIn.url}/fiscal`), machineOnly);
    expect(good).toMatchObject({ verdict: "verified", layer: "business", result: "S0000" });
    expect(standIn.seen).toContain(`POST /fiscal/${STATUS_CALL.method}`);
    const wrongKey = await probe(signed(`${standIn.url}/fiscal`, "another-key-0000000000000"), machineOnly);
    expect(wrongKey).toMatchObject({ verdict: "not-verified", layer: "sign" });
    expect(JSON.stringify([good, wrongKey])).not.toContain(KEY);
  });

  it("nothing listening is unreachable; a proof that cannot be made is not sent", async () => {
    const port = await closedPort();
    expect(await probe(plain(`http://127.0.0.1:${port}/his`), machineOnly)).toMatchObject({
      verdict: "unreachable",
      layer: "tcp",
    });
    const noKey = await probe(
      { ...plain(standIn.url), proof: { kind: "unavailable", reason: "secret FISCAL_APP_KEY is not set" } },
      machineOnly,
    );
    expect(noKey).toMatchObject({ verdict: "not-probed", via: "not sent" });
  });
  it("a TLS certificate this machine does not trust proves nothing", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ebill-tls-"));
    const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    outputSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_q, r) =>
      r.end("ok"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const result = await probe(
        {
          name: "HIS",
          url: `https://localhost:${port}/his`,
          timeoutMs: 2000,
          proof: { kind: "tls-certificate" },
        },
        machineOnly,
      );
      expect(result).toMatchObject({ verdict: "not-verified", layer: "tls" });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("where a sandbox stack's probes may go", () => {
  it("refuses a test-host address when no namespace is up, without sending anything", async () => {
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    try {
      const results = await Promise.all([
        probe(signed("http://10.231.0.11:9091/fiscal"), machineOnly),
        probe(plain("http://10.231.0.11:9090/his"), machineOnly),
        probe(plain("http://192.0.2.10:8080/his"), machineOnly),
        probe(plain("http://his.hospital.example/his"), machineOnly),
      ]);
      expect(results.map((r) => [r.verdict, r.via])).toEqual(Array(4).fill(["not-probed", "not sent"]));
      expect(results[0]!.evidence).toMatch(
        /sandbox hosts are not up.*nothing was sent to 10\.231\.0\.11:9091/,
      );
      expect(results[2]!.evidence).toMatch(/outside this machine/);
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });

  it("rollover check of the sandbox with its hosts down says so and connects to nothing off 127.0.0.1", async () => {
    const repo = await tempRepo(); // the sandbox stack as shipped: interfaces on 10.231.0.11
    const saved = { ...process.env };
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    try {
      Object.assign(process.env, {
        EBILL_OPS_HOSTS_STATE: "/nonexistent/state.json",
        FISCAL_APP_KEY: KEY,
        // The database is tried (and refused) on 127.0.0.1: the one connection expected.
        EBILL_DB_PASSWORD: "not-a-real-password",
        EBILL_SANDBOX_PG_PORT: String(await closedPort()),
      });
      const report = await check({ stack: repo.stack, year: 2099 });
      const endpoints = report.items.filter((i) => i.area === "interfaces");
      expect(endpoints.length).toBeGreaterThan(0);
      for (const item of endpoints) {
        expect(item.status).toBe("unknown");
        expect(item.detail).toMatch(/^not probed: the sandbox hosts are not up/);
      }
      const targets = connect.mock.calls.map((args) => JSON.stringify(args));
      // The spy sees connections (the database's, on 127.0.0.1), and none went anywhere else.
      expect(targets.some((t) => t.includes("127.0.0.1"))).toBe(true);
      expect(targets.filter((t) => !/127\.0\.0\.1|localhost/.test(t))).toEqual([]);
    } finally {
      connect.mockRestore();
      process.env = saved;
      await repo.remove();
    }
  });

  it("allows loopback directly (localhost pinned to 127.0.0.1, no DNS) and namespace hosts inside their namespace", () => {
    expect(routeFor(machineOnly, "http://127.0.0.1:9/x")).toEqual({ via: "direct", address: "127.0.0.1" });
    expect(routeFor(machineOnly, "http://[::1]:9/x")).toEqual({ via: "direct", address: "::1" });
    expect(routeFor(machineOnly, "http://localhost:9/x")).toEqual({ via: "direct", address: "127.0.0.1" });
    const up: NetworkScope = {
      machineOnly: true,
      namespace: { netns: "ebill-sbx-ctl", stateFile: "/x/state.json", addresses: ["10.231.0.11"] },
    };
    expect(routeFor(up, "http://10.231.0.11:9091/fiscal")).toEqual({
      via: "namespace",
      netns: "ebill-sbx-ctl",
    });
    expect(routeFor(up, "http://10.231.0.99:9091/fiscal")).toMatchObject({ via: "refused" });
    // A hospital's own stacks probe their own network.
    expect(routeFor(anywhere, "http://10.46.1.200:7002/x")).toEqual({ via: "direct" });
  });

  it("reads hosts that are not up from the hosts state: none, or a namespace that is gone", () => {
    const saved = process.env.EBILL_OPS_HOSTS_STATE;
    try {
      process.env.EBILL_OPS_HOSTS_STATE = "/nonexistent/state.json";
      expect(networkScope({ kind: "sandbox" })).toMatchObject({
        machineOnly: true,
        noNamespace: expect.stringContaining("sandbox-hosts up"),
      });
      expect(networkScope({ kind: "sandbox" }).namespace).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.EBILL_OPS_HOSTS_STATE;
      else process.env.EBILL_OPS_HOSTS_STATE = saved;
    }
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
