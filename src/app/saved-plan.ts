/** Plans saved by `plan --out`, read back for `apply --plan` and the pipelines. */
import { readFile } from "node:fs/promises";
import { parsePlan, type Plan, PLAN_VERSION } from "../plan/types.ts";

/** A plan saved by `plan --out`, checked for shape so a truncated or hand-edited file is refused clearly. */
export async function readSavedPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the plan ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; make one with 'ebill-ops plan --stack S --out ${file}'. Nothing was changed.`,
    );
  }
  const parsed = parsePlan(text);
  if (!parsed.ok)
    throw new Error(
      parsed.json
        ? `${file}: ${parsed.problem}; this is not a plan saved by 'ebill-ops plan --out' (version ${PLAN_VERSION}). Nothing was changed.`
        : `${file} is not JSON (${parsed.problem}); was it saved by 'ebill-ops plan --out'? Nothing was changed.`,
    );
  const plan = parsed.plan;
  const untagged = plan.changes.findIndex((c) => c.source === undefined);
  if (untagged >= 0)
    throw new Error(
      `${file}: changes[${untagged}].source is missing; the plan must come from 'ebill-ops plan --out'. Nothing was changed.`,
    );
  return plan;
}
