import { defineConfig } from "vitest/config";
import { unitTestFiles } from "./test/calendar/select.ts";
import HostFilesFirst from "./test/host-files-first.ts";

// Two projects: `npm test -- --project unit` runs in seconds (no database, no namespace hosts, no
// browser, no CLI or other program started: test/calendar/select.ts finds them from the imports);
// `integration` is every other test. `npm test` (and `npm run check`) runs both, unit first.
const unit = unitTestFiles();

/**
 * Integration files run side by side, this many at a time. They can, because none shares a running
 * part with another: each file starts its own PostgreSQL on a port the OS picked
 * (test/harness/postgres.ts), its own temp dirs (EBILL_SANDBOX_DIR, simulator, git repositories),
 * and its own namespace hosts (src/sandbox/netns.ts: namespaces and veths named by a per-process
 * tag, SSH control sockets and state under the file's own state dir, the shared debootstrap tree
 * built under a lock). Three on a 2-core machine: most of a file's time is spent waiting (a server
 * starting, Ansible over SSH, a health check), and the longest file (test/upgrade/rolling.test.ts,
 * minutes) runs beside the others instead of after them.
 */
const INTEGRATION_FILES_AT_ONCE = 3;

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    // CLI tests spawn bin/ebill-ops.mjs, which runs dist/: built from these sources first.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Within each project's turn, files that make namespace hosts (the longest) start first.
    sequence: { sequencer: HostFilesFirst },
    // A date exported in the developer's shell never leaks into the tests: they run on the real
    // clock (or libfaketime's, in `npm run test:calendar`), and a test that needs a date pins its
    // own EBILL_OPS_TODAY (test/harness/fixture-stacks.ts: FIXTURE_TODAY).
    env: { EBILL_OPS_TODAY: "" },
    projects: [
      {
        extends: true,
        // They share nothing, so their files run in parallel.
        test: { name: "unit", include: unit, fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: unit,
          fileParallelism: true,
          maxWorkers: INTEGRATION_FILES_AT_ONCE,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
