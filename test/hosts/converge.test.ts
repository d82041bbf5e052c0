/**
 * The hosts source against real namespace hosts over real SSH, one of each OS family: the app host
 * is a RedHat-family host (Kylin V10-shaped, dnf and rpm), the database and print hosts are Debian.
 * Plan (check mode) must predict exactly what apply does, each family must get its own files, a
 * hand edit on either family must show up in drift with its host and file, and a host that runs
 * another OS family than declared stops the plan.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../../src/model/environment.ts";
import { hostsSource, runSite } from "../../src/hosts/source.ts";
import { PROXY_BACKENDS, PROXY_MEMBERS_KIND } from "../../src/hosts/proxy.ts";
import { sshRun } from "../../src/sandbox/netns.ts";
import {
  SKIP_REASON,
  sandboxEnv,
  startTestHosts,
  TEST_SECRETS,
  testSubnet,
  type TestHostsContext,
  writeStackFile,
} from "./fixture.ts";
import { ebillOps } from "../harness/cli.ts";

const CONFIG = "/opt/ebill/conf/application.properties";

describe.skipIf(SKIP_REASON)("hosts over real SSH: converge and drift", () => {
  let ctx: TestHostsContext;

  beforeAll(async () => {
    const env = await sandboxEnv();
    env.hosts = env.hosts.map((h) => ({ ...h, os: h.name === "sbx-app" ? "kylin-v10" : "debian-12" }));
    ctx = await startTestHosts(env, testSubnet(1), `c${process.pid % 100000}`);
  }, 180_000);
  const file = (host: string, name: string) =>
    readFileSync(path.join(ctx.state.hosts.find((h) => h.name === host)!.root, name), "utf8");
  afterAll(() => ctx?.cleanup());

  it("check, apply, check again: no changes left, and the app configuration holds the declared endpoints", async () => {
    const { env, state } = ctx;
    expect(await hostsSource.available(env)).toEqual({ ok: true });

    const first = await hostsSource.plan(env);
    const config = first.changes.find((c) => c.id === `sbx-app${CONFIG}`);
    expect(config, "the app configuration file is a planned change").toMatchObject({
      kind: "host.appConfig",
      action: "create",
    });
    expect(String(config!.after!.content)).toContain(`fiscal.url=${env.interfaces.fiscal.url}`);
    const hosts = new Set(first.changes.map((c) => c.id.split("/")[0]));
    expect([...hosts].sort()).toEqual(["sbx-app", "sbx-db", "sbx-print"]);
    expect(first.changes.map((c) => c.id)).toContain("sbx-db/var/lib/ebill/tablespaces/2026");
    expect(first.changes.map((c) => c.id)).toContain("sbx-print/etc/ebill-print/print.conf");
    const planText = JSON.stringify(first);
    for (const value of Object.values(TEST_SECRETS)) expect(planText).not.toContain(value);
    // sbx-app is also the proxy: it is to send requests to every app host (itself).
    const appHost = env.hosts.find((h) => h.name === "sbx-app")!;
    expect(first.changes).toContainEqual(
      expect.objectContaining({
        kind: PROXY_MEMBERS_KIND,
        id: `sbx-app${PROXY_BACKENDS}`,
        action: "create",
        after: { backends: [`${appHost.address}:${env.app.port}`] },
      }),
    );

    await hostsSource.apply(env, first.changes, { allowDestroy: false, expectedLiveHash: first.liveHash });
    expect(file("sbx-app", PROXY_BACKENDS)).toBe(`${appHost.address}:${env.app.port}\n`);

    const second = await hostsSource.plan(env);
    expect(second.changes, "check mode after apply finds nothing to do").toEqual([]);
    // And apply agrees with check mode: running it for real changes nothing either.
    const again = await runSite(env, { check: false });
    expect(again.changes, "apply after a clean check changes nothing").toEqual([]);
    expect(again.warnings, "the signature probe reached the stand-in and its certificate is valid").toEqual(
      [],
    );

    const app = state.hosts.find((h) => h.name === "sbx-app")!;
    const written = readFileSync(path.join(app.root, CONFIG), "utf8");
    expect(written).toContain(`his.url=${env.interfaces.his.url}`);
    expect(written).toContain(`fiscal.url=${env.interfaces.fiscal.url}`);
    expect(written).toContain(`fiscal.appid=${env.interfaces.fiscal.appId}`);
    expect(written).toContain(`push.url=${env.interfaces.push!.url}`);
    expect(written).toContain("push.channels=sms,email");
    for (const value of Object.values(TEST_SECRETS)) expect(written).not.toContain(value);
    const secretsFile = path.join(app.root, "/opt/ebill/conf/secrets.properties");
    expect(readFileSync(secretsFile, "utf8")).toContain(`fiscal.appkey=${TEST_SECRETS.FISCAL_APP_KEY}`);
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);

    // Each family got its own files: RedHat paths and firewalld on the app host, Debian's on the others.
    expect(file("sbx-app", "/etc/chrony.conf")).toContain("driftfile /var/lib/chrony/drift");
    const zone = file("sbx-app", "/etc/firewalld/zones/ebill.xml");
    for (const port of [22, 80, 443, env.app.port])
      expect(zone).toContain(`<port protocol="tcp" port="${port}"/>`);
    expect(file("sbx-app", "/etc/firewalld/firewalld.conf")).toMatch(/^DefaultZone=ebill$/m);
    expect(file("sbx-app", "/etc/ssh/sshd_config").split("\n")[0]).toBe(
      "Include /etc/ssh/sshd_config.ebill-hardening.conf",
    );
    expect(file("sbx-app", "/etc/ssh/sshd_config.ebill-hardening.conf")).toContain("PermitRootLogin no");
    for (const pam of ["/etc/pam.d/system-auth", "/etc/pam.d/password-auth"])
      expect(file("sbx-app", pam)).toMatch(
        /pam_faillock\.so preauth[^]*pam_unix\.so[^]*pam_faillock\.so authfail/,
      );
    expect(file("sbx-app", "/etc/nftables.conf"), "no nftables rules beside firewalld").not.toContain(
      `tcp dport ${env.app.port}`,
    );
    expect(file("sbx-db", "/etc/chrony/chrony.conf")).toContain("driftfile /var/lib/chrony/chrony.drift");
    expect(file("sbx-db", "/etc/nftables.conf")).toContain(`tcp dport ${env.database.port} accept`);
    expect(file("sbx-db", "/etc/pam.d/common-auth")).toMatch(
      /pam_faillock\.so preauth[^]*pam_unix\.so[^]*pam_faillock\.so authfail/,
    );
    expect(file("sbx-db", "/etc/ssh/sshd_config.d/50-ebill-hardening.conf")).toContain("PermitRootLogin no");

    const health = sshRun(
      state,
      "sbx-app",
      "python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8081/medical-web/health').read().decode())\"",
    );
    expect(health.trim()).toBe(`UP ${env.app.version}`);
  }, 600_000);

  it("hand edits on a host of each family show in drift, naming each host and file", async () => {
    const { env, state, dir } = ctx;
    sshRun(state, "sbx-app", `sed -i 's#^fiscal.url=.*#fiscal.url=http://10.9.9.9/hand-edited#' ${CONFIG}`);
    sshRun(state, "sbx-db", "echo 'server 10.9.9.9 iburst' >> /etc/chrony/chrony.conf");
    // As an apply stopped between taking the app host out of the proxy and putting it back leaves it.
    sshRun(state, "sbx-app", `: > ${PROXY_BACKENDS}`);

    // The CLI on a copy of the stack without database parts, so only the hosts are compared.
    const hostsOnly = structuredClone(env) as Record<string, unknown>;
    for (const kind of DATABASE_KINDS) delete hostsOnly[kind];
    delete hostsOnly.printComponents;
    const stackFile = writeStackFile(dir, hostsOnly as unknown as typeof env);
    const result = await ebillOps(["drift", "--stack", stackFile, "--json"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toContain(`sbx-app${CONFIG}`);
    expect(result.stdout).toContain("http://10.9.9.9/hand-edited");
    expect(result.stdout).toContain("sbx-db/etc/chrony/chrony.conf");
    expect(result.stdout).toContain("server 10.9.9.9 iburst");
    expect(result.stdout).toContain(`sbx-app${PROXY_BACKENDS}`);
    expect(result.stdout).toContain(PROXY_MEMBERS_KIND);
    const report = JSON.parse(result.stdout) as unknown;
    const mentioned = JSON.stringify(report).match(/sbx-(app|db|print)\//g) ?? [];
    expect(new Set(mentioned), "only the edited hosts drifted").toEqual(new Set(["sbx-app/", "sbx-db/"]));
    for (const value of Object.values(TEST_SECRETS))
      expect(result.stdout + result.stderr).not.toContain(value);
  }, 300_000);

  it("a host running another OS family than its stack declares stops the plan, naming both", async () => {
    const wrong = structuredClone(ctx.env);
    wrong.hosts = wrong.hosts.map((h) => (h.name === "sbx-db" ? { ...h, os: "openeuler-22.03" } : h));
    const run = runSite(wrong, { check: true, limit: ["sbx-db"] });
    await expect(run).rejects.toThrow(/sbx-db.*declares openeuler-22\.03 \(RedHat family\).*runs Debian/s);
    await expect(run).rejects.toThrow(/nothing was changed/);
  }, 120_000);
});
