/**
 * The hosts part's apply without an outage: app hosts whose changes restart the e-bill service are
 * applied one at a time, after the hosts whose service does not restart; a failed host stops the
 * roll. (The same over real hosts behind a proxy, with a client calling through it: test/upgrade/rolling.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { HostsConnection } from "../../src/hosts/connection.ts";
import { PROXY_MEMBERS_KIND, proxyMembersChange } from "../../src/hosts/proxy.ts";
import { applyRolling, restartingAppHosts } from "../../src/hosts/rolling.ts";
import type { Change } from "../../src/plan/types.ts";
import { parsed, sandboxInput } from "../config/fixtures.ts";

/** Two app hosts and no proxy host (nothing to drain, so no SSH). */
function twoAppHosts() {
  const input = sandboxInput();
  input.hosts = [
    ...input.hosts!.map((h) => (h.name === "sbx-app" ? { ...h, roles: ["app" as const] } : h)),
    { name: "sbx-app2", address: "10.231.0.14", os: "debian-12", roles: ["app"] },
  ];
  return parsed(input);
}
const connection: HostsConnection = { knownHostsFiles: [], serviceManager: "script", testHosts: true };
const change = (kind: string, id: string): Change => ({
  kind,
  id,
  action: "update",
  destructive: false,
  before: null,
  after: null,
});

const CHANGES = [
  change("host.baseline", "sbx-app2/etc/chrony/chrony.conf"),
  change("host.appConfig", "sbx-app2/opt/ebill/conf/application.properties"),
  change("host.app", "sbx-app/opt/ebill/bin/ebill-appctl"),
  change("host.baseline", "sbx-db/etc/nftables.conf"),
];

describe("applying the hosts part with rolling restarts", () => {
  it("names the app hosts whose service restarts, in declared order; a baseline change alone restarts nothing", () => {
    const env = twoAppHosts();
    expect(restartingAppHosts(env, CHANGES)).toEqual(["sbx-app", "sbx-app2"]);
    expect(restartingAppHosts(env, [change("host.baseline", "sbx-app/etc/chrony/chrony.conf")])).toEqual([]);
  });

  it("applies the other hosts together first, then each restarting app host alone", async () => {
    const runs: string[][] = [];
    const said: string[] = [];
    await applyRolling(
      twoAppHosts(),
      connection,
      CHANGES,
      async (limit) => runs.push(limit),
      (l) => said.push(l),
    );
    expect(runs).toEqual([["sbx-db"], ["sbx-app"], ["sbx-app2"]]);
    expect(said).toEqual([
      "hosts: sbx-app out of the proxy: its changes restart the e-bill service",
      "hosts: sbx-app back in the proxy (its service answered its health check)",
      "hosts: sbx-app2 out of the proxy: its changes restart the e-bill service",
      "hosts: sbx-app2 back in the proxy (its service answered its health check)",
    ]);
  });

  it("applies a stack with one app host in one run: no other host could carry the traffic", async () => {
    const input = sandboxInput();
    input.hosts = input.hosts!.map((h) => (h.name === "sbx-app" ? { ...h, roles: ["app" as const] } : h));
    const runs: string[][] = [];
    const oneApp = CHANGES.filter((c) => !c.id.startsWith("sbx-app2/"));
    await applyRolling(
      parsed(input),
      connection,
      oneApp,
      async (limit) => runs.push(limit),
      () => {},
    );
    expect(runs).toEqual([["sbx-app", "sbx-db"]]);
  });

  it("stops at a failed app host: it stays out of the proxy, the next is not touched", async () => {
    const runs: string[][] = [];
    const failing = async (limit: string[]) => {
      runs.push(limit);
      if (limit.includes("sbx-app"))
        throw new Error("hosts: ansible-playbook site.yml failed: sbx-app: health check");
    };
    await expect(applyRolling(twoAppHosts(), connection, CHANGES, failing, () => {})).rejects.toThrow(
      /sbx-app: health check\nhosts: sbx-app stays out of the proxy until a rerun of apply converges it; not touched: sbx-app2/,
    );
    expect(runs).toEqual([["sbx-db"], ["sbx-app"]]);
  });
});

describe("which app hosts a proxy host sends requests to", () => {
  const env = twoAppHosts();
  const proxy = {
    ...env.hosts.find((h) => h.name === "sbx-db")!,
    name: "sbx-proxy",
    roles: ["proxy" as const],
  };
  const port = env.app.port;

  it("every declared app host, in declared order, is no change", () => {
    expect(proxyMembersChange(env, proxy, `10.231.0.11:${port}\n10.231.0.14:${port}\n`)).toBeNull();
  });

  it("an app host left out (a roll stopped half-way) is put back, showing what the file holds and will hold", () => {
    expect(proxyMembersChange(env, proxy, `10.231.0.14:${port}\n`)).toMatchObject({
      kind: PROXY_MEMBERS_KIND,
      id: "sbx-proxy/etc/ebill-proxy/backends",
      action: "update",
      destructive: false,
      before: { backends: [`10.231.0.14:${port}`] },
      after: { backends: [`10.231.0.11:${port}`, `10.231.0.14:${port}`] },
    });
  });

  it("a proxy host with no backends file gets one", () => {
    expect(proxyMembersChange(env, proxy, null)).toMatchObject({ action: "create", before: null });
  });
});
