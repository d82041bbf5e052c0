// `npm run test:calendar` (tasks/test-calendar.sh): the tests that need neither a database nor
// namespace hosts (test/calendar/select.ts finds them), run under libfaketime at several dates.
// They share no server, so their files run in parallel.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";
import { calendarTestFiles } from "./test/calendar/select.ts";

// The unit/integration projects are the main config's; this one runs its own selection.
const { projects, ...shared } = base.test ?? {};
void projects;

export default defineConfig({
  test: {
    ...shared,
    include: calendarTestFiles(),
    fileParallelism: true,
    // tasks/test-calendar.sh runs one vitest per date at the same time: none writes vitest's
    // results cache (node_modules/.vite/vitest), which four at once could leave torn.
    cache: false,
  },
});
