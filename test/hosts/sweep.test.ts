/**
 * The sweep every host test file runs first removes only hosts whose maker is gone. Host test
 * files run at the same time (vitest.config.ts), so a sweep regularly meets the state folder of a
 * file that is still starting: made, its state.json not written yet (or being rewritten). Before,
 * such a folder counted as stale and was deleted under the running test. No hosts are made here:
 * the folders sit in a temp parent of the test's own.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { run } from "../../src/base/exec.ts";
import { stateFile, sweepStaleHosts, type HostsState } from "../../src/sandbox/netns.ts";

const PREFIX = "ebill-hosts-test-";
let parent: string;

beforeEach(() => {
  parent = mkdtempSync(path.join(tmpdir(), "ebill-sweep-"));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

function stateDir(name: string, ownerPid?: number): string {
  const dir = path.join(parent, `${PREFIX}${name}`);
  mkdirSync(dir);
  if (ownerPid !== undefined) {
    const state: HostsState = {
      version: 1,
      controllerNamespace: `ebill-sweep-${name}-ctl`,
      subnet: "10.231.251.0/24",
      knownHostsFile: path.join(dir, "known_hosts"),
      identityFile: path.join(dir, "id_ed25519"),
      user: "ebillops",
      serviceManager: "script",
      hosts: [],
      ownerPid,
      // Nothing made yet: removing these hosts touches no namespace or mount.
      cleanup: { namespaces: [], mounts: [], dirs: [] },
    };
    writeFileSync(stateFile(dir), JSON.stringify(state));
  }
  return dir;
}

function lastChanged(dir: string, minutesAgo: number): void {
  const when = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(dir, when, when);
}

/** The pid of a process that has ended. */
async function endedPid(): Promise<number> {
  const child = await run(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout);
}

it("keeps a folder another run has just made and not yet written its state into", () => {
  const starting = stateDir("starting");
  const torn = stateDir("torn");
  writeFileSync(stateFile(torn), '{"version":1,"controllerNa'); // caught mid-write

  expect(sweepStaleHosts(PREFIX, parent)).toEqual([]);
  expect([starting, torn].filter((d) => existsSync(d))).toEqual([starting, torn]);
});

it("removes a folder without state left long ago, and the hosts of a maker that is gone", async () => {
  const leftover = stateDir("leftover");
  lastChanged(leftover, 60);
  const orphaned = stateDir("orphaned", await endedPid());
  const running = stateDir("running", process.pid);

  expect(sweepStaleHosts(PREFIX, parent).sort()).toEqual([leftover, orphaned].sort());
  expect([leftover, orphaned, running].filter((d) => existsSync(d))).toEqual([running]);
  expect(existsSync(stateFile(running))).toBe(true);
});
