// Drift-issue bookkeeping on recorded drift reports and a recorded list of open issues: one issue
// per stack, opened on drift, updated while it lasts (commenting only when it changes), closed
// when it is gone.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  decideDriftIssue,
  DRIFT_LABEL,
  fingerprint,
  markerPrefix,
  toDriftReport,
  type IssueRecord,
} from "../../src/gitops/drift-issue.ts";
import { renderDriftText, type DriftReport } from "../../src/output/drift.ts";
import { GITHUB_BODY_LIMIT } from "../../src/output/md.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const fixture = async (name: string) => JSON.parse(await readFile(path.join(FIXTURES, name), "utf8"));
const context = { checkedAt: "2026-11-26T22:17:00.000Z", runUrl: "https://ci.example/run/9" };

async function recorded() {
  return {
    drift: toDriftReport(await fixture("drift-sandbox.json"), "drift-sandbox.json"),
    none: toDriftReport(await fixture("drift-sandbox-none.json"), "drift-sandbox-none.json"),
    issues: (await fixture("issues-open.json")) as IssueRecord[],
  };
}

describe("drift issue", () => {
  it("opens one labelled issue with the marker when a stack drifts and none is open", async () => {
    const { drift, issues } = await recorded();
    const others = issues.filter((i) => i.number !== 12 && i.number !== 15);
    const action = decideDriftIssue("sandbox", drift, others, context);
    expect(action.action).toBe("open");
    if (action.action !== "open") return;
    expect(action.labels).toEqual([DRIFT_LABEL]);
    expect(action.body.startsWith(markerPrefix("sandbox"))).toBe(true);
    expect(action.body).toContain(
      "缴费渠道 paymentChannels 05 微信支付 — name: declared '微信支付', live '微信'",
    );
    expect(action.body).toContain(
      "开票点 invoicingPoints 002 住院收费处 — enabled: declared false, live true (used by 1,204 issued bills)",
    );
    expect(action.closeDuplicates).toEqual([]);
  });

  it("updates the oldest open issue of the stack, closes racing duplicates, ignores pull requests and other stacks", async () => {
    const { drift, issues } = await recorded();
    const action = decideDriftIssue("sandbox", drift, issues, context);
    expect(action).toMatchObject({ action: "update", number: 12, closeDuplicates: [15] });
  });

  it("comments on the issue only when the drift itself changed", async () => {
    const { drift, issues } = await recorded();
    const first = decideDriftIssue("sandbox", drift, issues, context);
    expect(first.action === "update" && first.comment).toMatch(/The drift changed/);
    if (first.action !== "update") return;
    // The next night, same drift: the issue now carries this fingerprint, so no new notification.
    const nextNight = issues.map((i) => (i.number === 12 ? { ...i, body: first.body } : i));
    const second = decideDriftIssue("sandbox", drift, nextNight, {
      ...context,
      checkedAt: "2026-11-27T22:17:00Z",
    });
    expect(second).toMatchObject({ action: "update", number: 12, comment: null });
    if (second.action === "update") expect(second.body).toContain("2026-11-27T22:17:00Z");
  });

  it("closes the issue with a comment when the drift is gone", async () => {
    const { none, issues } = await recorded();
    const action = decideDriftIssue("sandbox", none, issues, context);
    expect(action).toMatchObject({ action: "close", number: 12, closeDuplicates: [15] });
    if (action.action === "close")
      expect(action.comment).toContain("No drift left on 2026-11-26T22:17:00.000Z");
  });

  it("keeps the issue open when part of the stack could not be checked, and closes it when that part only has nothing to check", async () => {
    const { none, issues } = await recorded();
    const hostsDown: DriftReport = {
      ...none,
      skipped: [{ source: "hosts", reason: "cannot reach SSH on app1 (10.0.0.11:22)" }],
    };
    const kept = decideDriftIssue("sandbox", hostsDown, issues, context);
    expect(kept).toMatchObject({ action: "none", closeDuplicates: [15] });
    if (kept.action === "none") expect(kept.reason).toMatch(/#12 stays open: hosts not checked/);
    expect(renderDriftText(hostsDown)).toMatch(/NOT checked: hosts/);
    expect(renderDriftText(hostsDown)).not.toMatch(/matches its declaration/);

    const noHosts: DriftReport = {
      ...none,
      skipped: [
        { source: "hosts", reason: "the stack declares no host Ansible manages", notApplicable: true },
      ],
    };
    expect(decideDriftIssue("sandbox", noHosts, issues, context)).toMatchObject({
      action: "close",
      number: 12,
    });
    expect(renderDriftText(noHosts)).toMatch(
      /No drift: the live state of stack sandbox matches its declaration/,
    );
  });

  it("does nothing when there is no drift and no issue", async () => {
    const { none, issues } = await recorded();
    expect(
      decideDriftIssue(
        "sandbox",
        none,
        issues.filter((i) => i.number !== 12 && i.number !== 15),
        context,
      ),
    ).toMatchObject({ action: "none" });
  });

  it("does not take the issue of a stack whose name merely starts the same", async () => {
    const { drift, issues } = await recorded();
    const onlyDr = issues.filter((i) => i.number === 14);
    expect(decideDriftIssue("sandbox", drift, onlyDr, context).action).toBe("open");
  });

  it("keeps a huge drift under GitHub's body limit", async () => {
    const { drift } = await recorded();
    const huge: DriftReport = {
      ...drift,
      differences: Array.from({ length: 5000 }, (_, i) => ({
        kind: "billStock",
        id: `46060126/2026-01/${String(i).padStart(10, "0")}`,
        state: "drifted" as const,
        fields: [{ field: "place", declared: "001", live: "002" }],
      })),
    };
    const action = decideDriftIssue("sandbox", huge, [], context);
    expect(action.action === "open" && action.body.length).toBeLessThan(GITHUB_BODY_LIMIT);
  });

  it("tells the same drift apart from a different one regardless of order", async () => {
    const { drift } = await recorded();
    const reversed = { ...drift, differences: [...drift.differences].reverse() };
    expect(fingerprint(reversed)).toBe(fingerprint(drift));
    const changed = {
      ...drift,
      differences: drift.differences.map((d, i) =>
        i === 1 ? { ...d, fields: [{ field: "name", declared: "微信支付", live: "微信2" }] } : d,
      ),
    };
    expect(fingerprint(changed)).not.toBe(fingerprint(drift));
  });

  it("refuses a report of another stack", async () => {
    const { drift } = await recorded();
    expect(() => decideDriftIssue("lingshui-prod", drift, [], context)).toThrow(/for stack 'sandbox'/);
  });
});
