/**
 * Domain rules over a schema-valid environment. Each rule is a small named function returning the
 * issues it finds (changesets style: never throws, reports everything). Order is report order.
 */
import type { Environment } from "../../model/environment.ts";
import type { ConfigIssue } from "../issues.ts";

export interface RuleContext {
  /** Today's date; injectable so year-end rules can be tested on any day. */
  today: Date;
  file: string;
}

/** What a rule reports; the runner adds the file and the rule name. */
export interface Finding {
  path: string;
  message: string;
  severity?: "error" | "warning";
}

export type Rule = (env: Environment, context: RuleContext) => Finding[];

import { uniqueCodes } from "./unique-codes.ts";
import { referencesResolve } from "./references.ts";
import { billCodeStructure } from "./bill-codes.ts";
import { billStockRanges } from "./bill-stock.ts";
import { mappingsComplete } from "./mappings.ts";
import { yearReadiness } from "./year-readiness.ts";
import { templatesForEnabledBillTypes } from "./templates.ts";
import { requiredHostRoles } from "./host-roles.ts";
import { hostKeysPinned } from "./host-keys.ts";
import { exampleCodesFlagged } from "./example-codes.ts";
import { hostRolesOnSupportedSystems } from "./host-os.ts";

export const RULES: Record<string, Rule> = {
  uniqueCodes,
  referencesResolve,
  billCodeStructure,
  billStockRanges,
  mappingsComplete,
  yearReadiness,
  templatesForEnabledBillTypes,
  requiredHostRoles,
  hostKeysPinned,
  exampleCodesFlagged,
  hostRolesOnSupportedSystems,
};

export function runRules(env: Environment, context: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [rule, check] of Object.entries(RULES)) {
    for (const finding of check(env, context)) {
      issues.push({
        file: context.file,
        rule,
        severity: finding.severity ?? "error",
        path: finding.path,
        message: finding.message,
      });
    }
  }
  return issues;
}
