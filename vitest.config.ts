import { defineConfig } from "vitest/config";
import { unitTestFiles } from "./test/calendar/select.ts";

// Two projects: `npm test -- --project unit` runs in seconds (no database, no namespace hosts, no
// browser, no CLI or other program started: test/calendar/select.ts finds them from the imports);
// `integration` is every other test. `npm test` (and `npm run check`) runs both, unit first.
const unit = unitTestFiles();

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    // CLI tests spawn bin/ebill-ops.mjs, which runs dist/: built from these sources first.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
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
          // Integration suites share one sandbox PostgreSQL and the namespace hosts; files run one at a time.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
