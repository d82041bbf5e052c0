/**
 * Security-patch rollout: the managed hosts in batches of `maintenance.patch.batchSize`, one
 * tasks/ansible/patch.yml run per batch (health checks, pending security updates, reboot when
 * required and allowed, health checks again). The first batch with a failed host stops the
 * rollout; later batches are not touched. Every host gets a line in the report.
 */
import type { Environment } from "../model/environment.ts";
import { redactDeep, secretValues } from "../config/redact.ts";
import { runPlaybook, type PlaybookResult } from "./ansible.ts";
import { type HostsConnection, hostsConnection } from "./connection.ts";
import { type Outcome, outcomes, parseAnsibleJson } from "./results.ts";
import { managedHosts } from "./source.ts";

export type PatchStatus = "patched" | "up-to-date" | "would-patch" | "failed" | "stopped" | "not-started";

export interface PatchHostReport {
  host: string;
  batch: number;
  status: PatchStatus;
  /** Security updates pending before the run (package names). */
  pending: string[];
  rebootRequired: boolean;
  rebooted: boolean;
  /** Why a reboot that is required did not happen. */
  rebootNote?: string;
  /** What failed (the task and its message). */
  error?: string;
}

export interface PatchReport {
  stack: string;
  check: boolean;
  ok: boolean;
  hosts: PatchHostReport[];
}

interface ReportMsg {
  pending: string[];
  updated: boolean | string;
  reboot_required: boolean | string;
  rebooted: boolean | string;
}

const truthy = (v: unknown) => v === true || v === "True" || v === "true";

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** Why a reboot that is required did not happen. */
function rebootNote(
  policy: Environment["maintenance"]["patch"],
  connection: HostsConnection,
  check: boolean,
): string {
  if (!policy.rebootAllowed)
    return "not rebooted: maintenance.patch.rebootAllowed is false; reboot in the next change window";
  if (connection.serviceManager === "script")
    return "not rebooted: a namespace test host shares the machine's kernel; recorded only";
  return check ? "a reboot would follow" : "not rebooted";
}

/** One host's line of the report, from its task results in its batch's run. */
function hostReport(
  host: string,
  batch: number,
  mine: readonly Outcome[],
  run: PlaybookResult,
  options: { check: boolean; policy: Environment["maintenance"]["patch"]; connection: HostsConnection },
): PatchHostReport {
  const failed = mine.find((o) => o.result.failed || o.result.unreachable);
  const report = mine.find((o) => o.task === "Report the patch result")?.result.msg as ReportMsg | undefined;
  const entry: PatchHostReport = {
    host,
    batch,
    status: "stopped",
    pending: report?.pending ?? [],
    rebootRequired: truthy(report?.reboot_required),
    rebooted: truthy(report?.rebooted),
  };
  if (failed) {
    const msg = failed.result.msg;
    entry.status = "failed";
    entry.error = `${failed.task}: ${typeof msg === "string" ? msg : JSON.stringify(msg ?? "failed")}`.slice(
      0,
      300,
    );
  } else if (report) {
    if (options.check) entry.status = entry.pending.length > 0 ? "would-patch" : "up-to-date";
    else entry.status = truthy(report.updated) ? "patched" : "up-to-date";
    if (entry.rebootRequired && !entry.rebooted)
      entry.rebootNote = rebootNote(options.policy, options.connection, options.check);
  } else if (run.code !== 0) {
    entry.status = "failed";
    entry.error = (run.stderr.trim().split("\n").pop() ?? `ansible-playbook exited ${run.code}`).slice(
      0,
      300,
    );
  }
  return entry;
}

const untouched = (host: string, batch: number): PatchHostReport => ({
  host,
  batch,
  status: "not-started",
  pending: [],
  rebootRequired: false,
  rebooted: false,
});

const DONE: readonly PatchStatus[] = ["patched", "up-to-date", "would-patch"];

export async function patchRollout(
  env: Environment,
  options: { check: boolean; notice?: (line: string) => void },
): Promise<PatchReport> {
  const connection = hostsConnection(env);
  if (!connection.ok) throw new Error(`patch: ${connection.reason}`);
  const policy = env.maintenance.patch;
  const secrets = secretValues(env);
  const groups = batches(managedHosts(env), policy.batchSize);
  const reports: PatchHostReport[] = [];
  let stopped = false;
  for (const [index, group] of groups.entries()) {
    const batch = index + 1;
    if (stopped) {
      reports.push(...group.map((h) => untouched(h.name, batch)));
      continue;
    }
    options.notice?.(`patch: batch ${batch}/${groups.length}: ${group.map((h) => h.name).join(", ")}`);
    const run = await runPlaybook(env, connection.value, {
      playbook: "patch.yml",
      check: options.check,
      json: true,
      limit: group.map((h) => h.name),
    });
    const all = outcomes(redactDeep(parseAnsibleJson(run.stdout, run.stderr), secrets));
    const mine = group.map((h) =>
      hostReport(
        h.name,
        batch,
        all.filter((o) => o.host === h.name),
        run,
        {
          check: options.check,
          policy,
          connection: connection.value,
        },
      ),
    );
    reports.push(...mine);
    // The first batch with a host not done stops the rollout: later batches are not touched.
    if (mine.some((r) => !DONE.includes(r.status))) stopped = true;
  }
  return { stack: env.name, check: options.check, ok: !stopped, hosts: reports };
}
