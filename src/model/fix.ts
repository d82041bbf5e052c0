/** The schema of a data-fix file (fixes/<stack>/<YYYY-MM-DD>-<slug>.ts or .yaml); see define-fix.ts. */
import * as z from "zod";

const text = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

export const FixDefinition = z.strictObject({
  reason: text("reason").min(10, "say in a sentence why the data is wrong and what the fix makes it"),
  ticket: text("ticket"),
  statement: text("statement").max(100_000),
  expect: z.strictObject({
    rows: z.number().int().min(1, "a fix changes at least one row").max(1_000_000),
  }),
  verify: text("verify").max(100_000),
});
export type FixDefinition = z.infer<typeof FixDefinition>;

/** `2026-11-29-wrong-channel-of-three-bills.yaml`: the day it was written and what it does. */
export const FIX_FILE_NAME = /^(\d{4})-(\d{2})-(\d{2})-[a-z0-9][a-z0-9-]*\.(ts|yaml|yml|json)$/;
