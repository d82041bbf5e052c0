/** Plans saved by `plan --out`, read back for `apply --plan` and the pipelines. */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { formatPath } from "../config/issues.ts";
import { type Plan, PLAN_VERSION } from "../plan/types.ts";

const SavedPlan = z.object({
  version: z.literal(PLAN_VERSION),
  stack: z.string(),
  liveHash: z.string(),
  sourceHashes: z.record(z.string(), z.string()),
  changes: z.array(
    z.object({
      kind: z.string(),
      id: z.string(),
      action: z.enum(["create", "update", "delete", "replace"]),
      destructive: z.boolean(),
      before: z.record(z.string(), z.unknown()).nullable(),
      after: z.record(z.string(), z.unknown()).nullable(),
      note: z.string().optional(),
      source: z.string().optional(),
      bills: z.number().optional(),
    }),
  ),
  summary: z.object({ create: z.number(), update: z.number(), delete: z.number(), replace: z.number() }),
  skipped: z.array(z.object({ source: z.string(), reason: z.string() })).optional(),
  revision: z
    .object({ commit: z.string().nullable(), dirty: z.boolean(), diffHash: z.string().optional() })
    .optional(),
});

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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${file} is not JSON (${(error as Error).message}); was it saved by 'ebill-ops plan --out'? Nothing was changed.`,
    );
  }
  const parsed = SavedPlan.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${file}: ${formatPath(issue.path) || "(top level)"}: ${issue.message}; this is not a plan saved by 'ebill-ops plan --out' (version ${PLAN_VERSION}). Nothing was changed.`,
    );
  }
  const plan = parsed.data as Plan;
  const untagged = plan.changes.findIndex((c) => c.source === undefined);
  if (untagged >= 0)
    throw new Error(
      `${file}: changes[${untagged}].source is missing; the plan must come from 'ebill-ops plan --out'. Nothing was changed.`,
    );
  return plan;
}
