/**
 * Suites that need what a machine may lack (root and network namespaces for namespace hosts):
 * on a developer's machine they skip with the reason; in CI (CI=true) they run and fail with it,
 * so a check never vanishes silently (test/hosts/lint.test.ts does the same for its tools).
 */

/** True when `suite` should skip here: it cannot run (`reason`) and this is not CI. */
export function skipOutsideCi(suite: string, reason: string | undefined): boolean {
  if (!reason || process.env.CI) return false;
  console.warn(`${suite}: skipped: ${reason}`);
  return true;
}

/** The first step of such a suite's setup: in CI, fails every test with the reason. */
export function failIfCannotRun(suite: string, reason: string | undefined): void {
  if (reason)
    throw new Error(`${suite} cannot run here (CI=true, so it fails instead of skipping): ${reason}`);
}
