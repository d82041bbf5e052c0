/**
 * Before any test runs: dist/, the compiled JavaScript that bin/ebill-ops.mjs runs, is rebuilt
 * when any source changed since it was built (bin/build.mjs; about half a second). So the tests
 * that spawn the CLI exercise exactly what users run, built from the code under test; a stale
 * build cannot make them pass. Tests that import src/*.ts run the sources themselves.
 */
import { build } from "../bin/build.mjs";
import { staleReason } from "../bin/build-info.mjs";

export default async function setup(): Promise<void> {
  if (staleReason() !== null) await build();
}
