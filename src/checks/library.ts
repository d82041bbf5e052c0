/**
 * The library: every health check, in the order reports list them, and how a set of facts becomes
 * findings. Views (inspect, monitor, later diagnose) choose checks from this one list.
 */
import { APPLICATION_CHECKS } from "./application-checks.ts";
import { BUSINESS_CHECKS } from "./business-checks.ts";
import { DATABASE_CHECKS } from "./database-checks.ts";
import type { HealthFacts } from "./facts.ts";
import { HOST_CHECKS, type HealthCheck } from "./host-checks.ts";
import { INTERFACE_CHECKS } from "./interface-checks.ts";
import type { HealthContext } from "./judge.ts";
import type { CheckStatus, Finding, Risk } from "./types.ts";

export const CHECKS: readonly HealthCheck[] = [
  ...HOST_CHECKS,
  ...DATABASE_CHECKS,
  ...APPLICATION_CHECKS,
  ...BUSINESS_CHECKS,
  ...INTERFACE_CHECKS,
];

/** 高 fail, 中 warn, 低 could not be measured; ok carries no risk. */
export function riskOf(status: CheckStatus): Risk | null {
  return status === "fail" ? "高" : status === "warn" ? "中" : status === "unknown" ? "低" : null;
}

/**
 * Every check of the view (all, or the quick subset) judged on the facts. A check that throws is a
 * defect of this tool, not a healthy system: it becomes `unknown` saying so, and the others still run.
 */
export function evaluateChecks(
  facts: HealthFacts,
  ctx: HealthContext,
  options: { quick: boolean; checks?: readonly HealthCheck[] },
): Finding[] {
  const checks = (options.checks ?? CHECKS).filter((c) => !options.quick || c.quick);
  return checks.flatMap((check) => {
    let results;
    try {
      results = check.evaluate(facts, ctx);
    } catch (error) {
      results = [
        {
          id: check.id,
          target: "-",
          status: "unknown" as const,
          value: null,
          evidence: "检查本身出错",
          advice: `ebill-ops 的检查 ${check.id} 出错（${error instanceof Error ? error.message : String(error)}），请报告此问题`,
        },
      ];
    }
    return results.map((r) => ({ ...r, area: check.area, title: check.title, risk: riskOf(r.status) }));
  });
}

export function checkById(id: string): HealthCheck | undefined {
  return CHECKS.find((c) => c.id === id);
}
