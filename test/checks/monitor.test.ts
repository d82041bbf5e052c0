/**
 * The monitor's memory and messages: changes of state between runs, one message per webhook and
 * run with changes (none without), the robots' formats and DingTalk's signature, a message that
 * could not be delivered kept and sent once later. Webhooks are a receiver on 127.0.0.1; the runs
 * are built from hand-written facts (the real collectors are exercised in database.test.ts and
 * hosts.test.ts).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateChecks } from "../../src/checks/library.ts";
import type { HealthFacts } from "../../src/checks/facts.ts";
import { dingtalkSign, eventsMarkdown, WECOM_MAX_BYTES } from "../../src/checks/monitor/messages.ts";
import { monitor } from "../../src/checks/monitor/monitor.ts";
import { deliver } from "../../src/checks/monitor/send.ts";
import { emptyState, readState } from "../../src/checks/monitor/state.ts";
import { transitions, type MonitorEvent } from "../../src/checks/monitor/transitions.ts";
import type { HealthRun } from "../../src/checks/run.ts";
import type { Environment } from "../../src/model/environment.ts";
import { context, fixtureEnv, healthyApp, healthyFacts, NOW } from "./fixture.ts";
import { dingtalkSignatureValid, startReceiver, type Receiver } from "./receiver.ts";

const SECRETS = {
  TEST_WECOM_KEY: "wecom-key-3f9a1c",
  TEST_DINGTALK_TOKEN: "dt-token-77b2e0",
  TEST_DINGTALK_SECRET: "SECb1d9e4f0a7c3e5d2",
  TEST_HOOK_TOKEN: "json-token-5e8d21",
};

function runAt(at: Date, facts: HealthFacts, env: Environment): HealthRun {
  return {
    at,
    quick: true,
    facts,
    findings: evaluateChecks(facts, context(env, at), { quick: true }),
    seconds: { hosts: 1, database: 1, interfaces: 1, total: 1 },
  };
}

function serviceStopped(): HealthFacts {
  const facts = healthyFacts();
  if (!facts.hosts.ok) throw new Error("fixture");
  facts.hosts.value.hosts[0]!.health = healthyApp({
    services: [{ name: "ebill-app", active: false, how: "ebill-appctl status", detail: "exit 1" }],
    appHealth: {
      url: "http://127.0.0.1:8081/medical-web/health",
      status: null,
      ms: 2,
      failure: "Connection refused",
    },
  });
  return facts;
}

describe("changes of state (pure)", () => {
  const env = fixtureEnv();
  const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

  it("first run: a healthy system says nothing; a problem present from the start is told once", () => {
    expect(transitions(emptyState("sandbox"), runAt(NOW, healthyFacts(), env).findings, NOW).events).toEqual(
      [],
    );
    const first = transitions(emptyState("sandbox"), runAt(NOW, serviceStopped(), env).findings, NOW);
    expect(first.events.map((e) => [e.id, e.target, e.from, e.to])).toEqual([
      ["host.service.active", "sbx-app:ebill-app", "ok", "fail"],
      ["app.health", "sbx-app", "ok", "fail"],
    ]);
    expect(
      transitions(first.state, runAt(minutes(15), serviceStopped(), env).findings, minutes(15)).events,
    ).toEqual([]);
  });

  it("recovery tells how long the problem lasted; unknown keeps the last known state", () => {
    const down = transitions(emptyState("sandbox"), runAt(NOW, serviceStopped(), env).findings, NOW).state;
    // The host stops answering: its checks become unknown, which neither recovers nor repeats them.
    const silent = healthyFacts();
    if (!silent.hosts.ok) throw new Error();
    silent.hosts.value.hosts[0] = { ...silent.hosts.value.hosts[0]!, answered: false, reason: "timeout" };
    const unreachable = transitions(down, runAt(minutes(15), silent, env).findings, minutes(15));
    expect(unreachable.events.map((e) => [e.id, e.to])).toEqual([["host.reachable", "fail"]]);
    const back = transitions(
      unreachable.state,
      runAt(minutes(47), healthyFacts(), env).findings,
      minutes(47),
    );
    const recovered = back.events.find((e) => e.id === "app.health")!;
    expect([recovered.from, recovered.to, recovered.durationMs]).toEqual(["fail", "ok", 47 * 60_000]);
    expect(back.events.find((e) => e.id === "host.reachable")).toMatchObject({
      from: "fail",
      to: "ok",
      durationMs: 32 * 60_000,
    });
  });
});

describe("messages", () => {
  const event = (i: number): MonitorEvent => ({
    id: "host.disk.used",
    target: `host-${i}:/data`,
    title: "磁盘使用率",
    from: "ok",
    to: i % 3 === 0 ? "ok" : "fail",
    at: NOW.toISOString(),
    since: NOW.toISOString(),
    durationMs: 3_600_000,
    evidence: "已用 95 GiB，可用 5 GiB（/dev/vdb，xfs）".repeat(3),
    advice: "清理旧日志或扩容该卷",
  });
  const ctx = { hospital: "沙箱演示医院", stack: "sandbox", timeZone: "Asia/Shanghai", at: NOW, open: 40 };

  it("WeCom markdown stays within 4096 bytes and says how many changes it left out", () => {
    const events = Array.from({ length: 60 }, (_, i) => event(i));
    const text = eventsMarkdown(ctx, events, { maxBytes: WECOM_MAX_BYTES, colour: true });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(WECOM_MAX_BYTES);
    const shown = (text.match(/^> \*\*/gm) ?? []).length;
    expect(shown).toBeGreaterThan(3);
    expect(text).toContain(`另有 ${60 - shown} 项未列出`);
    expect(text).toContain('<font color="warning">**故障');
    expect(text).toContain("2026-06-15 10:00");
  });

  it("DingTalk's signature is the URL-encoded base64 HMAC-SHA256 of 'timestamp\\nsecret'", () => {
    const sign = dingtalkSign("SEC000", 1_700_000_000_000);
    expect(decodeURIComponent(sign)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(
      dingtalkSignatureValid(
        new URLSearchParams({ timestamp: "1700000000000", sign: decodeURIComponent(sign) }),
        "SEC000",
        1_700_000_000_000,
      ),
    ).toBe(true);
    expect(
      dingtalkSignatureValid(
        new URLSearchParams({ timestamp: "1700000000000", sign: decodeURIComponent(sign) }),
        "SEC001",
        1_700_000_000_000,
      ),
    ).toBe(false);
  });
});

describe("the state file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ebill-monitor-state-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("missing: an empty state; not a state or another stack's: refused, naming the file", async () => {
    expect(await readState(path.join(dir, "none.json"), "sandbox")).toEqual(emptyState("sandbox"));
    await writeFile(path.join(dir, "bad.json"), "{ not json");
    await expect(readState(path.join(dir, "bad.json"), "sandbox")).rejects.toThrow(
      /bad\.json is not a monitor state/,
    );
    await writeFile(path.join(dir, "other.json"), JSON.stringify(emptyState("lingshui-prod")));
    await expect(readState(path.join(dir, "other.json"), "sandbox")).rejects.toThrow(
      /of stack lingshui-prod, not sandbox/,
    );
  });
});

describe("notifications to webhooks on 127.0.0.1", () => {
  let receiver: Receiver;
  let dir: string;
  let env: Environment;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = await startReceiver();
    dir = await mkdtemp(path.join(os.tmpdir(), "ebill-monitor-"));
    Object.assign(process.env, SECRETS);
    env = fixtureEnv((e) => {
      e.maintenance.notifications = [
        {
          kind: "wecom",
          name: "信息科运维群",
          url: `${receiver.url}/cgi-bin/webhook/send`,
          key: { secret: "TEST_WECOM_KEY" },
        },
        {
          kind: "dingtalk",
          name: "值班群",
          url: `${receiver.url}/robot/send`,
          accessToken: { secret: "TEST_DINGTALK_TOKEN" },
          secret: { secret: "TEST_DINGTALK_SECRET" },
        },
        {
          kind: "json",
          name: "告警网关",
          url: `${receiver.url}/alerts`,
          token: { secret: "TEST_HOOK_TOKEN" },
        },
      ];
    });
  });
  afterAll(async () => {
    for (const k of Object.keys(SECRETS)) if (saved[k] === undefined) delete process.env[k];
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("one message per webhook per change of state, none while nothing changes; a failed delivery is sent once, later", async () => {
    const stateFile = path.join(dir, "state", "sandbox.json");
    const at = (m: number) => new Date(NOW.getTime() + m * 60_000);
    const clockMs = () => Date.now();
    const step = (m: number, facts: HealthFacts) =>
      monitor(env, { notify: true, stateFile, clockMs, run: runAt(at(m), facts, env) });

    await step(0, healthyFacts());
    expect(receiver.received, "a healthy first run sends nothing").toEqual([]);

    const down = await step(15, serviceStopped());
    expect(down.deliveries.map((d) => d.error)).toEqual([undefined, undefined, undefined]);
    expect(receiver.received.map((r) => r.path)).toEqual(["/cgi-bin/webhook/send", "/robot/send", "/alerts"]);
    const [wecom, dingtalk, json] = receiver.received;
    expect(wecom!.query.get("key")).toBe(SECRETS.TEST_WECOM_KEY);
    const content = (wecom!.body as { msgtype: string; markdown: { content: string } }).markdown.content;
    expect((wecom!.body as { msgtype: string }).msgtype).toBe("markdown");
    expect(content).toContain("故障 2 项");
    expect(content).toContain("app.health");
    expect(content).toContain("sbx-app:ebill-app");
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(dingtalk!.query.get("access_token")).toBe(SECRETS.TEST_DINGTALK_TOKEN);
    expect(dingtalkSignatureValid(dingtalk!.query, SECRETS.TEST_DINGTALK_SECRET, Date.now())).toBe(true);
    expect(dingtalk!.body).toMatchObject({
      msgtype: "markdown",
      markdown: { title: expect.stringContaining("2 项状态变化") },
    });
    expect(json!.headers.authorization).toBe(`Bearer ${SECRETS.TEST_HOOK_TOKEN}`);
    expect(
      (json!.body as { events: { id: string; from: string; to: string }[] }).events.map((e) => [
        e.id,
        e.from,
        e.to,
      ]),
    ).toEqual([
      ["host.service.active", "ok", "fail"],
      ["app.health", "ok", "fail"],
    ]);

    await step(30, serviceStopped());
    expect(receiver.received, "nothing changed: nothing sent").toHaveLength(3);

    // The robots are down when the service recovers: the change waits in the state's outbox.
    receiver.failing = true;
    const undelivered = await step(62, healthyFacts());
    expect(undelivered.deliveries.every((d) => d.error?.includes("HTTP 500"))).toBe(true);
    expect(JSON.stringify(undelivered.deliveries)).not.toContain(SECRETS.TEST_WECOM_KEY);
    const kept = JSON.parse(await readFile(stateFile, "utf8")) as { outbox: Record<string, unknown[]> };
    expect(Object.values(kept.outbox).map((events) => events.length)).toEqual([2, 2, 2]);
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);

    receiver.failing = false;
    await step(75, healthyFacts());
    expect(receiver.received).toHaveLength(6);
    const recovery = (receiver.received[3]!.body as { markdown: { content: string } }).markdown.content;
    expect(recovery).toContain("恢复 2 项");
    expect(recovery).toContain("此前故障持续 47 分钟");
    await step(90, healthyFacts());
    expect(receiver.received, "delivered once, not again").toHaveLength(6);
  });

  it("a sandbox stack's webhook off this machine is refused before anything is sent", async () => {
    const hook = {
      kind: "wecom" as const,
      name: "real group",
      url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
      key: { secret: "TEST_WECOM_KEY" },
    };
    await expect(
      deliver({ kind: "sandbox" }, hook, {
        url: `${hook.url}?key=${SECRETS.TEST_WECOM_KEY}`,
        headers: {},
        body: "{}",
      }),
    ).rejects.toThrow(/real group \(wecom, qyapi\.weixin\.qq\.com\): not sent: .*outside this machine/);
  });
});
