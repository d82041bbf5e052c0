/**
 * `inspect`: every check, the quarterly report (巡检) written to inspections/<stack>/<YYYY>Q<n>/,
 * compared with the previous inspection in the repository.
 */
import path from "node:path";
import { localDate, isoDay } from "../base/time.ts";
import { openForChecks, scrubbedErrors } from "./open.ts";
import { defaultQuarter, parseQuarter, type Quarter } from "./quarter.ts";
import {
  buildInspection,
  previousOf,
  previousSizes,
  readHistory,
  type Inspection,
} from "./report/inspection.ts";
import { inspectionsRoot, writeInspection } from "./report/files.ts";
import { highRisksMarkdown } from "./report/report.ts";
import { runHealthChecks } from "./run.ts";
import { now } from "../base/time.ts";

export interface InspectResult {
  inspection: Inspection;
  dir: string;
  files: string[];
  /** The 高 risks as markdown (empty: none), for the workflow's issue. */
  highRisks: string;
  /** 0 no risk of 中 or above, 2 risks. */
  exitCode: 0 | 2;
}

export async function inspect(options: {
  stack: string;
  quarter?: string;
  out?: string;
}): Promise<InspectResult> {
  const stack = await openForChecks(options.stack, { notifications: false });
  return scrubbedErrors(stack, async () => {
    const { env } = stack;
    const at = now();
    const today = isoDay(localDate(at, env.maintenance.timezone));
    const quarter: Quarter = options.quarter
      ? parseQuarter(options.quarter)
      : defaultQuarter(at, env.maintenance.timezone);
    if (quarter.from > today)
      throw new Error(
        `--quarter ${quarter.id} has not begun (today is ${today}); inspect a quarter that has started`,
      );
    const stackDir = path.join(
      options.out ? path.resolve(options.out) : inspectionsRoot(stack.file),
      env.name,
    );
    const history = (await readHistory(stackDir)).filter((h) => h.quarter !== quarter.id);
    const previous = previousOf(history, quarter.id);
    const run = await runHealthChecks(env, {
      quick: false,
      now: at,
      quarter: { from: quarter.from, to: quarter.to },
      ...(previous ? { previous: previousSizes(previous)! } : {}),
    });
    const inspection = stack.redact(buildInspection(run, env, quarter, previous));
    const dir = path.join(stackDir, quarter.id);
    const files = await writeInspection(dir, inspection, history);
    const s = inspection.summary.risks;
    return {
      inspection,
      dir,
      files,
      highRisks: highRisksMarkdown(inspection),
      exitCode: s.高 + s.中 > 0 ? 2 : 0,
    };
  });
}
