/**
 * `npx tsx test/harness/netns-cleanup.ts`: removes namespace test hosts left behind by killed
 * test runs (their maker process is gone). Safe to run at any time and again; never touches the
 * hosts of a running test or the sandbox's (`ebill-ops sandbox-hosts down` removes those).
 */
import { sweepStaleHosts } from "../../src/sandbox/netns.ts";

const removed = sweepStaleHosts();
console.log(removed.length > 0 ? `removed: ${removed.join(", ")}` : "no stale test hosts");
