/**
 * A sandbox stack's probe of a namespace host runs inside the hosts' namespace (the address exists
 * only there, and that namespace has no route off the machine). Real namespaces: root only.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkScope, probe, STATUS_CALL } from "../../src/probe/probe.ts";
import {
  cannotMakeHosts,
  hostsDown,
  hostsUp,
  sweepStaleHosts,
  type HostsState,
} from "../../src/sandbox/netns.ts";
import { REPO } from "./helpers.ts";
import { failIfCannotRun, skipOutsideCi } from "../harness/can-run.ts";
import { outputSync, start } from "../../src/base/exec.ts";

const CANNOT_MAKE_HOSTS = cannotMakeHosts();
const SKIP = skipOutsideCi("test/rollover/probe-namespace", CANNOT_MAKE_HOSTS);
const KEY = "fedcba9876543210fedcba9876";
// A /24 of its own: not the sandbox's (10.231.0) nor the host tests' (10.231.100-249).
const SUBNET = `10.231.${50 + (process.pid % 40)}`;
const ADDRESS = `${SUBNET}.11`;

let dir: string;
let state: HostsState;
let standIn: ChildProcess | undefined;
const saved = process.env.EBILL_OPS_HOSTS_STATE;

beforeAll(async () => {
  if (SKIP) return;
  failIfCannotRun("test/rollover/probe-namespace", CANNOT_MAKE_HOSTS);
  sweepStaleHosts();
  dir = mkdtempSync(path.join(tmpdir(), "ebill-hosts-test-"));
  state = await hostsUp({
    stateDir: dir,
    tag: `p${process.pid}`,
    hosts: [{ name: "app", address: ADDRESS }],
  });
  process.env.EBILL_OPS_HOSTS_STATE = path.join(dir, "state.json");
  standIn = start(
    "ip",
    [
      "netns",
      "exec",
      state.hosts[0]!.namespace,
      process.execPath,
      "--import",
      "tsx",
      "test/rollover/stand-in-main.ts",
      ADDRESS,
      "9091",
    ],
    { cwd: REPO, env: { ...process.env, STAND_IN_APP_KEY: KEY }, stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    standIn!.stdout!.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
    standIn!.on("exit", (code) => reject(new Error(`stand-in exited ${code}`)));
  });
});

afterAll(() => {
  if (standIn?.pid) standIn.kill("SIGKILL");
  if (saved === undefined) delete process.env.EBILL_OPS_HOSTS_STATE;
  else process.env.EBILL_OPS_HOSTS_STATE = saved;
  if (dir) {
    hostsDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.skipIf(SKIP)("probes of namespace hosts", () => {
  it("run inside the namespace, verify the signed answer there, and refuse other test addresses", async () => {
    const scope = networkScope({ kind: "sandbox" });
    expect(scope.namespace).toMatchObject({ netns: state.controllerNamespace, addresses: [ADDRESS] });
    // The namespace a probe runs in has no way off the machine.
    expect(outputSync("ip", ["-n", state.controllerNamespace, "route", "show", "default"])).toBe("");

    const fiscal = await probe(
      {
        name: "fiscal platform",
        url: `http://${ADDRESS}:9091/fiscal`,
        timeoutMs: 5000,
        proof: { kind: "signed-call", appId: "TESTYY0000001", appKey: KEY, ...STATUS_CALL },
      },
      scope,
    );
    expect(fiscal).toMatchObject({
      verdict: "verified",
      result: "S0000",
      via: `namespace ${state.controllerNamespace}`,
    });

    const his = await probe(
      { name: "HIS", url: `http://${ADDRESS}:9090/his`, timeoutMs: 3000, proof: { kind: "none" } },
      scope,
    );
    expect(his).toMatchObject({ verdict: "unreachable", via: `namespace ${state.controllerNamespace}` });

    const stray = await probe(
      { name: "push", url: `http://${SUBNET}.99:9092/push`, timeoutMs: 3000, proof: { kind: "none" } },
      scope,
    );
    expect(stray).toMatchObject({ verdict: "not-probed", via: "not sent" });
  });
});
