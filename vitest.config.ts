import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites share one sandbox PostgreSQL and the namespace hosts; files run one at a time.
    fileParallelism: false,
  },
});
