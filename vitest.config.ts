import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // CLI tests spawn bin/ebill-ops.mjs, which runs dist/: built from these sources first.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites share one sandbox PostgreSQL and the namespace hosts; files run one at a time.
    fileParallelism: false,
    // A date exported in the developer's shell never leaks into the tests: they run on the real
    // clock (or libfaketime's, in `npm run test:calendar`), and a test that needs a date pins its
    // own EBILL_OPS_TODAY (test/harness/fixture-stacks.ts: FIXTURE_TODAY).
    env: { EBILL_OPS_TODAY: "" },
  },
});
