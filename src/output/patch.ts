/** A patch rollout's report (`patch`), one line per host. */
import type { PatchReport, PatchStatus } from "../hosts/patch.ts";

const STATUS_TEXT: Record<PatchStatus, string> = {
  patched: "patched",
  "up-to-date": "up to date",
  "would-patch": "would patch",
  failed: "FAILED",
  stopped: "stopped (its batch failed)",
  "not-started": "untouched (rollout stopped before this host)",
};

export function renderPatchReport(report: PatchReport): string {
  const lines = [
    `Patch rollout of stack ${report.stack}${report.check ? " (check only: nothing changed)" : ""}: ${report.ok ? "complete" : "STOPPED"}`,
  ];
  for (const h of report.hosts) {
    const parts = [`  batch ${h.batch}  ${h.host}: ${STATUS_TEXT[h.status]}`];
    if (h.pending.length > 0) parts.push(`security updates: ${h.pending.join(", ")}`);
    if (h.rebooted) parts.push("rebooted");
    else if (h.rebootRequired) parts.push(`reboot required (${h.rebootNote ?? "not rebooted"})`);
    if (h.error) parts.push(`error: ${h.error}`);
    lines.push(parts.join("; "));
  }
  if (!report.ok) {
    const failed = report.hosts.find((h) => h.status === "failed");
    lines.push(
      `Stopped at ${failed?.host ?? "a failed batch"}: fix it and run 'ebill-ops patch' again; hosts marked untouched were not changed.`,
    );
  }
  return lines.join("\n") + "\n";
}
