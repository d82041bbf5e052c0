/**
 * Test hosts under a tag that is already in use (a `sandbox-hosts up` left running in another
 * checkout): the start stops with a message saying what to do, and leaves the other hosts' network
 * namespace alone (before, its cleanup deleted the namespace it had failed to create).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { runSync } from "../../src/base/exec.ts";
import { hostsUp, stateFile } from "../../src/sandbox/netns.ts";
import { SKIP_REASON } from "./fixture.ts";

const tag = `g${process.pid % 100000}`;
const controller = `ebill-${tag}-ctl`;
const stateDir = mkdtempSync(path.join(tmpdir(), "ebill-hosts-test-guard-"));
const namespaces = () =>
  runSync("ip", ["netns", "list"])
    .stdout.split("\n")
    .map((l) => l.split(" ")[0]);

afterAll(() => {
  runSync("ip", ["netns", "delete", controller]);
  rmSync(stateDir, { recursive: true, force: true });
});

it.skipIf(SKIP_REASON)(
  "refuses to start hosts under a tag whose namespace exists, and leaves that namespace alone",
  async () => {
    expect(runSync("ip", ["netns", "add", controller]).code).toBe(0);
    await expect(
      hostsUp({ stateDir, tag, hosts: [{ name: "app", address: "10.231.249.11", family: "Debian" }] }),
    ).rejects.toThrow(`network namespace ${controller} already exists`);
    expect(namespaces()).toContain(controller);
    expect(existsSync(stateFile(stateDir))).toBe(false);
  },
);
