/**
 * Domain rules over a schema-valid environment. Each rule is a small named function returning the
 * issues it finds (changesets style: never throws, reports everything). Order is report order.
 *
 * When the schema refused part of a stack the rules still run on what passed (src/config/partial.ts):
 * a rule runs when the parts it `needs` intact passed whole; lists it only walks may be shortened
 * to their valid elements. Rules that look codes up in a list that lost elements skip those
 * look-ups (`context.broken`), so a refused element never shows up again as a dangling reference.
 */
import type { Environment } from "../../model/environment.ts";
import type { ConfigIssue } from "../issues.ts";
import type { Part, PartialEnvironment } from "../partial.ts";
import { restoreIndexes } from "../partial.ts";

export interface RuleContext {
  /** Today's date; injectable so year-end rules can be tested on any day. */
  today: Date;
  file: string;
  /** Parts the schema refused in whole or in part (only when validating a partly invalid stack). */
  broken?: ReadonlySet<string>;
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
import { backupHostManaged } from "./backup-host.ts";

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
  backupHostManaged,
};

/**
 * Parts each rule needs whole to say anything true about a partly invalid stack: a missing
 * mapping, template or year's storage is only missing when the list it looks in is complete.
 */
export const NEEDS_INTACT: Record<keyof typeof RULES, Part[]> = {
  uniqueCodes: [],
  referencesResolve: [],
  billCodeStructure: ["hospital"],
  billStockRanges: [],
  mappingsComplete: ["codeMappings"],
  yearReadiness: ["hospital", "maintenance", "tablespaces", "partitions", "billTypes", "billStock"],
  templatesForEnabledBillTypes: ["printTemplates"],
  requiredHostRoles: ["hosts"],
  hostKeysPinned: ["kind"],
  exampleCodesFlagged: ["kind"],
  backupHostManaged: ["hosts", "maintenance", "interfaces"],
};

export function runRules(env: Environment, context: RuleContext): ConfigIssue[] {
  return collect(env, context, () => true, new Map());
}

/** The rules that can still run on the parts of a stack that passed the schema. */
export function runRulesOnPartial(
  env: PartialEnvironment,
  context: RuleContext & { broken: ReadonlySet<string> },
  kept: ReadonlyMap<Part, number[]>,
): ConfigIssue[] {
  const runnable = (rule: string) => !(NEEDS_INTACT[rule] ?? []).some((part) => context.broken.has(part));
  return collect(env as Environment, context, runnable, kept);
}

function collect(
  env: Environment,
  context: RuleContext,
  runnable: (rule: string) => boolean,
  kept: ReadonlyMap<Part, number[]>,
): ConfigIssue[] {
  const partial = context.broken !== undefined;
  const issues: ConfigIssue[] = [];
  for (const [rule, check] of Object.entries(RULES)) {
    if (!runnable(rule)) continue;
    let findings: Finding[];
    try {
      findings = check(env, context);
    } catch (error) {
      // On a partly invalid stack a rule may meet a part it cannot read: the schema issues already
      // say why. On a valid stack a throwing rule is a bug, reported rather than hiding the others.
      if (partial) continue;
      findings = [
        { path: "", message: `rule ${rule} failed: ${(error as Error).message}; please report this` },
      ];
    }
    for (const finding of findings)
      issues.push({
        file: context.file,
        rule,
        severity: finding.severity ?? "error",
        path: restoreIndexes(finding.path, kept),
        message: restoreIndexes(finding.message, kept),
      });
  }
  return issues;
}
