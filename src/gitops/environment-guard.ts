/**
 * The apply job of a production stack checks its own GitHub environment before touching anything:
 * approval is a repository setting, not a file, and an environment created without reviewers
 * would silently let a merge reach the hospital. The job fails instead, naming what to set.
 */
import type { StackEntry } from "./stacks.ts";
import { needsApproval } from "./stacks.ts";

/** The parts of GitHub's "get an environment" answer that matter here. */
export interface GithubEnvironment {
  name: string;
  protection_rules?: { type: string; reviewers?: unknown[]; prevent_self_review?: boolean }[];
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

export function checkEnvironment(
  entry: Pick<StackEntry, "stack" | "kind">,
  env: GithubEnvironment,
): string[] {
  if (!needsApproval({ ...entry } as StackEntry)) return [];
  const problems: string[] = [];
  const reviewers = (env.protection_rules ?? []).find((r) => r.type === "required_reviewers");
  if (!reviewers || (reviewers.reviewers?.length ?? 0) === 0)
    problems.push(
      `environment '${env.name}' of production stack '${entry.stack}' has no required reviewers: ` +
        "Settings > Environments > " +
        env.name +
        " > Required reviewers (add the hospital's change approvers; tick 'Prevent self-review')",
    );
  const branches = env.deployment_branch_policy;
  if (!branches || (!branches.protected_branches && !branches.custom_branch_policies))
    problems.push(
      `environment '${env.name}' accepts deployments from any branch: set Deployment branches to 'Protected branches only' (main)`,
    );
  return problems;
}
