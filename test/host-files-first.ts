/**
 * The order integration files start in: those that make namespace hosts first, the rest as vitest
 * orders them (files that failed last time, then the longest last time, then the largest). A host
 * file takes minutes (test/upgrade/rolling.test.ts close to ten on a 2-core machine) where most
 * others take seconds, and files run three at a time (vitest.config.ts): started last, the longest
 * would run nearly alone at the end. On a fresh clone vitest has no durations to go by, so it
 * would order by size alone; the import graph (test/calendar/select.ts) says which files make hosts.
 */
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { hostTestFiles } from "./calendar/select.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const MAKES_HOSTS = new Set(hostTestFiles());

export default class HostFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const makesHosts = (f: TestSpecification) => MAKES_HOSTS.has(path.relative(ROOT, f.moduleId));
    // Stable: each part keeps vitest's order, and the groups (unit, then integration) stay apart.
    return [...sorted].sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        Number(makesHosts(b)) - Number(makesHosts(a)),
    );
  }
}
